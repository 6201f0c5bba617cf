// sleep(), sleep_until(), interval() and timeout() on a real runtime. Every check compares
// instants the runtime returned or observed (a timer never completes before its deadline); none
// measures how long something took.
#include "strata/rt/time.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../support/flavours.hpp"
#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

Task<int> value(int v) {
  co_return v;
}

// Polls a future once and reports whether it was pending (arms a Sleep without awaiting it).
template <class F>
struct PollOnce {
  F* fut;
  explicit PollOnce(F* f) : fut(f) {}
  Poll<bool> poll(Context& cx) { return fut->poll(cx).is_pending(); }
};

std::size_t pending_timers() {
  return detail::current_context()->timers->pending();
}

STRATA_TEST_ALL_FLAVOURS(Time, SleepUntilNeverCompletesBeforeTheDeadline) {
  auto rt = runtime();
  int early = rt.block_on([]() -> Task<int> {
    int n = 0;
    for (int ms : {0, 1, 2, 3, 5, 8, 13, 21}) {
      const Instant deadline = Clock::now() + std::chrono::milliseconds(ms);
      co_await sleep_until(deadline);
      if (Clock::now() < deadline) ++n;
    }
    co_return n;
  }());
  EXPECT_EQ(early, 0);
}

STRATA_TEST_ALL_FLAVOURS(Time, SleepNeverCompletesBeforeItsDuration) {
  auto rt = runtime();
  int early = rt.block_on([]() -> Task<int> {
    int n = 0;
    for (auto d : {1ms, 4ms, 10ms}) {
      const Instant before = Clock::now();
      Sleep s = sleep(d);
      EXPECT_GE(s.deadline(), before + d);
      co_await s;
      EXPECT_TRUE(s.is_elapsed());
      if (Clock::now() < before + d) ++n;
    }
    co_return n;
  }());
  EXPECT_EQ(early, 0);
}

Task<void> sleep_and_check(Instant deadline, std::atomic<int>* early, std::atomic<int>* done) {
  co_await sleep_until(deadline);
  if (Clock::now() < deadline) early->fetch_add(1);
  done->fetch_add(1);
}

STRATA_TEST_ALL_FLAVOURS(Time, ManyConcurrentSleepsEachCompleteAtOrAfterTheirDeadline) {
  constexpr int kTasks = 500;
  std::atomic<int> early{0}, done{0};
  auto rt = runtime();
  rt.block_on([](std::atomic<int>* e, std::atomic<int>* d) -> Task<void> {
    std::mt19937 rng(1);
    const Instant start = Clock::now();
    std::vector<JoinHandle<void>> hs;
    for (int i = 0; i < kTasks; ++i) {
      // Sub-millisecond offsets too: deadlines between two ticks must round up, not down.
      auto offset = std::chrono::microseconds(rng() % 40'000);
      hs.push_back(spawn(sleep_and_check(start + offset, e, d)));
    }
    for (auto& h : hs) {
      Result<void> r = co_await h;
      EXPECT_TRUE(r.has_value());
    }
  }(&early, &done));
  EXPECT_EQ(done.load(), kTasks);
  EXPECT_EQ(early.load(), 0);
}

STRATA_TEST_ALL_FLAVOURS(Time, ZeroAndPastDeadlinesCompleteAtOnce) {
  auto rt = runtime();
  int polls = rt.block_on([]() -> Task<int> {
    co_await sleep(0ms);
    co_await sleep(-5ms);
    co_await sleep_until(Clock::now() - 1h);
    co_await sleep_until(Instant{});
    // None of them was armed: nothing is left in the timer wheel.
    EXPECT_EQ(pending_timers(), 0u);
    Sleep s = sleep(0ms);
    bool was_pending = co_await PollOnce<Sleep>(&s);
    co_return was_pending ? 1 : 0;
  }());
  EXPECT_EQ(polls, 0);
}

TEST(Time, ElapsedSleepIsReadyEvenOutsideARuntime) {
  Waker w = Waker::noop();
  Context cx(w);
  Sleep past = sleep_until(Clock::now() - 1ms);
  EXPECT_TRUE(past.poll(cx).is_ready());
  EXPECT_TRUE(past.is_elapsed());
  Sleep future = sleep(1h);
  EXPECT_THROW((void)future.poll(cx), std::logic_error);
}

STRATA_TEST_ALL_FLAVOURS(Time, SleepResetMovesTheDeadline) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    Sleep s = sleep(1h);
    EXPECT_TRUE(co_await PollOnce<Sleep>(&s));  // armed for an hour
    EXPECT_EQ(pending_timers(), 1u);
    const Instant d1 = Clock::now() + 3ms;
    s.reset(d1);  // disarmed; re-armed by the next poll
    EXPECT_EQ(pending_timers(), 0u);
    EXPECT_FALSE(s.is_elapsed());
    co_await s;
    EXPECT_GE(Clock::now(), d1);
    const Instant d2 = Clock::now() + 2ms;
    s.reset(d2);  // reset after completion: pending again
    EXPECT_FALSE(s.is_elapsed());
    co_await s;
    EXPECT_GE(Clock::now(), d2);
    EXPECT_EQ(s.deadline(), d2);
  }());
}

STRATA_TEST_ALL_FLAVOURS(Time, IntervalTicksAtStartThenEveryPeriod) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    const Duration p = 5ms;
    const Instant start = Clock::now() + 2ms;
    Interval iv = interval_at(start, p);
    EXPECT_EQ(iv.period(), p);
    for (int k = 0; k < 5; ++k) {
      Instant t = co_await iv.tick();
      // The default policy (burst) keeps the grid even if this thread was slow.
      EXPECT_EQ(t, start + k * p) << k;
      EXPECT_GE(Clock::now(), t) << k;
    }
  }());
}

STRATA_TEST_ALL_FLAVOURS(Time, IntervalFirstTickCompletesAtOnce) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    Interval iv = interval(1h);
    const Instant before = Clock::now();
    Instant t = co_await iv.tick();
    EXPECT_LE(t, before);  // the start instant, already reached
    EXPECT_EQ(pending_timers(), 0u);
  }());
}

TEST(Time, IntervalRejectsANonPositivePeriod) {
  EXPECT_THROW((void)interval(0ms), std::invalid_argument);
  EXPECT_THROW((void)interval(-1ms), std::invalid_argument);
}

// What a late interval returned: the ticks, the start, and the window in which the late tick was
// observed (the policy computes the next tick from that moment).
struct LateRun {
  Instant start;
  Instant before_late;
  Instant after_late;
  std::vector<Instant> ticks;
  int early = 0;
};

constexpr Duration kPeriod = 20ms;

// Tick 0 at `start`; then the thread blocks for 3.5 periods, so ticks start+p .. start+3p are
// missed; then three more ticks.
Task<void> run_late_interval(MissedTickBehavior b, LateRun* out) {
  out->start = Clock::now();
  Interval iv(out->start, kPeriod, b);
  out->ticks.push_back(co_await iv.tick());
  std::this_thread::sleep_for(3 * kPeriod + kPeriod / 2);
  out->before_late = Clock::now();
  out->ticks.push_back(co_await iv.tick());
  out->after_late = Clock::now();
  for (int k = 0; k < 2; ++k) {
    Instant t = co_await iv.tick();
    if (Clock::now() < t) ++out->early;
    out->ticks.push_back(t);
  }
}

LateRun late_interval(MissedTickBehavior b) {
  LateRun run;
  auto rt = Runtime::current_thread();
  rt.block_on(run_late_interval(b, &run));
  return run;
}

TEST(Time, IntervalBurstFiresMissedTicksBackToBackOnTheOriginalGrid) {
  LateRun r = late_interval(MissedTickBehavior::burst);
  ASSERT_EQ(r.ticks.size(), 4u);
  EXPECT_EQ(r.early, 0);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(r.ticks[k], r.start + k * kPeriod) << k;
  // The missed ticks were all due already: they completed without waiting.
  EXPECT_LT(r.ticks[3], r.after_late);
}

TEST(Time, IntervalDelayRestartsOnePeriodAfterTheLateTick) {
  LateRun r = late_interval(MissedTickBehavior::delay);
  ASSERT_EQ(r.ticks.size(), 4u);
  EXPECT_EQ(r.early, 0);
  EXPECT_EQ(r.ticks[0], r.start);
  EXPECT_EQ(r.ticks[1], r.start + kPeriod);  // the late tick reports its scheduled instant
  // Next = (the moment the late tick was seen) + period.
  EXPECT_GE(r.ticks[2], r.before_late + kPeriod);
  EXPECT_LE(r.ticks[2], r.after_late + kPeriod);
  EXPECT_GE(r.ticks[3], r.ticks[2] + kPeriod);
}

TEST(Time, IntervalSkipDropsMissedTicksAndStaysOnTheGrid) {
  LateRun r = late_interval(MissedTickBehavior::skip);
  ASSERT_EQ(r.ticks.size(), 4u);
  EXPECT_EQ(r.early, 0);
  EXPECT_EQ(r.ticks[0], r.start);
  EXPECT_EQ(r.ticks[1], r.start + kPeriod);
  for (int k = 2; k < 4; ++k) {
    EXPECT_EQ((r.ticks[k] - r.start) % kPeriod, Duration::zero()) << "off the grid: tick " << k;
  }
  // The next grid point after the moment the late tick was seen: start+2p and start+3p (both
  // already in the past then) are skipped.
  EXPECT_GT(r.ticks[2], r.before_late);
  EXPECT_LE(r.ticks[2], r.after_late + kPeriod);
  EXPECT_GE(r.ticks[2], r.start + 4 * kPeriod);
  EXPECT_GT(r.ticks[3], r.ticks[2]);
}

STRATA_TEST_ALL_FLAVOURS(Time, TimeoutReturnsTheValueWhenTheFutureFinishesFirst) {
  auto rt = runtime();
  auto trig = std::make_shared<test::Trigger<int>>();
  std::thread firer([trig] {
    while (trig->polls.load() == 0) std::this_thread::yield();
    trig->fire(9);
  });
  rt.block_on([](std::shared_ptr<test::Trigger<int>> tr) -> Task<void> {
    Result<int> a = co_await timeout(1h, value(5));
    EXPECT_TRUE(a.has_value());
    EXPECT_EQ(a.value_or(-1), 5);
    Result<int> b = co_await timeout(1h, test::Triggered<int>(tr));
    EXPECT_EQ(b.value_or(-1), 9);
    Result<void> c = co_await timeout(1h, sleep(1ms));
    EXPECT_TRUE(c.has_value());
    // A ready future wins even against a deadline that already passed.
    Result<int> d = co_await timeout_at(Clock::now() - 1s, value(6));
    EXPECT_EQ(d.value_or(-1), 6);
  }(trig));
  firer.join();
}

STRATA_TEST_ALL_FLAVOURS(Time, TimeoutReturnsTimedOutWhenTheDeadlinePasses) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    const Instant before = Clock::now();
    Result<void> r = co_await timeout(5ms, test::Never());
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
    EXPECT_GE(Clock::now(), before + 5ms);
    // A deadline already passed: one poll of the inner future, then the error.
    Result<void> r2 = co_await timeout_at(Clock::now() - 1ms, test::Never());
    EXPECT_FALSE(r2.has_value());
  }());
}

STRATA_TEST_ALL_FLAVOURS(Time, DroppedSleepNeverWakesItsTask) {
  auto rt = runtime();
  auto trig = std::make_shared<test::Trigger<int>>();
  // Fires well after the dropped sleep's deadline, once the task waits on the trigger.
  std::thread firer([trig] {
    while (trig->polls.load() == 0) std::this_thread::yield();
    std::this_thread::sleep_for(30ms);
    trig->fire(7);
  });
  int v = rt.block_on([](std::shared_ptr<test::Trigger<int>> tr) -> Task<int> {
    {
      Sleep s = sleep(2ms);
      EXPECT_TRUE(co_await PollOnce<Sleep>(&s));
      EXPECT_EQ(pending_timers(), 1u);
    }  // dropped while pending
    EXPECT_EQ(pending_timers(), 0u);
    co_return co_await test::Triggered<int>(tr);
  }(trig));
  firer.join();
  EXPECT_EQ(v, 7);
  // One pending poll and one after the fire: a live timer would have woken the task once more.
  EXPECT_EQ(trig->polls.load(), 2);
}

STRATA_TEST_ALL_FLAVOURS(Time, DroppingPendingSleepsRemovesThemFromTheWheel) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    for (int i = 0; i < 100; ++i) {
      Sleep s = sleep(1h);
      (void)co_await PollOnce<Sleep>(&s);
    }
    EXPECT_EQ(pending_timers(), 0u);
    co_await sleep(1ms);
  }());
}

}  // namespace
}  // namespace strata
