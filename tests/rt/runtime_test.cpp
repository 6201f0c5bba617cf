#include "strata/rt/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support/flavours.hpp"
#include "rt_test_util.hpp"
#include "strata/rt.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;
using namespace test;  // rt_test_util.hpp: value(), result_of(), Log, TriggerPtr, ...

// Copies the polling task's waker out, then completes.
struct GrabWaker {
  Waker* out;
  explicit GrabWaker(Waker* o) : out(o) {}
  Poll<void> poll(Context& cx) {
    *out = cx.waker();
    return ready;
  }
};

Task<int> counted_never(DropCounter c) {
  co_await test::Never();
  (void)c;
  co_return -1;
}

STRATA_TEST_ALL_FLAVOURS(Runtime, BlockOnReturnsTheValue) {
  auto rt = runtime();
  EXPECT_EQ(rt.block_on(value(3)), 3);
}

STRATA_TEST_ALL_FLAVOURS(Runtime, SpawnFromInsideATask) {
  auto rt = runtime();
  int r = rt.block_on([]() -> Task<int> {
    auto h1 = spawn(value(1));
    auto h2 = spawn(value(2));
    auto a = co_await h1;
    auto b = co_await h2;
    co_return *a + *b;
  }());
  EXPECT_EQ(r, 3);
}

TEST(Runtime, SpawnOutsideARuntimeThrows) {
  EXPECT_THROW((void)spawn(value(1)), std::logic_error);
}

Task<void> yielder(std::string name, int steps, Log* log) {
  for (int i = 0; i < steps; ++i) {
    log->push_back(name + std::to_string(i));
    co_await yield_now();
  }
}

TEST(Runtime, YieldNowLetsOtherTasksRun) {
  Log log;
  auto rt = Runtime::current_thread();
  rt.block_on([](Log* l) -> Task<void> {
    JoinHandle<void> a = spawn(yielder("A", 3, l));
    JoinHandle<void> b = spawn(yielder("B", 3, l));
    (void)co_await a;
    (void)co_await b;
  }(&log));
  EXPECT_EQ(log, (Log{"A0", "B0", "A1", "B1", "A2", "B2"}));
}

Task<void> log_id(int id, Log* log) {
  log->push_back(std::to_string(id));
  co_return;
}

TEST(Runtime, SpawnedTasksFirstRunInSpawnOrder) {
  Log log;
  auto rt = Runtime::current_thread();
  rt.block_on([](Log* l) -> Task<void> {
    std::vector<JoinHandle<void>> hs;
    for (int i = 0; i < 5; ++i) hs.push_back(spawn(log_id(i, l)));
    for (auto& h : hs) (void)co_await h;
  }(&log));
  EXPECT_EQ(log, (Log{"0", "1", "2", "3", "4"}));
}

STRATA_TEST_ALL_FLAVOURS(Runtime, AWakeFromAForeignThreadUnparksTheRuntime) {
  auto trig = std::make_shared<Trigger<int>>();
  // Fires once the runtime has polled the trigger and, with nothing else to do, parked.
  std::thread firer([trig] {
    while (trig->polls.load() == 0) std::this_thread::yield();
    std::this_thread::sleep_for(20ms);
    trig->fire(5);
  });
  auto rt = runtime();
  int v = rt.block_on(Triggered<int>(trig));
  firer.join();
  EXPECT_EQ(v, 5);
  EXPECT_EQ(trig->polls.load(), 2);
}

STRATA_TEST_ALL_FLAVOURS(Runtime, ManyForeignWakesInARowAreAllDelivered) {
  // Ping-pong with another thread: each round the task waits, the thread fires. Some fires find
  // the runtime parked, others running; none may be lost (the test would hang).
  constexpr int kRounds = 500;
  std::vector<TriggerPtr> trigs;
  for (int i = 0; i < kRounds; ++i) trigs.push_back(std::make_shared<Trigger<int>>());
  std::thread firer([&trigs] {
    for (int i = 0; i < kRounds; ++i) {
      while (trigs[static_cast<std::size_t>(i)]->polls.load() == 0) std::this_thread::yield();
      trigs[static_cast<std::size_t>(i)]->fire(i);
    }
  });
  auto rt = runtime();
  long long sum = rt.block_on([](std::vector<TriggerPtr>* ts) -> Task<long long> {
    long long s = 0;
    for (auto& t : *ts) s += co_await Triggered<int>(t);
    co_return s;
  }(&trigs));
  firer.join();
  EXPECT_EQ(sum, static_cast<long long>(kRounds) * (kRounds - 1) / 2);
}

Task<int> report_thread(std::shared_ptr<Trigger<std::thread::id>> done, int v) {
  done->fire(std::this_thread::get_id());
  co_return v;
}

TEST(Runtime, HandleSpawnFromAnotherThreadRunsTheTaskOnTheRuntimeThread) {
  auto rt = Runtime::current_thread();
  Handle handle = rt.handle();
  auto done = std::make_shared<Trigger<std::thread::id>>();
  JoinHandle<int> remote;
  std::thread spawner([&] {
    while (done->polls.load() == 0) std::this_thread::yield();  // the runtime is waiting
    remote = handle.spawn(report_thread(done, 41));
  });
  std::thread::id ran_on = rt.block_on(Triggered<std::thread::id>(done));
  spawner.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(remote.is_finished());
  EXPECT_EQ(result_of(remote).value_or(-1), 41);
}

TEST(Runtime, HandleSpawnBeforeTheRuntimeRunsIsRunByTheNextBlockOn) {
  auto rt = Runtime::current_thread();
  JoinHandle<int> j;
  std::thread([&j, h = rt.handle()]() mutable { j = h.spawn(value(8)); }).join();
  EXPECT_FALSE(j.is_finished());
  int v = rt.block_on([](JoinHandle<int> h) -> Task<int> {
    Result<int> r = co_await h;
    co_return r.value_or(-1);
  }(std::move(j)));
  EXPECT_EQ(v, 8);
}

Task<int> value_after_sleep(int v) {
  co_await sleep(2ms);
  co_return v;
}

STRATA_TEST_ALL_FLAVOURS(Runtime, AwaitingATaskOfAnotherRuntimeOnAnotherThread) {
  // Runtime B runs on its own thread; a task of runtime A spawns onto B through a Handle and
  // awaits the JoinHandle: B's thread completes the task and wakes A's task remotely.
  auto stop = std::make_shared<Trigger<int>>();
  std::promise<Handle> handle_b;
  std::thread b_thread([this, stop, &handle_b] {
    auto rt_b = runtime();
    handle_b.set_value(rt_b.handle());
    rt_b.block_on(Triggered<int>(stop));
  });
  Handle hb = handle_b.get_future().get();
  auto rt_a = runtime();
  int sum = rt_a.block_on([](Handle b) -> Task<int> {
    int s = 0;
    for (int i = 0; i < 20; ++i) {
      Result<int> r = co_await b.spawn(value_after_sleep(i));
      s += r.value_or(-1000);
    }
    co_return s;
  }(hb));
  stop->fire(0);
  b_thread.join();
  EXPECT_EQ(sum, 190);
}

Task<int> counted_value(DropCounter c, int v) {
  co_await yield_now();
  (void)c;
  co_return v;
}

STRATA_TEST_ALL_FLAVOURS(Runtime, SpawningFromAnotherThreadWhileTheRuntimeShutsDownIsSafe) {
  constexpr int kN = 20'000;
  std::atomic<int> live{0};
  std::atomic<int> spawned{0};
  std::vector<JoinHandle<int>> hs;
  hs.reserve(kN);
  std::thread spammer;
  {
    auto rt = runtime();
    spammer = std::thread([&, h = rt.handle()]() mutable {
      for (int i = 0; i < kN; ++i) {
        // Odd tasks never finish on their own: shutdown must cancel them.
        hs.push_back(h.spawn(i % 2 ? counted_never(DropCounter(&live))
                                   : counted_value(DropCounter(&live), i)));
        spawned.store(i + 1);
      }
    });
    while (spawned.load() < kN / 4) std::this_thread::yield();
    rt.block_on(yield_now());  // runs some of them
    while (spawned.load() < kN / 2) std::this_thread::yield();
  }  // shut down while the other thread keeps spawning
  spammer.join();
  EXPECT_EQ(live.load(), 0);
  int values = 0, cancelled = 0;
  for (int i = 0; i < kN; ++i) {
    JoinHandle<int>& h = hs[static_cast<std::size_t>(i)];
    EXPECT_TRUE(h.is_finished());
    Result<int> r = result_of(h);
    if (r) {
      EXPECT_EQ(*r, i);
      EXPECT_EQ(i % 2, 0);
      ++values;
    } else {
      EXPECT_TRUE(is_cancelled(r));
      ++cancelled;
    }
  }
  EXPECT_EQ(values + cancelled, kN);
  EXPECT_GE(cancelled, kN / 2);
}

Task<int> counting(int i, std::atomic<int>* ran) {
  ran->fetch_add(1, std::memory_order_relaxed);
  co_return i;
}

STRATA_TEST_ALL_FLAVOURS(Runtime, AHundredThousandSpawnedTasksAllComplete) {
  constexpr int kN = 100'000;
  std::atomic<int> ran{0};
  auto rt = runtime();
  long long sum = rt.block_on([](std::atomic<int>* r) -> Task<long long> {
    std::vector<JoinHandle<int>> hs;
    hs.reserve(kN);
    for (int i = 0; i < kN; ++i) hs.push_back(spawn(counting(i, r)));
    long long s = 0;
    for (auto& h : hs) {
      Result<int> x = co_await h;
      s += x.value_or(-1'000'000);
    }
    co_return s;
  }(&ran));
  EXPECT_EQ(ran.load(), kN);
  EXPECT_EQ(sum, static_cast<long long>(kN) * (kN - 1) / 2);
}

// Bounds the spinners below, so that a starved task fails the test instead of hanging it.
constexpr int kMaxSpins = 10'000'000;

Task<int> spin_until(const std::atomic<bool>* flag, int max_rounds) {
  int n = 0;
  while (!flag->load() && n < max_rounds) {
    ++n;
    co_await yield_now();
  }
  co_return n;
}

Task<void> set_on_trigger(TriggerPtr trig, std::atomic<bool>* flag) {
  co_await Triggered<int>(trig);
  flag->store(true);
}

STRATA_TEST_ALL_FLAVOURS(Runtime, RemoteWakesAreServedWhileLocalTasksStayBusy) {
  // A task that yields forever keeps the local queue non-empty; the injection queue must still
  // be served (global_queue_interval), or the spinner would exhaust its rounds.
  auto trig = std::make_shared<Trigger<int>>();
  std::thread firer([trig] {
    while (trig->polls.load() == 0) std::this_thread::yield();
    trig->fire(1);
  });
  auto rt = runtime();
  int rounds = rt.block_on([](TriggerPtr tr) -> Task<int> {
    std::atomic<bool> flag{false};
    JoinHandle<void> setter = spawn(set_on_trigger(tr, &flag));
    Result<int> r = co_await spawn(spin_until(&flag, kMaxSpins));
    (void)co_await setter;
    co_return r.value_or(kMaxSpins);
  }(trig));
  firer.join();
  EXPECT_LT(rounds, kMaxSpins);
}

Task<void> set_after_sleep(std::atomic<bool>* flag) {
  co_await sleep(2ms);
  flag->store(true);
}

STRATA_TEST_ALL_FLAVOURS(Runtime, TimersFireWhileLocalTasksStayBusy) {
  auto rt = runtime();
  int rounds = rt.block_on([]() -> Task<int> {
    std::atomic<bool> flag{false};
    JoinHandle<void> setter = spawn(set_after_sleep(&flag));
    Result<int> r = co_await spawn(spin_until(&flag, kMaxSpins));
    (void)co_await setter;
    co_return r.value_or(kMaxSpins);
  }());
  EXPECT_LT(rounds, kMaxSpins);
}

STRATA_TEST_ALL_FLAVOURS(Runtime, AWakerKeptAfterItsTaskAndItsRuntimeAreGoneIsSafeToUse) {
  Waker finished, cancelled;
  {
    auto rt = runtime();
    rt.block_on([](Waker* f, Waker* c) -> Task<void> {
      co_await GrabWaker(f);  // this (root) task's waker
      JoinHandle<void> h = spawn([](Waker* w) -> Task<void> {
        co_await GrabWaker(w);
        co_await test::Never();  // still pending when the runtime goes away
      }(c));
      co_await yield_now();
    }(&finished, &cancelled));
    ASSERT_TRUE(finished);
    ASSERT_TRUE(cancelled);
    finished.wake_by_ref();  // its task is complete: a no-op
  }
  // Both tasks and the runtime are gone; the wakers keep their cells (and the scheduler) alive.
  finished.wake_by_ref();
  Waker copy = finished;
  std::move(copy).wake();
  std::thread([w = cancelled]() mutable {
    w.wake_by_ref();
    Waker w2 = w;
    std::move(w).wake();
    w2.reset();
  }).join();
  cancelled.wake_by_ref();
  finished.reset();
  cancelled.reset();  // the last references: frees the cells, then the runtime's scheduler
  EXPECT_FALSE(finished);
}

Task<int> sleeping_counted(DropCounter c) {
  co_await sleep(1h);
  (void)c;
  co_return 1;
}

Task<int> trigger_counted(DropCounter c, TriggerPtr trig) {
  int v = co_await Triggered<int>(trig);
  (void)c;
  co_return v;
}

STRATA_TEST_ALL_FLAVOURS(Runtime,
                         DroppingTheRuntimeDestroysPendingFuturesAndTheirHandlesReportCancelled) {
  std::atomic<int> live{0};
  auto trig = std::make_shared<Trigger<int>>();
  std::vector<JoinHandle<int>> hs;
  {
    auto rt = runtime();
    hs = rt.block_on([](std::atomic<int>* l, TriggerPtr tr) -> Task<std::vector<JoinHandle<int>>> {
      std::vector<JoinHandle<int>> v;
      v.push_back(spawn(counted_never(DropCounter(l))));
      v.push_back(spawn(sleeping_counted(DropCounter(l))));
      v.push_back(spawn(trigger_counted(DropCounter(l), tr)));
      co_await yield_now();                               // the three are suspended
      v.push_back(spawn(counted_never(DropCounter(l))));  // this one never ran: still queued
      co_return v;
    }(&live, trig));
    EXPECT_EQ(live.load(), 4);
    for (auto& h : hs) EXPECT_FALSE(h.is_finished());
  }
  EXPECT_EQ(live.load(), 0);
  for (auto& h : hs) {
    EXPECT_TRUE(h.is_finished());
    EXPECT_TRUE(is_cancelled(result_of(h)));
  }
  trig->fire(1);  // the trigger still holds the dead task's waker: a no-op
}

TEST(Runtime, ShutdownDestroysTasksWokenFromOutsideOnceEach) {
  // Tasks woken or aborted from outside the runtime while it is not running wait in its
  // injection queue; they are also in its list of live tasks. Shutdown must destroy each of them
  // exactly once (and lose none of the others).
  std::atomic<int> live{0};
  std::vector<TriggerPtr> trigs;
  for (int i = 0; i < 4; ++i) trigs.push_back(std::make_shared<Trigger<int>>());
  std::vector<JoinHandle<int>> hs;
  {
    auto rt = Runtime::current_thread();
    hs = rt.block_on(
        [](std::atomic<int>* l, std::vector<TriggerPtr>* ts) -> Task<std::vector<JoinHandle<int>>> {
          std::vector<JoinHandle<int>> v;
          for (auto& t : *ts) {
            v.push_back(spawn(trigger_counted(DropCounter(l), t)));
            v.push_back(spawn(counted_never(DropCounter(l))));
          }
          co_await yield_now();  // all suspended
          co_return v;
        }(&live, &trigs));
    EXPECT_EQ(live.load(), 8);
    trigs[1]->fire(1);  // this thread runs no runtime: the wakes go through the injection queue
    trigs[3]->fire(3);
    hs[2].abort();
    std::thread([&hs] { hs[7].abort(); }).join();
  }
  EXPECT_EQ(live.load(), 0);
  for (auto& h : hs) {
    EXPECT_TRUE(h.is_finished());
    EXPECT_TRUE(is_cancelled(result_of(h)));
  }
}

STRATA_TEST_ALL_FLAVOURS(Runtime, ShutdownAlsoDestroysTasksSpawnedFromAnotherThreadThatNeverRan) {
  std::atomic<int> live{0};
  JoinHandle<int> j;
  {
    auto rt = runtime();
    std::thread([&, h = rt.handle()]() mutable {
      j = h.spawn(counted_never(DropCounter(&live)));
    }).join();
    EXPECT_EQ(live.load(), 1);
  }
  EXPECT_EQ(live.load(), 0);
  EXPECT_TRUE(is_cancelled(result_of(j)));
}

STRATA_TEST_ALL_FLAVOURS(Runtime, SpawnAfterShutdownIsRefusedWithACancelledHandle) {
  std::atomic<int> live{0};
  auto rt = runtime();
  Handle handle = rt.handle();
  JoinHandle<int> pending = rt.spawn(counted_never(DropCounter(&live)));
  EXPECT_EQ(live.load(), 1);
  rt.shutdown();
  EXPECT_EQ(live.load(), 0);
  EXPECT_TRUE(is_cancelled(result_of(pending)));

  JoinHandle<int> a = rt.spawn(counted_never(DropCounter(&live)));
  JoinHandle<int> b = handle.spawn(counted_never(DropCounter(&live)));
  JoinHandle<int> c;
  std::thread([&] { c = handle.spawn(value(1)); }).join();
  for (JoinHandle<int>* h : {&a, &b, &c}) {
    EXPECT_TRUE(h->is_finished());
    EXPECT_TRUE(is_cancelled(result_of(*h)));
  }
  EXPECT_EQ(live.load(), 0);  // refused futures are destroyed at once
  EXPECT_THROW(rt.block_on(value(1)), std::runtime_error);
}

STRATA_TEST_ALL_FLAVOURS(Runtime, SpawnViaAHandleAfterTheRuntimeIsDestroyedIsRefused) {
  std::atomic<int> live{0};
  std::optional<Handle> handle;
  {
    auto rt = runtime();
    handle.emplace(rt.handle());
  }
  JoinHandle<int> h = handle->spawn(counted_never(DropCounter(&live)));
  EXPECT_TRUE(is_cancelled(result_of(h)));
  EXPECT_EQ(live.load(), 0);
  handle.reset();  // the handle held the last reference to the scheduler
}

// Spawns, wakes and aborts from its destructor, which runs while the runtime shuts down.
struct MischiefOnDestruction {
  Handle handle;
  std::atomic<int>* live;
  int* refused;
  TriggerPtr trig;
  const JoinHandle<int>* other;
  MischiefOnDestruction(Handle h, std::atomic<int>* l, int* r, TriggerPtr t,
                        const JoinHandle<int>* o)
      : handle(std::move(h)), live(l), refused(r), trig(std::move(t)), other(o) {}
  MischiefOnDestruction(const MischiefOnDestruction&) = delete;
  ~MischiefOnDestruction() {
    JoinHandle<int> a = spawn(counted_never(DropCounter(live)));
    JoinHandle<int> b = handle.spawn(counted_never(DropCounter(live)));
    spawn(value(1)).detach();
    for (JoinHandle<int>* h : {&a, &b}) {
      Waker w = Waker::noop();
      Context cx(w);
      auto p = h->poll(cx);
      if (p.is_ready() && is_cancelled(p.take())) ++*refused;
    }
    trig->fire(1);   // wakes a task that is being (or was) shut down
    other->abort();  // aborts another pending task
  }
};

Task<int> mischief(Handle h, std::atomic<int>* live, int* refused, TriggerPtr trig,
                   const JoinHandle<int>* other) {
  MischiefOnDestruction m(std::move(h), live, refused, std::move(trig), other);
  DropCounter c(live);
  co_await test::Never();
  co_return 0;
}

STRATA_TEST_ALL_FLAVOURS(Runtime,
                         TasksThatSpawnWakeOrAbortFromDestructorsDuringShutdownDoNotCrashOrLeak) {
  std::atomic<int> live{0};
  int refused = 0;
  auto trig = std::make_shared<Trigger<int>>();
  std::vector<JoinHandle<int>> hs;
  {
    auto rt = runtime();
    hs = rt.block_on([](Handle h, std::atomic<int>* l, int* r,
                        TriggerPtr tr) -> Task<std::vector<JoinHandle<int>>> {
      std::vector<JoinHandle<int>> v;
      v.reserve(8);  // &v[0] stays valid: the buffer moves into `hs` with the vector
      v.push_back(spawn(trigger_counted(DropCounter(l), tr)));
      for (int i = 0; i < 3; ++i) v.push_back(spawn(mischief(h, l, r, tr, &v[0])));
      v.push_back(spawn(counted_never(DropCounter(l))));
      co_await yield_now();
      co_return v;
    }(rt.handle(), &live, &refused, trig));
    EXPECT_EQ(live.load(), 5);
  }
  EXPECT_EQ(refused, 6);  // two refused spawns per destroyed mischief task
  EXPECT_EQ(live.load(), 0);
  for (auto& h : hs) EXPECT_TRUE(is_cancelled(result_of(h)));
}

}  // namespace
}  // namespace strata
