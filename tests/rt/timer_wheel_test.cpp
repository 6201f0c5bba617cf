// detail::TimerWheel, tested directly as a data structure against a simple model: every entry
// fires exactly once, never before its deadline, at the first advance() whose `now` reaches it,
// and in non-decreasing deadline order; removed entries never fire; next_expiration() never
// overshoots the earliest deadline; validate() finds no broken invariant after any advance, and
// does find each kind of corruption planted in a wheel.
#include "strata/rt/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace strata::detail {
namespace {

constexpr std::uint64_t kMax = TimerWheel::kMaxDuration;  // 64^6 - 1 ms

// A wheel plus a model of what it must do. Entries live in a vector that never reallocates (the
// wheel holds pointers to them); each entry is inserted at most once.
class Harness {
 public:
  enum Status : std::uint8_t { kIdle, kPending, kFired, kRemoved };

  explicit Harness(std::size_t n) : entries_(n), status_(n, kIdle) {}

  TimerWheel& wheel() { return wheel_; }
  TimerEntry& entry(std::size_t i) { return entries_[i]; }
  Status status(std::size_t i) const { return static_cast<Status>(status_[i]); }
  std::size_t pending() const { return pending_; }
  std::size_t fired() const { return fired_; }
  std::size_t errors() const { return errors_; }

  // Inserts entry i; the wheel must refuse exactly the deadlines that are already processed.
  bool insert(std::size_t i, std::uint64_t deadline) {
    TimerEntry& e = entries_[i];
    e.deadline = deadline;
    const bool expect = deadline > wheel_.elapsed();
    const bool ok = wheel_.insert(&e);
    if (ok != expect) fail() << "insert(" << deadline << ") at elapsed " << wheel_.elapsed();
    if (ok) {
      status_[i] = kPending;
      ++pending_;
      heap_.push({deadline, i});
    }
    return ok;
  }

  void remove(std::size_t i) {
    wheel_.remove(&entries_[i]);
    if (status_[i] == kPending) {
      status_[i] = kRemoved;
      --pending_;
    }
  }

  // Advances to `now` and checks every firing and the state afterwards.
  void advance(std::uint64_t now) {
    const std::uint64_t before = wheel_.elapsed();
    std::uint64_t last = 0;
    wheel_.advance(now, [&](TimerEntry* e) {
      const std::size_t i = static_cast<std::size_t>(e - entries_.data());
      if (status_[i] != kPending) {
        fail() << "entry " << i << " fired in status " << int(status_[i]);
        return;
      }
      if (e->deadline > now) fail() << "early: deadline " << e->deadline << " fired at now=" << now;
      if (e->deadline <= before) {
        fail() << "late: deadline " << e->deadline << " fired at now=" << now << " (previous now "
               << before << ")";
      }
      if (e->deadline < last) fail() << "out of order: " << e->deadline << " after " << last;
      if (e->linked || e->next || e->prev) fail() << "fired entry still linked";
      last = e->deadline;
      status_[i] = kFired;
      --pending_;
      ++fired_;
    });
    check(now);
  }

  // Post-conditions of an advance to `now`.
  void check(std::uint64_t now) {
    // A full validate() is O(size): on big wheels every 16th check does it, so that the
    // million-entry run stays within a few seconds.
    if (wheel_.size() <= 20'000 || ++checks_ % 16 == 0) {
      if (const char* why = wheel_.validate()) fail() << "validate() at now=" << now << ": " << why;
    }
    if (wheel_.elapsed() != now) fail() << "elapsed " << wheel_.elapsed() << " != now " << now;
    if (wheel_.size() != pending_) fail() << "size " << wheel_.size() << " != model " << pending_;
    while (!heap_.empty() && status_[heap_.top().second] != kPending) heap_.pop();
    auto next = wheel_.next_expiration();
    if (heap_.empty()) {
      if (next) fail() << "next_expiration " << *next << " on an empty wheel";
      if (!wheel_.empty()) fail() << "wheel not empty";
      return;
    }
    const auto [earliest, idx] = heap_.top();
    if (earliest <= now) fail() << "late: deadline " << earliest << " still pending at now=" << now;
    if (!next) {
      fail() << "no next_expiration with " << pending_ << " pending";
      return;
    }
    if (*next > earliest)
      fail() << "next_expiration " << *next << " later than earliest deadline " << earliest;
    if (*next <= now) fail() << "next_expiration " << *next << " not after now=" << now;
    if (entries_[idx].level == 0 && *next != earliest) {
      fail() << "next_expiration " << *next << " != level-0 earliest deadline " << earliest;
    }
  }

 private:
  // Reports the first few problems only: a broken wheel would otherwise print a million lines.
  struct Sink {
    bool on;
    std::ostringstream os;
    template <class T>
    Sink& operator<<(const T& v) {
      if (on) os << v;
      return *this;
    }
    ~Sink() {
      if (on) ADD_FAILURE() << os.str();
    }
  };
  Sink fail() { return Sink{errors_++ < 10, {}}; }

  TimerWheel wheel_;
  std::vector<TimerEntry> entries_;
  std::vector<std::uint8_t> status_;
  using Item = std::pair<std::uint64_t, std::size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap_;
  std::size_t pending_ = 0;
  std::size_t fired_ = 0;
  std::size_t errors_ = 0;
  std::size_t checks_ = 0;
};

// Deadlines spread over every level: mostly near, some far.
std::uint64_t random_deadline(std::mt19937_64& rng, std::uint64_t from) {
  switch (rng() % 4) {
    case 0:
      return from + 1 + rng() % 64;
    case 1:
      return from + 1 + rng() % 4096;
    case 2:
      return from + 1 + rng() % (1u << 20);
    default:
      return from + 1 + rng() % (std::uint64_t{1} << 32);
  }
}

// Steps that are single milliseconds early on and grow with the elapsed time, so that a run
// reaches far deadlines in a few hundred advances while still hitting every slot boundary kind.
std::uint64_t random_step(std::mt19937_64& rng, std::uint64_t elapsed) {
  return 1 + rng() % (64 + elapsed / 4);
}

TEST(TimerWheel, MillionRandomDeadlinesFireOnceInOrderAtTheFirstAdvanceReachingThem) {
  constexpr std::size_t kN = 1'000'000;
  Harness h(kN);
  std::mt19937_64 rng(12345);
  for (std::size_t i = 0; i < kN; ++i) ASSERT_TRUE(h.insert(i, random_deadline(rng, 0)));
  EXPECT_EQ(h.wheel().size(), kN);
  h.check(0);
  std::size_t advances = 0;
  while (h.pending() && h.errors() == 0) {
    h.advance(h.wheel().elapsed() + random_step(rng, h.wheel().elapsed()));
    ++advances;
  }
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.fired(), kN);
  EXPECT_TRUE(h.wheel().empty());
  EXPECT_GT(advances, 100u);
}

TEST(TimerWheel, RemovedEntriesNeverFire) {
  constexpr std::size_t kN = 200'000;
  Harness h(kN);
  std::mt19937_64 rng(777);
  for (std::size_t i = 0; i < kN; ++i) ASSERT_TRUE(h.insert(i, random_deadline(rng, 0)));
  // Half of the entries go before anything runs, more while the wheel advances (some of them
  // already cascaded to lower levels by then).
  std::size_t removed = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    if (rng() % 2) {
      h.remove(i);
      ++removed;
    }
  }
  h.check(0);
  while (h.pending() && h.errors() == 0) {
    for (int k = 0; k < 50; ++k) {
      std::size_t i = rng() % kN;
      if (h.status(i) == Harness::kPending) {
        h.remove(i);
        ++removed;
      }
    }
    h.advance(h.wheel().elapsed() + random_step(rng, h.wheel().elapsed()));
  }
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.fired() + removed, kN);
  EXPECT_GT(h.fired(), 0u);
  // Removing again (unlinked entries) is a no-op.
  for (std::size_t i = 0; i < 100; ++i) h.wheel().remove(&h.entry(i));
  EXPECT_TRUE(h.wheel().empty());
}

TEST(TimerWheel, InterleavedInsertsRemovesAndAdvancesMatchTheModel) {
  constexpr std::size_t kN = 300'000;
  Harness h(kN);
  std::mt19937_64 rng(4242);
  std::size_t next = 0;
  while (next < kN && h.errors() == 0) {
    for (int k = 0; k < 1000 && next < kN; ++k)
      h.insert(next++, random_deadline(rng, h.wheel().elapsed()));
    for (int k = 0; k < 100; ++k) {
      std::size_t i = rng() % next;
      if (h.status(i) == Harness::kPending) h.remove(i);
    }
    h.advance(h.wheel().elapsed() + 1 + rng() % 5000);
  }
  while (h.pending() && h.errors() == 0)
    h.advance(h.wheel().elapsed() + random_step(rng, h.wheel().elapsed()));
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.pending(), 0u);
  EXPECT_GT(h.fired(), kN / 2);
}

// A wheel whose entries an outside hand corrupts, one invariant at a time; each corruption is
// undone before the next so that validate() must name the right one.
TEST(TimerWheel, ValidateReportsEachBrokenInvariant) {
  TimerWheel w;
  std::vector<TimerEntry> es(3);
  es[0].deadline = 10;    // level 0
  es[1].deadline = 10;    // same slot, ahead of es[0] in the list
  es[2].deadline = 5000;  // level 2
  for (auto& e : es) ASSERT_TRUE(w.insert(&e));
  ASSERT_EQ(w.validate(), nullptr);
  ASSERT_EQ(es[1].next, &es[0]);
  auto expect_broken = [&](const char* what) {
    const char* why = w.validate();
    ASSERT_NE(why, nullptr) << what;
    EXPECT_NE(std::string(why).find(what), std::string::npos) << why;
  };

  es[2].deadline = 5000 + 64 * 64;  // belongs in a later level-2 slot
  expect_broken("not in the slot its deadline maps to");
  es[2].deadline = 4000;  // its slot starts at 4096: it would fire late
  expect_broken("starts after its deadline");
  es[2].deadline = 5000;

  es[0].slot = 11;
  expect_broken("level/slot name another list");
  es[0].slot = 10;

  es[0].prev = nullptr;
  expect_broken("next entry's prev link does not point back");
  es[0].prev = &es[1];

  es[1].prev = &es[0];
  expect_broken("head of a slot list has a prev link");
  es[1].prev = nullptr;

  es[1].next = nullptr;  // drops es[0] from the list
  expect_broken("size() counts more entries");
  es[1].next = &es[0];

  es[0].next = &es[1];  // a cycle
  expect_broken("next entry's prev link does not point back");
  es[0].next = nullptr;

  es[0].linked = false;
  expect_broken("not marked linked");
  es[0].linked = true;

  w.advance(5, [](TimerEntry*) { ADD_FAILURE() << "nothing due"; });
  es[0].deadline = 5;  // as if due and not fired
  expect_broken("due at or before elapsed()");
  es[0].deadline = 10;

  EXPECT_EQ(w.validate(), nullptr);
  std::size_t fired = 0;
  w.advance(5000, [&](TimerEntry*) { ++fired; });
  EXPECT_EQ(fired, 3u);
  EXPECT_EQ(w.validate(), nullptr);
}

TEST(TimerWheel, NextExpirationOfEmptyWheelIsNone) {
  TimerWheel w;
  EXPECT_FALSE(w.next_expiration());
  w.advance(1000, [](TimerEntry*) { ADD_FAILURE() << "nothing to fire"; });
  EXPECT_FALSE(w.next_expiration());
  EXPECT_EQ(w.elapsed(), 1000u);
}

TEST(TimerWheel, NextExpirationIsExactInLevelZeroAndACascadePointAbove) {
  TimerWheel w;
  TimerEntry near, far;
  near.deadline = 10;
  far.deadline = 100;
  ASSERT_TRUE(w.insert(&far));
  EXPECT_EQ(far.level, 1);
  // `far` lives in the 64..127 slot of level 1: the wheel wakes at 64 to cascade it.
  EXPECT_EQ(w.next_expiration(), 64u);
  ASSERT_TRUE(w.insert(&near));
  EXPECT_EQ(near.level, 0);
  EXPECT_EQ(w.next_expiration(), 10u);

  std::vector<std::uint64_t> fired;
  auto record = [&](TimerEntry* e) { fired.push_back(e->deadline); };
  w.advance(9, record);
  EXPECT_TRUE(fired.empty());
  w.advance(10, record);
  EXPECT_EQ(fired, std::vector<std::uint64_t>{10});
  EXPECT_EQ(w.next_expiration(), 64u);
  w.advance(64, record);  // cascade only
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_EQ(far.level, 0);
  EXPECT_EQ(w.next_expiration(), 100u);
  w.advance(99, record);
  EXPECT_EQ(fired.size(), 1u);
  w.advance(100, record);
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{10, 100}));
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, InsertingAnExpiredDeadlineReturnsFalse) {
  TimerWheel w;
  TimerEntry e;
  e.deadline = 0;
  EXPECT_FALSE(w.insert(&e));  // tick 0 is processed from the start
  EXPECT_FALSE(e.linked);
  w.advance(100, [](TimerEntry*) {});
  for (std::uint64_t d :
       {std::uint64_t{0}, std::uint64_t{50}, std::uint64_t{99}, std::uint64_t{100}}) {
    e.deadline = d;
    EXPECT_FALSE(w.insert(&e)) << d;
    EXPECT_FALSE(e.linked);
  }
  EXPECT_TRUE(w.empty());
  e.deadline = 101;
  EXPECT_TRUE(w.insert(&e));
  EXPECT_EQ(w.size(), 1u);
  int fired = 0;
  w.advance(101, [&](TimerEntry* f) {
    EXPECT_EQ(f, &e);
    ++fired;
  });
  EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, EntriesWithTheSameDeadlineAllFireTogether) {
  TimerWheel w;
  std::vector<TimerEntry> es(1000);
  for (auto& e : es) {
    e.deadline = 5000;
    ASSERT_TRUE(w.insert(&e));
  }
  int fired = 0;
  w.advance(4999, [&](TimerEntry*) { ++fired; });
  EXPECT_EQ(fired, 0);
  w.advance(5000, [&](TimerEntry*) { ++fired; });
  EXPECT_EQ(fired, 1000);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, CallbackMayReinsertTheFiredEntry) {
  TimerWheel w;
  TimerEntry e;
  e.deadline = 3;
  ASSERT_TRUE(w.insert(&e));
  std::vector<std::uint64_t> fired;
  for (std::uint64_t now = 1; now <= 30; ++now) {
    w.advance(now, [&](TimerEntry* f) {
      fired.push_back(f->deadline);
      if (f->deadline < 30) {
        f->deadline += 3;  // periodic: the entry was unlinked before the call
        EXPECT_TRUE(w.insert(f));
      }
    });
  }
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{3, 6, 9, 12, 15, 18, 21, 24, 27, 30}));
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, DeadlinesBeyondTheWheelRangeAreClampedAndStillFireOnTime) {
  // Far deadlines (past 64^6 ms) park in the top level and cascade until they are in range.
  constexpr std::size_t kN = 20'000;
  Harness h(kN);
  std::mt19937_64 rng(99);
  const std::uint64_t kHorizon = kMax * 5;
  h.advance(5);  // an elapsed time that is not aligned to any level
  for (std::size_t i = 0; i < kN; ++i) {
    std::uint64_t d;
    switch (i % 4) {
      case 0:
        d = kMax + 1 + rng() % (kHorizon - kMax);
        break;  // beyond the range
      case 1:
        d = 6 + rng() % kMax;
        break;  // anywhere in range
      case 2:
        d = 6 + rng() % (std::uint64_t{1} << 31);
        break;  // top level, current rotation
      default:
        d = 6 + rng() % 100'000;
        break;
    }
    ASSERT_TRUE(h.insert(i, d));
  }
  h.check(5);
  while (h.pending() && h.errors() == 0) {
    // Big random jumps, but never more than 2^34 ms, so every deadline is checked against a
    // reasonably tight window.
    std::uint64_t e = h.wheel().elapsed();
    h.advance(e + 1 + rng() % std::min<std::uint64_t>(64 + e / 2, std::uint64_t{1} << 34));
  }
  EXPECT_EQ(h.errors(), 0u);
  EXPECT_EQ(h.fired(), kN);
}

TEST(TimerWheel, ClampedEntryDoesNotHideAnEarlierTopLevelEntry) {
  // At an unaligned elapsed time, a clamped entry lands in the top level's current slot (it
  // belongs to the next rotation of that level). An entry in a later slot of the current rotation
  // is due much earlier and must not wait for the clamped one.
  TimerWheel w;
  w.advance(5, [](TimerEntry*) {});
  TimerEntry far, mid;
  far.deadline = kMax * 3;
  mid.deadline = std::uint64_t{1} << 31;
  ASSERT_TRUE(w.insert(&far));
  ASSERT_TRUE(w.insert(&mid));
  EXPECT_EQ(far.level, TimerWheel::kLevels - 1);
  EXPECT_EQ(mid.level, TimerWheel::kLevels - 1);
  ASSERT_TRUE(w.next_expiration());
  EXPECT_LE(*w.next_expiration(), mid.deadline);

  std::vector<TimerEntry*> fired;
  w.advance(mid.deadline - 1, [&](TimerEntry* e) { fired.push_back(e); });
  EXPECT_TRUE(fired.empty());
  w.advance(mid.deadline, [&](TimerEntry* e) { fired.push_back(e); });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], &mid);

  w.advance(far.deadline - 1, [&](TimerEntry* e) { fired.push_back(e); });
  EXPECT_EQ(fired.size(), 1u);
  w.advance(far.deadline, [&](TimerEntry* e) { fired.push_back(e); });
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[1], &far);
  EXPECT_TRUE(w.empty());
}

}  // namespace
}  // namespace strata::detail
