#include "strata/rt/timer_wheel.hpp"

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace strata::detail {

namespace {

constexpr std::uint64_t kSlotMask = TimerWheel::kSlots - 1;

// The level whose slot granularity separates `when` from `elapsed`: the highest 6-bit group in
// which they differ.
unsigned level_for(std::uint64_t elapsed, std::uint64_t when) noexcept {
  std::uint64_t masked = (elapsed ^ when) | kSlotMask;
  if (masked >= TimerWheel::kMaxDuration) masked = TimerWheel::kMaxDuration - 1;
  unsigned significant = 63u - static_cast<unsigned>(std::countl_zero(masked));
  return significant / TimerWheel::kSlotBits;
}

constexpr std::uint64_t slot_range(unsigned level) noexcept {
  return std::uint64_t{1} << (level * TimerWheel::kSlotBits);
}
constexpr std::uint64_t level_range(unsigned level) noexcept {
  return std::uint64_t{1} << ((level + 1) * TimerWheel::kSlotBits);
}

// Where a wheel at `elapsed` next reaches `slot` of `level`: the tick at which that slot's entries
// fire or cascade.
std::uint64_t slot_start(std::uint64_t elapsed, unsigned level, unsigned slot) noexcept {
  std::uint64_t level_start = elapsed & ~(level_range(level) - 1);
  std::uint64_t start = level_start + slot * slot_range(level);
  // A slot "behind" the current one belongs to the next rotation of this level (only reachable
  // at the top level, where deadlines are clamped).
  if (start < elapsed) start += level_range(level);
  return start;
}

}  // namespace

void TimerWheel::link(TimerEntry* e) noexcept {
  std::uint64_t when = e->deadline;
  if (when - elapsed_ > kMaxDuration) when = elapsed_ + kMaxDuration;
  unsigned level = level_for(elapsed_, when);
  unsigned slot = static_cast<unsigned>((when >> (level * kSlotBits)) & kSlotMask);
  e->level = static_cast<std::uint8_t>(level);
  e->slot = static_cast<std::uint8_t>(slot);
  TimerEntry*& head = slots_[level][slot];
  e->prev = nullptr;
  e->next = head;
  if (head) head->prev = e;
  head = e;
  e->linked = true;
  occupied_[level] |= std::uint64_t{1} << slot;
}

bool TimerWheel::insert(TimerEntry* e) noexcept {
  if (e->deadline <= elapsed_) return false;
  link(e);
  ++count_;
#ifndef NDEBUG
  debug_check(check_entry(e, e->level, e->slot));
#endif
  return true;
}

void TimerWheel::remove(TimerEntry* e) noexcept {
  if (!e->linked) return;
  TimerEntry*& head = slots_[e->level][e->slot];
  if (e->prev) {
    e->prev->next = e->next;
  } else {
    head = e->next;
  }
  if (e->next) e->next->prev = e->prev;
  if (!head) occupied_[e->level] &= ~(std::uint64_t{1} << e->slot);
  e->prev = e->next = nullptr;
  e->linked = false;
  --count_;
#ifndef NDEBUG
  debug_check(check_slot_head(e->level, e->slot));
#endif
}

TimerEntry* TimerWheel::take_slot(unsigned level, unsigned slot) noexcept {
  TimerEntry* list = std::exchange(slots_[level][slot], nullptr);
  occupied_[level] &= ~(std::uint64_t{1} << slot);
  for (TimerEntry* e = list; e; e = e->next) e->linked = false;
  return list;
}

std::optional<TimerWheel::Expiration> TimerWheel::next_slot() const noexcept {
  for (unsigned level = 0; level < kLevels; ++level) {
    std::uint64_t occ = occupied_[level];
    if (!occ) continue;
    unsigned now_slot = static_cast<unsigned>((elapsed_ >> (level * kSlotBits)) & kSlotMask);
    // The scan starts at the current slot, except at the top level: there the current slot can
    // only hold clamped entries of the *next* rotation (anything due within its range cascaded
    // when the slot started, and later inserts in that range go to lower levels). Scanning it
    // first would hide entries in the later slots of the current rotation, due up to 64^6 ms
    // earlier, so it is scanned last.
    unsigned first = level == kLevels - 1 ? (now_slot + 1) & kSlotMask : now_slot;
    unsigned zeros =
        static_cast<unsigned>(std::countr_zero(std::rotr(occ, static_cast<int>(first))));
    unsigned slot = (zeros + first) & kSlotMask;
    return Expiration{level, slot, slot_start(elapsed_, level, slot)};
  }
  return std::nullopt;
}

const char* TimerWheel::check_slot_head(unsigned level, unsigned slot) const noexcept {
  const TimerEntry* head = slots_[level][slot];
  const bool occupied = (occupied_[level] >> slot) & 1;
  if (occupied != (head != nullptr)) return "an occupied bit disagrees with its slot list";
  if (head && head->prev) return "the head of a slot list has a prev link";
  return nullptr;
}

const char* TimerWheel::check_entry(const TimerEntry* e, unsigned level,
                                    unsigned slot) const noexcept {
  if (!e->linked) return "an entry in a slot list is not marked linked";
  if (e->level != level || e->slot != slot) return "an entry's level/slot name another list";
  if (e->next && e->next->prev != e) return "a next entry's prev link does not point back";
  if (e->prev && e->prev->next != e) return "a prev entry's next link does not point back";
  if (!e->prev && slots_[level][slot] != e) return "an entry without prev is not its list's head";
  if (e->deadline <= elapsed_) return "an entry due at or before elapsed() is still linked";
  const std::uint64_t start = slot_start(elapsed_, level, slot);
  if (start <= elapsed_) return "an entry is in a slot the wheel has already passed";
  if (start > e->deadline) return "an entry is in a slot that starts after its deadline";
  if (level + 1 < kLevels && e->deadline - start >= slot_range(level))
    return "an entry is not in the slot its deadline maps to";
  return check_slot_head(level, slot);
}

const char* TimerWheel::validate() const noexcept {
  std::size_t linked = 0;
  for (unsigned level = 0; level < kLevels; ++level) {
    for (unsigned slot = 0; slot < kSlots; ++slot) {
      if (const char* why = check_slot_head(level, slot)) return why;
      for (const TimerEntry* e = slots_[level][slot]; e; e = e->next) {
        if (++linked > count_) return "more entries linked than size() counts (or a cycle)";
        if (const char* why = check_entry(e, level, slot)) return why;
      }
    }
  }
  if (linked != count_) return "size() counts more entries than are linked";
  return nullptr;
}

#ifndef NDEBUG
void TimerWheel::debug_check(const char* why) noexcept {
  if (!why) return;
  std::fprintf(stderr, "strata: TimerWheel invariant broken: %s\n", why);
  std::abort();
}
#endif

std::optional<std::uint64_t> TimerWheel::next_expiration() const noexcept {
  if (auto e = next_slot()) return e->deadline;
  return std::nullopt;
}

}  // namespace strata::detail
