// TimerWheel: a hierarchical timing wheel with millisecond ticks (the structure behind sleep()).
//
// Six levels of 64 slots cover 64^6 ms (about 2.2 years); longer deadlines are clamped. Insert and
// remove are O(1) (intrusive doubly-linked slots, one bit per occupied slot); expiry is amortised
// O(1): an entry cascades down at most five levels before it fires, and finding the next occupied
// slot is a bit scan. Entries fire in deadline order at millisecond granularity, never early.
//
// The wheel is a plain data structure: it knows nothing of clocks, threads or wakers. The runtime's
// timer driver owns one, locks it, and maps Instants to ticks.
//
// Invariants (checked by validate(); debug builds check them as they go, see below): every linked
// entry is in exactly one slot list, with `level`/`slot` naming that list and intact prev/next
// links; a slot's occupied bit is set exactly when its list is non-empty; size() counts the linked
// entries; every linked entry is due after elapsed(), and its slot starts after elapsed() and no
// later than its deadline (it never fires late); below the top level the deadline falls inside
// the slot's range (the slot the deadline maps to). Top-level entries may be clamped, so only the
// "no later than" half holds there.
//
//   detail::TimerWheel w;  detail::TimerEntry e;  e.deadline = 25;
//   w.insert(&e);
//   w.advance(30, [](detail::TimerEntry* fired) { use(fired); });   // fires e
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace strata::detail {

// An intrusive wheel entry; the owner (e.g. a Sleep future) embeds it and keeps it in place
// while inserted.
struct TimerEntry {
  TimerEntry* prev = nullptr;
  TimerEntry* next = nullptr;
  std::uint64_t deadline = 0;  // tick (ms) at which the entry fires
  std::uint8_t level = 0;
  std::uint8_t slot = 0;
  bool linked = false;
};

class TimerWheel {
 public:
  static constexpr unsigned kLevels = 6;
  static constexpr unsigned kSlotBits = 6;
  static constexpr unsigned kSlots = 1u << kSlotBits;
  static constexpr std::uint64_t kMaxDuration = (std::uint64_t{1} << (kSlotBits * kLevels)) - 1;

  // Ticks processed so far: every entry with deadline <= elapsed() has fired.
  std::uint64_t elapsed() const noexcept { return elapsed_; }
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }

  // Inserts an entry; returns false (and does not insert) when its deadline already passed.
  bool insert(TimerEntry* e) noexcept;
  // Removes an inserted entry; a no-op for an entry that is not linked.
  void remove(TimerEntry* e) noexcept;
  // The earliest tick at which advance() will fire or cascade something, if any.
  std::optional<std::uint64_t> next_expiration() const noexcept;

  // Checks every invariant above in O(size() + 384) and returns a description of the first one
  // broken, or nullptr. Not for use from inside an advance() callback (the entries being fired or
  // cascaded are then in no slot). Debug builds (NDEBUG not defined) abort on a broken invariant:
  // insert(), remove() and each cascade check the slot they touched in O(1), and advance() ends
  // with a full validate() while the wheel holds at most kDebugValidateLimit entries (so a
  // million-timer test stays linear). Release builds compile none of these checks.
  const char* validate() const noexcept;
  static constexpr std::size_t kDebugValidateLimit = 1024;

  // Processes every tick up to `now`, calling on_expire(entry) for each entry due, in deadline
  // order. The entry is unlinked before the call, so the callback may reuse or free it.
  template <class F>
  void advance(std::uint64_t now, F&& on_expire) {
    while (true) {
      auto exp = next_slot();
      if (!exp || exp->deadline > now) break;
      elapsed_ = exp->deadline;
      TimerEntry* list = take_slot(exp->level, exp->slot);
      while (list) {
        TimerEntry* e = list;
        list = e->next;
        e->prev = e->next = nullptr;
        if (e->deadline <= elapsed_) {
          --count_;
          on_expire(e);
        } else {
          link(e);  // cascades to a lower level
#ifndef NDEBUG
          debug_check(check_entry(e, e->level, e->slot));
#endif
        }
      }
    }
    if (now > elapsed_) elapsed_ = now;
#ifndef NDEBUG
    if (count_ <= kDebugValidateLimit) debug_check(validate());
#endif
  }

 private:
  struct Expiration {
    unsigned level;
    unsigned slot;
    std::uint64_t deadline;
  };
  std::optional<Expiration> next_slot() const noexcept;
  TimerEntry* take_slot(unsigned level, unsigned slot) noexcept;
  void link(TimerEntry* e) noexcept;
  // The invariants of one entry found in the list of (level, slot), and of that list's head.
  const char* check_entry(const TimerEntry* e, unsigned level, unsigned slot) const noexcept;
  const char* check_slot_head(unsigned level, unsigned slot) const noexcept;
#ifndef NDEBUG
  // Aborts with `why` unless it is null.
  static void debug_check(const char* why) noexcept;
#endif

  std::uint64_t elapsed_ = 0;
  std::size_t count_ = 0;
  std::array<std::uint64_t, kLevels> occupied_{};
  std::array<std::array<TimerEntry*, kSlots>, kLevels> slots_{};
};

}  // namespace strata::detail
