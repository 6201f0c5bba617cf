// JoinHandle<T>: awaiting a spawned task's result, abort(), is_finished(), detaching, exceptions,
// and spawning hand-written futures.
#include "strata/rt/join_handle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/flavours.hpp"
#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using test::DropCounter;
using test::Trigger;
using test::Triggered;
using TriggerPtr = std::shared_ptr<Trigger<int>>;

Task<int> value(int v) {
  co_return v;
}
Task<void> nothing() {
  co_return;
}

// Holds a DropCounter while it waits for the trigger, then returns the trigger's value.
Task<int> counted_wait(std::atomic<int>* live, TriggerPtr trig, bool* resumed) {
  DropCounter c(live);
  int v = co_await Triggered<int>(trig);
  *resumed = true;
  co_return v;
}

Task<int> throws_after_wait(TriggerPtr trig) {
  int v = co_await Triggered<int>(trig);
  throw std::runtime_error("boom " + std::to_string(v));
}

// Hand-written futures (with constructors: see test_util.hpp about g++ 12).
struct Ready42 {
  Ready42() noexcept {}
  Poll<int> poll(Context&) { return 42; }
};

// Pending `n` times, waking itself each time: exercises re-polling of a spawned leaf future.
struct Countdown {
  int left;
  int* polls;
  Countdown(int n, int* p) : left(n), polls(p) {}
  Poll<std::string> poll(Context& cx) {
    ++*polls;
    if (left-- > 0) {
      cx.waker().wake_by_ref();
      return pending;
    }
    return std::string("done");
  }
};

STRATA_TEST_ALL_FLAVOURS(JoinHandle, AwaitingTheHandleGivesTheTaskResult) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    JoinHandle<int> h = spawn(value(5));
    EXPECT_TRUE(h.valid());
    Result<int> r = co_await h;
    EXPECT_EQ(r.value_or(-1), 5);

    Result<void> v = co_await spawn(nothing());
    EXPECT_TRUE(v.has_value());

    Result<std::unique_ptr<int>> p = co_await spawn(
        []() -> Task<std::unique_ptr<int>> { co_return std::make_unique<int>(8); }());
    EXPECT_TRUE(p.has_value() && *p && **p == 8);
  }());
}

TEST(JoinHandle, AbortOfAPendingTaskGivesCancelledAndRunsItsDestructors) {
  std::atomic<int> live{0};
  bool resumed = false;
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* l, TriggerPtr tr, bool* res) -> Task<void> {
    JoinHandle<int> h = spawn(counted_wait(l, tr, res));
    co_await yield_now();  // the task runs and blocks on the trigger
    EXPECT_EQ(l->load(), 1);
    EXPECT_FALSE(h.is_finished());
    h.abort();
    Result<int> r = co_await h;
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    EXPECT_EQ(l->load(), 0);  // destroyed before the handle reported
    tr->fire(1);              // nobody is listening any more
  }(&live, trig, &resumed));
  EXPECT_FALSE(resumed);
  EXPECT_EQ(live.load(), 0);
}

TEST(JoinHandle, AbortAfterCompletionIsHarmless) {
  auto rt = Runtime::current_thread();
  rt.block_on([]() -> Task<void> {
    JoinHandle<int> h = spawn(value(3));
    co_await yield_now();
    EXPECT_TRUE(h.is_finished());
    h.abort();
    h.abort();
    EXPECT_TRUE(h.is_finished());
    Result<int> r = co_await h;
    EXPECT_EQ(r.value_or(-1), 3);  // the value, not a cancellation
  }());
}

TEST(JoinHandle, AbortTwiceBeforeTheTaskRunsCancelsOnce) {
  std::atomic<int> live{0};
  bool resumed = false;
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* l, TriggerPtr tr, bool* res) -> Task<void> {
    JoinHandle<int> h = spawn(counted_wait(l, tr, res));
    h.abort();
    h.abort();
    Result<int> r = co_await h;
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    // Never polled: the body did not even start.
    EXPECT_EQ(tr->polls.load(), 0);
  }(&live, trig, &resumed));
  EXPECT_EQ(live.load(), 0);
}

TEST(JoinHandle, IsFinishedTurnsTrueWhenTheTaskCompletes) {
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = Runtime::current_thread();
  rt.block_on([](TriggerPtr tr) -> Task<void> {
    JoinHandle<int> h = spawn(Triggered<int>(tr));
    EXPECT_FALSE(h.is_finished());
    co_await yield_now();
    EXPECT_FALSE(h.is_finished());  // polled once, pending
    tr->fire(11);
    EXPECT_FALSE(h.is_finished());  // woken, not run yet
    co_await yield_now();
    EXPECT_TRUE(h.is_finished());
    Result<int> r = co_await h;
    EXPECT_EQ(r.value_or(-1), 11);
  }(trig));
  JoinHandle<int> empty;
  EXPECT_FALSE(empty.is_finished());
  EXPECT_FALSE(empty.valid());
  empty.abort();  // no-op on an empty handle
}

Task<void> detached_worker(TriggerPtr go, TriggerPtr done, std::atomic<int>* live, int* effect) {
  DropCounter c(live);
  int v = co_await Triggered<int>(go);
  *effect = v;
  done->fire(v + 1);
}

TEST(JoinHandle, DroppingTheHandleDetachesTheTask) {
  std::atomic<int> live{0};
  int effect = 0;
  auto go = std::make_shared<Trigger<int>>();
  auto done = std::make_shared<Trigger<int>>();
  auto rt = Runtime::current_thread();
  int r = rt.block_on([](TriggerPtr g, TriggerPtr d, std::atomic<int>* l, int* e) -> Task<int> {
    {
      JoinHandle<void> h = spawn(detached_worker(g, d, l, e));
      co_await yield_now();
      EXPECT_EQ(l->load(), 1);
    }  // dropped while the task waits
    {
      // detach() is the explicit spelling of the same thing.
      auto h2 = spawn(value(1));
      h2.detach();
      EXPECT_FALSE(h2.valid());
    }
    g->fire(41);
    co_return co_await Triggered<int>(d);  // completed by the detached task
  }(go, done, &live, &effect));
  EXPECT_EQ(effect, 41);
  EXPECT_EQ(r, 42);
  EXPECT_EQ(live.load(), 0);
}

STRATA_TEST_ALL_FLAVOURS(JoinHandle, ExceptionInASpawnedTaskIsRethrownWhenAwaitingTheHandle) {
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = runtime();
  std::string what = rt.block_on([](TriggerPtr tr) -> Task<std::string> {
    JoinHandle<int> h = spawn(throws_after_wait(tr));
    co_await yield_now();
    tr->fire(7);
    try {
      (void)co_await h;
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }(trig));
  EXPECT_EQ(what, "boom 7");
}

STRATA_TEST_ALL_FLAVOURS(JoinHandle, ExceptionThrownOnTheFirstPollIsRethrown) {
  auto rt = runtime();
  bool caught = rt.block_on([]() -> Task<bool> {
    auto h = spawn([]() -> Task<int> {
      throw std::logic_error("first poll");
      co_return 0;
    }());
    try {
      (void)co_await h;
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  }());
  EXPECT_TRUE(caught);
}

STRATA_TEST_ALL_FLAVOURS(JoinHandle, BlockOnRethrowsAnExceptionFromTheRootTask) {
  auto rt = runtime();
  auto trig = std::make_shared<Trigger<int>>();
  trig->fire(1);
  EXPECT_THROW(rt.block_on(throws_after_wait(trig)), std::runtime_error);
  // The runtime is still usable afterwards.
  EXPECT_EQ(rt.block_on(value(2)), 2);
}

STRATA_TEST_ALL_FLAVOURS(JoinHandle, AHandWrittenFutureIsSpawnableAndAwaitable) {
  auto trig = std::make_shared<Trigger<int>>();
  int countdown_polls = 0;
  auto rt = runtime();
  rt.block_on([](TriggerPtr tr, int* cp) -> Task<void> {
    Result<int> a = co_await spawn(Ready42());
    EXPECT_EQ(a.value_or(-1), 42);

    JoinHandle<std::string> c = spawn(Countdown(3, cp));
    JoinHandle<int> t = spawn(Triggered<int>(tr));
    co_await yield_now();
    tr->fire(5);
    Result<std::string> cr = co_await c;
    EXPECT_EQ(cr.value_or(""), "done");
    Result<int> tr2 = co_await t;
    EXPECT_EQ(tr2.value_or(-1), 5);

    // Sleep is a hand-written future too.
    Result<void> s = co_await spawn(sleep(std::chrono::milliseconds(1)));
    EXPECT_TRUE(s.has_value());
  }(trig, &countdown_polls));
  EXPECT_EQ(countdown_polls, 4);  // three pending polls, each after one self-wake, then ready
  // A hand-written future can also be the root of block_on.
  EXPECT_EQ(rt.block_on(Ready42()), 42);
}

TEST(JoinHandle, AbortOfAPendingHandWrittenFutureDestroysIt) {
  std::atomic<int> live{0};
  struct CountedNever {
    DropCounter c;
    test::Never n;
    explicit CountedNever(std::atomic<int>* l) : c(l) {}
    Poll<void> poll(Context& cx) { return n.poll(cx); }
  };
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* l) -> Task<void> {
    JoinHandle<void> h = spawn(CountedNever(l));
    co_await yield_now();
    EXPECT_EQ(l->load(), 1);
    h.abort();
    Result<void> r = co_await h;
    EXPECT_TRUE(!r && r.error() == Errc::cancelled);
    EXPECT_EQ(l->load(), 0);
  }(&live));
  EXPECT_EQ(live.load(), 0);
}

STRATA_TEST_ALL_FLAVOURS(JoinHandle, ManyAwaitersInTurnEachSeeTheirOwnTask) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < 100; ++i) hs.push_back(spawn(value(i)));
    // Awaiting in reverse order: handles of tasks that are already finished are ready at once.
    int sum = 0;
    for (int i = 99; i >= 0; --i) {
      Result<int> r = co_await hs[static_cast<std::size_t>(i)];
      EXPECT_EQ(r.value_or(-1), i);
      sum += r.value_or(0);
    }
    EXPECT_EQ(sum, 4950);
  }());
}

}  // namespace
}  // namespace strata
