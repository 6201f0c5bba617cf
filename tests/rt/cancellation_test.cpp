// The cancellation and wake-up rules of DESIGN.md §4 and detail/task_cell.hpp:
// - abort() takes effect at the task's next suspension point: the current poll finishes (side
//   effects up to the next suspending co_await happen, later ones do not), then the future is
//   destroyed with every destructor run;
// - a wake-up is never lost and never doubled (a task is queued at most once, and a wake during a
//   poll re-queues it after the poll), also under concurrent wakes from many threads;
// - select losers, timed-out futures and a million sleeping tasks are all destroyed cleanly.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "../support/flavours.hpp"
#include "rt_test_util.hpp"
#include "strata/rt.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;
using namespace test;  // rt_test_util.hpp: value(), result_of(), Log, TriggerPtr, ...

#if defined(__SANITIZE_THREAD__)
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif

struct Ready42 {
  Ready42() noexcept {}
  Poll<int> poll(Context&) { return 42; }
};

std::size_t pending_timers() {
  return detail::current_context()->timers->pending();
}

Task<int> counted_forever(std::atomic<int>* live, Log* log, std::string name) {
  DropCounter c(live);
  log->push_back(name + " start");
  co_await test::Never();
  log->push_back(name + " resumed");  // never reached
  co_return -1;
}

// ---------------------------------------------------------------------------------------------
// Abort at the next suspension point.

Task<void> self_aborting(const JoinHandle<void>* self, Log* log, std::atomic<int>* live) {
  DropCounter c(live);
  log->push_back("before abort");
  self->abort();
  log->push_back("after abort");  // the current poll goes on
  int v = co_await value(1);      // completes without suspending: still the same poll
  v += co_await Ready42();
  log->push_back("after ready awaits " + std::to_string(v));
  co_await yield_now();  // suspends: the task is cancelled here
  log->push_back("after suspension");
}

STRATA_TEST_ALL_FLAVOURS(Cancellation, AbortedTaskStopsAtItsNextSuspensionPoint) {
  std::atomic<int> live{0};
  Log log;
  auto rt = runtime();
  rt.block_on([](Log* l, std::atomic<int>* lv) -> Task<void> {
    JoinHandle<void> h;
    h = spawn(self_aborting(&h, l, lv));
    Result<void> r = co_await h;
    EXPECT_TRUE(is_cancelled(r));
    EXPECT_EQ(lv->load(), 0);
  }(&log, &live));
  EXPECT_EQ(log, (Log{"before abort", "after abort", "after ready awaits 43"}));
  EXPECT_EQ(live.load(), 0);
}

Task<void> aborts_then_waits_forever(const JoinHandle<void>* self, Log* log) {
  self->abort();
  log->push_back("aborted");
  co_await test::Never();  // nothing will ever wake this, yet the abort's own wake-up ends it
  log->push_back("resumed");
}

STRATA_TEST_ALL_FLAVOURS(Cancellation, SelfAbortBeforeAnUnwakeableSuspensionStillCancels) {
  Log log;
  auto rt = runtime();
  rt.block_on([](Log* l) -> Task<void> {
    JoinHandle<void> h;
    h = spawn(aborts_then_waits_forever(&h, l));
    Result<void> r = co_await h;
    EXPECT_TRUE(is_cancelled(r));
  }(&log));
  EXPECT_EQ(log, (Log{"aborted"}));
}

// Runs until another thread has called abort(), then performs a side effect and suspends.
Task<void> aborted_while_running(std::atomic<int>* stage, Log* log, std::atomic<int>* live) {
  DropCounter c(live);
  stage->store(1);  // running: the other thread may abort now
  while (stage->load() != 2) std::this_thread::yield();
  log->push_back("rest of the poll");
  co_await test::Never();
  log->push_back("after suspension");
}

STRATA_TEST_ALL_FLAVOURS(Cancellation,
                         AbortFromAnotherThreadWhileRunningTakesEffectAtTheNextSuspension) {
  std::atomic<int> stage{0};
  std::atomic<const JoinHandle<void>*> handle{nullptr};
  std::atomic<int> live{0};
  Log log;
  std::thread aborter([&] {
    // On a multi-thread runtime the task may run before its handle is published.
    while (stage.load() != 1 || handle.load() == nullptr) std::this_thread::yield();
    handle.load()->abort();
    stage.store(2);
  });
  auto rt = runtime();
  rt.block_on([](std::atomic<int>* st, std::atomic<const JoinHandle<void>*>* hp, Log* l,
                 std::atomic<int>* lv) -> Task<void> {
    JoinHandle<void> h = spawn(aborted_while_running(st, l, lv));
    hp->store(&h);
    Result<void> r = co_await h;
    EXPECT_TRUE(is_cancelled(r));
    EXPECT_EQ(lv->load(), 0);
  }(&stage, &handle, &log, &live));
  aborter.join();
  EXPECT_EQ(log, (Log{"rest of the poll"}));
  EXPECT_EQ(live.load(), 0);
}

Task<void> nested_level(std::atomic<int>* live, int depth) {
  DropCounter c(live);
  if (depth == 0) {
    co_await test::Never();
  } else {
    co_await nested_level(live, depth - 1);
  }
}

TEST(Cancellation, AbortOfAnIdleTaskRunsEveryDestructorOfTheChain) {
  std::atomic<int> live{0};
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* lv) -> Task<void> {
    JoinHandle<void> h = spawn(nested_level(lv, 10));
    co_await yield_now();
    EXPECT_EQ(lv->load(), 11);
    h.abort();
    Result<void> r = co_await h;
    EXPECT_TRUE(is_cancelled(r));
    EXPECT_EQ(lv->load(), 0);
  }(&live));
  EXPECT_EQ(live.load(), 0);
}

TEST(Cancellation, AbortBeforeTheFirstPollNeverRunsTheBody) {
  std::atomic<int> live{0};
  Log log;
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* lv, Log* l) -> Task<void> {
    JoinHandle<int> h = spawn(counted_forever(lv, l, "body"));
    h.abort();
    Result<int> r = co_await h;
    EXPECT_TRUE(is_cancelled(r));
  }(&live, &log));
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(live.load(), 0);
}

Task<int> awaits_handle(JoinHandle<int>* inner) {
  Result<int> r = co_await *inner;
  co_return r.value_or(-1);
}

STRATA_TEST_ALL_FLAVOURS(Cancellation, AbortingTheAwaiterOfAHandleDoesNotCancelTheAwaitedTask) {
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = runtime();
  rt.block_on([](TriggerPtr tr) -> Task<void> {
    JoinHandle<int> inner = spawn(Triggered<int>(tr));
    JoinHandle<int> outer = spawn(awaits_handle(&inner));
    co_await yield_now();
    outer.abort();
    Result<int> ro = co_await outer;
    EXPECT_TRUE(is_cancelled(ro));
    tr->fire(5);
    Result<int> ri = co_await inner;
    EXPECT_EQ(ri.value_or(-1), 5);
  }(trig));
}

Task<void> selecting(std::atomic<int>* live, Log* log) {
  (void)co_await select(counted_forever(live, log, "a"), counted_forever(live, log, "b"));
  log->push_back("select returned");
}

TEST(Cancellation, AbortOfATaskBlockedInSelectDestroysBothBranches) {
  std::atomic<int> live{0};
  Log log;
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* lv, Log* l) -> Task<void> {
    JoinHandle<void> h = spawn(selecting(lv, l));
    co_await yield_now();
    EXPECT_EQ(lv->load(), 2);
    h.abort();
    Result<void> r = co_await h;
    EXPECT_TRUE(is_cancelled(r));
    EXPECT_EQ(lv->load(), 0);
  }(&live, &log));
  // Both branches started (in select's random order) and both were destroyed.
  EXPECT_EQ((std::multiset<std::string>(log.begin(), log.end())),
            (std::multiset<std::string>{"a start", "b start"}));
  EXPECT_EQ(live.load(), 0);
}

Task<void> sleeps_forever(std::atomic<int>* live) {
  DropCounter c(live);
  co_await sleep(1h);
}

STRATA_TEST_ALL_FLAVOURS(Cancellation, TimeoutDestroysTheInnerFutureBeforeReturningTimedOut) {
  std::atomic<int> live{0};
  Log log;
  auto rt = runtime();
  rt.block_on([](std::atomic<int>* lv, Log* l) -> Task<void> {
    // Awaited as an lvalue, the Timeout is still alive after it returns: only timeout() itself
    // can have destroyed the inner future.
    auto to = timeout(3ms, counted_forever(lv, l, "inner"));
    Result<int> r = co_await to;
    const int at_return = lv->load();
    EXPECT_TRUE(!r && r.error() == Errc::timed_out);
    EXPECT_EQ(at_return, 0);

    // The inner future's own timer leaves the wheel with it.
    auto to2 = timeout(3ms, sleeps_forever(lv));
    Result<void> r2 = co_await to2;
    EXPECT_TRUE(!r2 && r2.error() == Errc::timed_out);
    EXPECT_EQ(lv->load(), 0);
    EXPECT_EQ(pending_timers(), 0u);
  }(&live, &log));
  EXPECT_EQ(log, (Log{"inner start"}));
  EXPECT_EQ(live.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// The task state machine, driven by hand (detail/task_cell.hpp).

// A scheduler run by the test: records every request of the state machine and checks that a
// task is never in the queue twice.
class ManualScheduler final : public detail::Scheduler {
 public:
  static ManualScheduler* create() { return new ManualScheduler; }

  void schedule(detail::TaskHeader* t) noexcept override {
    schedules.fetch_add(1);
    push(t);
  }
  bool bind(detail::TaskHeader* t) noexcept override {
    push(t);
    return true;
  }

  // The next queued task; with `stop`, waits until there is one or `stop` is set.
  detail::TaskHeader* pop(const std::atomic<bool>* stop = nullptr) {
    std::unique_lock lock(mu_);
    if (stop) cv_.wait(lock, [&] { return !q_.empty() || stop->load(); });
    if (q_.empty()) return nullptr;
    detail::TaskHeader* t = q_.front();
    q_.pop_front();
    queued_.erase(t);
    busy_ = true;
    return t;
  }
  // One poll, handled the way an executor handles it.
  detail::RunResult run(detail::TaskHeader* t) {
    detail::RunResult r = detail::task_run(t);
    if (r == detail::RunResult::reschedule) push(t);
    if (r == detail::RunResult::complete) t->unref();  // the runtime's reference
    std::lock_guard lock(mu_);
    busy_ = false;
    return r;
  }
  void run_all() {
    while (detail::TaskHeader* t = pop()) run(t);
  }
  std::size_t queued() {
    std::lock_guard lock(mu_);
    return q_.size();
  }
  // Nothing queued and nothing being polled (stable once no other thread wakes tasks).
  bool quiescent() {
    std::lock_guard lock(mu_);
    return q_.empty() && !busy_;
  }
  void wake_waiters() {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }

  std::atomic<int> schedules{0};
  std::atomic<int> doubled{0};

 private:
  ManualScheduler() = default;
  ~ManualScheduler() override = default;
  void push(detail::TaskHeader* t) {
    std::lock_guard lock(mu_);
    if (!queued_.insert(t).second) doubled.fetch_add(1);
    q_.push_back(t);
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<detail::TaskHeader*> q_;
  std::unordered_set<detail::TaskHeader*> queued_;
  bool busy_ = false;
};

struct SchedulerRef {
  ManualScheduler* s = ManualScheduler::create();
  ~SchedulerRef() { s->unref(); }
  ManualScheduler* operator->() const { return s; }
};

template <class F>
JoinHandle<FutureOutput<F>> spawn_on(ManualScheduler* s, F f) {
  return JoinHandle<FutureOutput<F>>(detail::spawn_cell(s, std::move(f)));
}

// Shared state of a probe task: its waker, and a generation bumped before every wake.
struct WakeTarget {
  std::mutex mu;
  Waker waker;
  std::atomic<std::uint64_t> gen{0};
  std::uint64_t seen = 0;  // generation read by the latest poll
  std::uint64_t finish_at = ~std::uint64_t{0};
  std::atomic<int> polls{0};
  std::atomic<int> wakes{0};  // wakes delivered through a stored waker
  std::atomic<bool> in_poll{false};
  std::atomic<int> overlapping_polls{0};
  int self_wakes = 0;  // wakes the probe does during its own poll
  int linger = 0;      // busy iterations at the end of each poll

  Waker clone_waker() {
    std::lock_guard lock(mu);
    return waker;
  }
  // Bumps the generation, then wakes the task (if it was polled at least once).
  void bump_and_wake(bool by_ref) {
    gen.fetch_add(1);
    Waker w = clone_waker();
    if (!w) return;
    wakes.fetch_add(1);
    if (by_ref) {
      w.wake_by_ref();
    } else {
      std::move(w).wake();
    }
  }
};

// Stores the waker first, then reads the generation: a wake that follows a bump the poll did not
// see always finds the waker.
struct WakeProbe {
  inline static std::atomic<int> spin{0};
  WakeTarget* t;
  explicit WakeProbe(WakeTarget* target) : t(target) {}
  Poll<void> poll(Context& cx) {
    if (t->in_poll.exchange(true)) t->overlapping_polls.fetch_add(1);
    t->polls.fetch_add(1);
    {
      std::lock_guard lock(t->mu);
      if (!t->waker.will_wake(cx.waker())) t->waker = cx.waker();
    }
    t->seen = t->gen.load();
    // Stay in the poll a little: widens the window in which a wake finds the task RUNNING after
    // it read the generation (the wake the executor must not lose).
    for (int i = 0; i < t->linger; ++i) spin.fetch_add(1, std::memory_order_relaxed);
    for (int i = 0; i < t->self_wakes; ++i) cx.waker().wake_by_ref();
    const bool done = t->seen >= t->finish_at;
    t->in_poll.store(false);
    if (done) return ready;
    return pending;
  }
};

TEST(TaskState, OnlyTheWakeThatMakesAnIdleTaskNotifiedQueuesIt) {
  SchedulerRef s;
  WakeTarget tgt;
  JoinHandle<void> h = spawn_on(s.s, WakeProbe(&tgt));
  EXPECT_EQ(s->queued(), 1u);  // bind queues the new task
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::idle);
  EXPECT_EQ(tgt.polls.load(), 1);

  Waker w = tgt.clone_waker();
  w.wake_by_ref();
  w.wake_by_ref();
  Waker(w).wake();
  EXPECT_EQ(s->schedules.load(), 1);  // three wakes, one queue entry
  EXPECT_EQ(s->queued(), 1u);
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::idle);
  EXPECT_EQ(tgt.polls.load(), 2);

  tgt.finish_at = 0;
  w.wake_by_ref();
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::complete);
  EXPECT_TRUE(h.is_finished());
  w.wake_by_ref();  // complete: ignored
  Waker(w).wake();
  EXPECT_EQ(s->schedules.load(), 2);
  EXPECT_EQ(s->queued(), 0u);
  EXPECT_EQ(s->doubled.load(), 0);
  EXPECT_TRUE(result_of(h).has_value());
  tgt.waker.reset();
}

TEST(TaskState, AWakeDuringAPollRequeuesTheTaskAfterThePoll) {
  SchedulerRef s;
  WakeTarget tgt;
  tgt.self_wakes = 3;
  JoinHandle<void> h = spawn_on(s.s, WakeProbe(&tgt));
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::reschedule);
  EXPECT_EQ(s->schedules.load(), 0);  // the running task is not queued by the wakes themselves
  EXPECT_EQ(s->queued(), 1u);         // but once by the executor after the poll
  tgt.self_wakes = 0;
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::idle);
  EXPECT_EQ(tgt.polls.load(), 2);
  EXPECT_EQ(s->doubled.load(), 0);
  h.abort();
  s->run_all();
  EXPECT_TRUE(is_cancelled(result_of(h)));
  tgt.waker.reset();
}

// Aborts its own task during its first poll, and stays pending.
struct AbortsItself {
  const JoinHandle<void>* self;
  DropCounter c;
  int* polls;
  AbortsItself(const JoinHandle<void>* h, std::atomic<int>* live, int* p)
      : self(h), c(live), polls(p) {}
  Poll<void> poll(Context&) {
    ++*polls;
    self->abort();
    return pending;
  }
};

TEST(TaskState, AbortDuringAPollLetsThePollFinishThenCancelsWithoutPollingAgain) {
  SchedulerRef s;
  std::atomic<int> live{0};
  int polls = 0;
  JoinHandle<void> h;
  h = spawn_on(s.s, AbortsItself(&h, &live, &polls));
  EXPECT_EQ(live.load(), 1);
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::reschedule);
  EXPECT_EQ(polls, 1);
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::complete);
  EXPECT_EQ(polls, 1);  // destroyed instead of polled
  EXPECT_EQ(live.load(), 0);
  EXPECT_TRUE(is_cancelled(result_of(h)));
  EXPECT_EQ(s->doubled.load(), 0);
}

TEST(TaskState, AbortOfAnIdleTaskQueuesItOnceAndAbortAfterCompletionChangesNothing) {
  SchedulerRef s;
  WakeTarget a, b;
  JoinHandle<void> ha = spawn_on(s.s, WakeProbe(&a));
  JoinHandle<void> hb = spawn_on(s.s, WakeProbe(&b));
  s->run_all();
  EXPECT_EQ(a.polls.load() + b.polls.load(), 2);

  ha.abort();
  ha.abort();
  a.clone_waker().wake_by_ref();
  EXPECT_EQ(s->schedules.load(), 1);
  EXPECT_EQ(s->run(s->pop()), detail::RunResult::complete);
  EXPECT_EQ(a.polls.load(), 1);  // cancelled, not polled
  EXPECT_TRUE(is_cancelled(result_of(ha)));

  b.finish_at = 0;
  b.clone_waker().wake_by_ref();
  s->run_all();
  ASSERT_TRUE(hb.is_finished());
  hb.abort();
  EXPECT_EQ(s->schedules.load(), 2);
  EXPECT_EQ(s->queued(), 0u);
  EXPECT_TRUE(result_of(hb).has_value());  // still the value
  a.waker.reset();
  b.waker.reset();
}

TEST(TaskState, NoWakeIsLostOrDoubledUnderConcurrentWakesFromManyThreads) {
  // A runner thread polls while several threads wake every task over and over, in epochs. After
  // each epoch, once nothing is queued or running, every task's latest poll must have seen the
  // latest generation: a lost wake would leave a task idle behind it. Throughout, no task may be
  // queued twice, polls may not overlap, and a task is polled at most once per delivered wake
  // (plus its first poll).
  constexpr int kTasks = 8;
  constexpr int kThreads = 3;
  constexpr int kEpochs = kTsan ? 50 : 500;
  constexpr int kRounds = 4;
  SchedulerRef s;
  std::vector<std::unique_ptr<WakeTarget>> targets;
  std::vector<JoinHandle<void>> handles;
  for (int i = 0; i < kTasks; ++i) {
    targets.push_back(std::make_unique<WakeTarget>());
    targets.back()->linger = 2000;
    handles.push_back(spawn_on(s.s, WakeProbe(targets.back().get())));
  }
  std::atomic<bool> stop{false};
  std::thread runner([&] {
    while (detail::TaskHeader* t = s->pop(&stop)) s->run(t);
  });
  int lost = 0;
  for (int e = 0; e < kEpochs; ++e) {
    std::vector<std::thread> wakers;
    for (int k = 0; k < kThreads; ++k) {
      wakers.emplace_back([&, k, e] {
        for (int r = 0; r < kRounds; ++r) {
          for (int i = 0; i < kTasks; ++i) {
            targets[static_cast<std::size_t>((i + k * 7 + e) % kTasks)]->bump_and_wake((r + k) % 2);
          }
        }
      });
    }
    for (auto& w : wakers) w.join();
    while (!s->quiescent()) std::this_thread::yield();
    for (auto& t : targets) lost += t->seen != t->gen.load();
    if (lost) break;
  }
  stop.store(true);
  s->wake_waiters();
  runner.join();

  EXPECT_EQ(lost, 0) << "a task missed a wake";
  EXPECT_EQ(s->queued(), 0u);
  EXPECT_EQ(s->doubled.load(), 0);
  long long total_polls = 0;
  for (int i = 0; i < kTasks; ++i) {
    WakeTarget& t = *targets[static_cast<std::size_t>(i)];
    EXPECT_EQ(t.overlapping_polls.load(), 0);
    EXPECT_LE(t.polls.load(), t.wakes.load() + 1)
        << "task " << i << " polled more often than woken";
    total_polls += t.polls.load();
  }
  EXPECT_GT(total_polls, 2 * kTasks);  // the wakes really caused polls

  // Every task terminates once told to.
  for (auto& t : targets) {
    t->finish_at = 0;
    t->bump_and_wake(true);
  }
  s->run_all();
  for (auto& h : handles) {
    EXPECT_TRUE(h.is_finished());
    EXPECT_TRUE(result_of(h).has_value());
  }
  for (auto& t : targets) t->waker.reset();
}

// Spawns tasks that finish when they see `final_gen`, has other threads bump and wake them, and
// waits (bounded) for all of them.
Task<bool> wake_storm(std::vector<std::unique_ptr<WakeTarget>>* ts, int threads, int rounds) {
  std::vector<JoinHandle<void>> hs;
  for (auto& t : *ts) hs.push_back(spawn(WakeProbe(t.get())));
  std::vector<std::thread> wakers;
  for (int k = 0; k < threads; ++k) {
    wakers.emplace_back([ts, k, rounds] {
      for (int r = 0; r < rounds; ++r) {
        for (std::size_t i = 0; i < ts->size(); ++i) {
          (*ts)[(i + static_cast<std::size_t>(k)) % ts->size()]->bump_and_wake((r + k) % 2);
        }
      }
    });
  }
  Result<std::vector<Result<void>>> r = co_await timeout(10s, join_all(std::move(hs)));
  for (auto& w : wakers) w.join();
  co_return r.has_value();
}

STRATA_TEST_ALL_FLAVOURS(Cancellation, ConcurrentWakesFromManyThreadsNeverLoseTheLastOne) {
  // The same on a real runtime: each task finishes only once it sees the final generation, which
  // only a wake that is not lost can make it see. Many short storms give many "last wakes". The
  // timeout bounds the test if one is lost.
  constexpr int kTasks = 8;
  constexpr int kThreads = 3;
  constexpr int kRounds = 5;
  constexpr int kStorms = kTsan ? 50 : 500;
  auto rt = runtime();
  for (int storm = 0; storm < kStorms; ++storm) {
    std::vector<std::unique_ptr<WakeTarget>> targets;
    for (int i = 0; i < kTasks; ++i) {
      targets.push_back(std::make_unique<WakeTarget>());
      targets.back()->finish_at = std::uint64_t{kThreads} * kRounds;
      targets.back()->linger = 2000;
    }
    bool all_done = rt.block_on(wake_storm(&targets, kThreads, kRounds));
    ASSERT_TRUE(all_done) << "a task missed its final wake in storm " << storm;
    for (auto& t : targets) {
      EXPECT_EQ(t->seen, t->finish_at);
      EXPECT_EQ(t->overlapping_polls.load(), 0);
      EXPECT_LE(t->polls.load(), t->wakes.load() + 1);
      t->waker.reset();
    }
  }
}

Task<int> counted_trigger_wait(std::atomic<int>* live, TriggerPtr trig) {
  DropCounter c(live);
  co_return co_await Triggered<int>(trig);
}

STRATA_TEST_ALL_FLAVOURS(Cancellation,
                         AbortRacingWithCompletionFromOtherThreadsGivesOneOutcomePerTask) {
  constexpr int kTasks = kTsan ? 300 : 2000;
  std::atomic<int> live{0};
  std::vector<TriggerPtr> trigs;
  for (int i = 0; i < kTasks; ++i) trigs.push_back(std::make_shared<Trigger<int>>());
  auto rt = runtime();
  auto [values, cancelled] = rt.block_on(
      [](std::atomic<int>* lv, std::vector<TriggerPtr>* ts) -> Task<std::pair<int, int>> {
        std::vector<JoinHandle<int>> hs;
        for (auto& t : *ts) hs.push_back(spawn(counted_trigger_wait(lv, t)));
        co_await yield_now();  // all of them wait on their trigger
        std::thread firer([ts] {
          for (std::size_t i = 0; i < ts->size(); ++i) (*ts)[i]->fire(static_cast<int>(i));
        });
        std::thread aborter([&hs] {
          for (std::size_t i = hs.size(); i-- > 0;) hs[i].abort();
        });
        int v = 0, c = 0;
        for (std::size_t i = 0; i < hs.size(); ++i) {
          Result<int> r = co_await hs[i];
          if (r) {
            EXPECT_EQ(*r, static_cast<int>(i));
            ++v;
          } else {
            EXPECT_TRUE(is_cancelled(r));
            ++c;
          }
        }
        firer.join();
        aborter.join();
        co_return std::pair<int, int>(v, c);
      }(&live, &trigs));
  EXPECT_EQ(values + cancelled, kTasks);
  EXPECT_EQ(live.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// A million sleeping tasks.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kSleepers = kTsan ? 50'000 : 100'000;
#else
constexpr int kSleepers = 1'000'000;
#endif

Task<void> sleeper(DropCounter c, int* started) {
  ++*started;
  co_await sleep(1h);
  (void)c;
}

TEST(Cancellation, AbortingAMillionSleepingTasksFreesEverything) {
  std::atomic<int> live{0};
  int started = 0;
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* lv, int* st) -> Task<void> {
    std::vector<JoinHandle<void>> hs;
    hs.reserve(kSleepers);
    for (int i = 0; i < kSleepers; ++i) hs.push_back(spawn(sleeper(DropCounter(lv), st)));
    co_await yield_now();  // behind every sleeper: each has run once and armed its timer
    EXPECT_EQ(*st, kSleepers);
    EXPECT_EQ(lv->load(), kSleepers);
    EXPECT_EQ(pending_timers(), static_cast<std::size_t>(kSleepers));
    for (auto& h : hs) h.abort();
    co_await yield_now();  // behind every aborted sleeper
    EXPECT_EQ(lv->load(), 0);
    EXPECT_EQ(pending_timers(), 0u);
    int cancelled = 0;
    for (auto& h : hs) {
      Result<void> r = co_await h;
      cancelled += is_cancelled(r);
    }
    EXPECT_EQ(cancelled, kSleepers);
  }(&live, &started));
  EXPECT_EQ(live.load(), 0);
}

TEST(Cancellation, DroppingTheRuntimeWithAMillionSleepingTasksFreesEverything) {
  std::atomic<int> live{0};
  int started = 0;
  std::vector<JoinHandle<void>> hs;
  {
    auto rt = Runtime::current_thread();
    hs = rt.block_on([](std::atomic<int>* lv, int* st) -> Task<std::vector<JoinHandle<void>>> {
      std::vector<JoinHandle<void>> v;
      v.reserve(kSleepers);
      for (int i = 0; i < kSleepers; ++i) v.push_back(spawn(sleeper(DropCounter(lv), st)));
      co_await yield_now();
      EXPECT_EQ(pending_timers(), static_cast<std::size_t>(kSleepers));
      co_return v;
    }(&live, &started));
    EXPECT_EQ(started, kSleepers);
    EXPECT_EQ(live.load(), kSleepers);
  }
  EXPECT_EQ(live.load(), 0);
  int cancelled = 0;
  for (auto& h : hs) {
    EXPECT_TRUE(h.is_finished());
    cancelled += is_cancelled(result_of(h));
  }
  EXPECT_EQ(cancelled, kSleepers);
  hs.clear();  // the last references: cells and then the runtime's scheduler are freed
}

}  // namespace
}  // namespace strata
