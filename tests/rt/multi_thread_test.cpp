#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

// A single-permit notification usable across threads (like tokio::sync::Notify::notify_one).
class Notify {
 public:
  void notify_one() {
    Waker w;
    {
      std::lock_guard lock(mu_);
      permit_ = true;
      w = std::move(waiter_);
    }
    std::move(w).wake();
  }
  struct Notified {
    Notify* n;
    explicit Notified(Notify* self) : n(self) {}
    Poll<void> poll(Context& cx) {
      std::lock_guard lock(n->mu_);
      if (n->permit_) {
        n->permit_ = false;
        return ready;
      }
      n->waiter_ = cx.waker();
      return pending;
    }
  };
  Notified notified() { return Notified(this); }

 private:
  std::mutex mu_;
  bool permit_ = false;
  Waker waiter_;
};

Task<std::uint64_t> fib(std::uint32_t n) {
  if (n < 2) co_return n;
  if (n <= 12) {
    std::uint64_t a = 0, b = 1;
    for (std::uint32_t i = 0; i < n; ++i) b = std::exchange(a, b) + b;
    co_return a;
  }
  auto x = spawn(fib(n - 1));
  auto y = spawn(fib(n - 2));
  co_return *(co_await x) + *(co_await y);
}

TEST(MultiThread, BlockOnRunsOnAWorkerAndReturns) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  auto main_id = std::this_thread::get_id();
  auto id = rt.block_on([]() -> Task<std::thread::id> { co_return std::this_thread::get_id(); }());
  EXPECT_NE(id, main_id);
}

TEST(MultiThread, FanOutSpawnsComputeTheRightAnswer) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  EXPECT_EQ(rt.block_on(fib(25)), 75025u);
  auto m = rt.metrics();
  EXPECT_EQ(m.workers, 2u);
  EXPECT_GT(m.spawned, 100u);
  EXPECT_GT(m.total_polls(), 100u);
}

TEST(MultiThread, WorkIsSpreadOverWorkers) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  // Tasks that block their thread for a moment force the idle worker to take some.
  auto ids = rt.block_on([]() -> Task<std::set<std::thread::id>> {
    std::vector<JoinHandle<std::thread::id>> hs;
    for (int i = 0; i < 64; ++i) {
      hs.push_back(spawn([]() -> Task<std::thread::id> {
        std::this_thread::sleep_for(1ms);
        co_return std::this_thread::get_id();
      }()));
    }
    std::set<std::thread::id> seen;
    for (auto& h : hs) seen.insert(*(co_await h));
    co_return seen;
  }());
  EXPECT_EQ(ids.size(), 2u);
  // The idle worker got its tasks by stealing or, once the spawner's queue overflowed (the q4
  // build's 4-task queue always does), from the injection queue.
  auto m = rt.metrics();
  std::uint64_t moved = 0;
  for (const auto& w : m.worker) moved += w.steals + w.overflows;
  EXPECT_GT(moved, 0u);
}

Task<void> count_run(std::atomic<int>* ran) {
  ran->fetch_add(1, std::memory_order_relaxed);
  co_return;
}

// Spawns n tasks (from inside the runtime) that each add one to `ran`.
std::vector<JoinHandle<void>> spawn_counters(int n, std::atomic<int>* ran) {
  std::vector<JoinHandle<void>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(spawn(count_run(ran)));
  return hs;
}

// One worker spawning 1,000 tasks without yielding fills its local queue (256 tasks, 4 in the q4
// build): half of it moves to the injection queue each time, and every task still runs once.
TEST(MultiThread, AFullLocalQueueOverflowsToTheInjectionQueue) {
  Runtime rt(RuntimeConfig::multi_thread(1));
  constexpr int kTasks = 1000;
  std::atomic<int> ran{0};
  rt.block_on([](std::atomic<int>* r) -> Task<void> {
    std::vector<JoinHandle<void>> hs = spawn_counters(kTasks, r);
    for (auto& h : hs) co_await h;
  }(&ran));
  EXPECT_EQ(ran.load(), kTasks);
  EXPECT_GE(rt.metrics().worker[0].overflows, 1u);
}

// A task spawns 200 tasks and then holds its worker until all but one ran (the newest sits in the
// worker's LIFO slot, which nobody else may take). Whatever is left in that worker's queue can
// only reach the other worker by a steal, so at least one steal must happen.
TEST(MultiThread, ABusyWorkersQueueIsStolenFrom) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  constexpr int kTasks = 200;
  std::atomic<int> ran{0};
  const bool all_but_one_ran = rt.block_on([](std::atomic<int>* r) -> Task<bool> {
    std::vector<JoinHandle<void>> hs = spawn_counters(kTasks, r);
    const auto limit = std::chrono::steady_clock::now() + 60s;
    while (r->load(std::memory_order_relaxed) < kTasks - 1 &&
           std::chrono::steady_clock::now() < limit) {
      std::this_thread::yield();
    }
    const bool ok = r->load(std::memory_order_relaxed) >= kTasks - 1;
    for (auto& h : hs) co_await h;
    co_return ok;
  }(&ran));
  EXPECT_TRUE(all_but_one_ran);
  EXPECT_EQ(ran.load(), kTasks);
  auto m = rt.metrics();
  EXPECT_GE(m.worker[0].steals + m.worker[1].steals, 1u);
}

TEST(MultiThread, PingPongAcrossTasksNeverLosesAWakeup) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  constexpr int kPairs = 50;
  const int rounds = static_cast<int>(test::stress_iters(2000));
  int done = rt.block_on([](int n_rounds) -> Task<int> {
    std::vector<JoinHandle<int>> hs;
    for (int p = 0; p < kPairs; ++p) {
      auto a = std::make_shared<Notify>(), b = std::make_shared<Notify>();
      hs.push_back(
          spawn([](std::shared_ptr<Notify> a2, std::shared_ptr<Notify> b2, int n) -> Task<int> {
            for (int i = 0; i < n; ++i) {
              a2->notify_one();
              co_await b2->notified();
            }
            co_return 1;
          }(a, b, n_rounds)));
      hs.push_back(
          spawn([](std::shared_ptr<Notify> a2, std::shared_ptr<Notify> b2, int n) -> Task<int> {
            for (int i = 0; i < n; ++i) {
              co_await a2->notified();
              b2->notify_one();
            }
            co_return 1;
          }(a, b, n_rounds)));
    }
    int n = 0;
    for (auto& h : hs) n += *(co_await h);
    co_return n;
  }(rounds));
  EXPECT_EQ(done, 2 * kPairs);
}

TEST(MultiThread, WakesFromForeignThreads) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  constexpr int kTasks = 200;
  std::vector<std::shared_ptr<test::Trigger<int>>> trigs;
  for (int i = 0; i < kTasks; ++i) trigs.push_back(std::make_shared<test::Trigger<int>>());
  std::vector<JoinHandle<int>> hs;
  for (auto& t : trigs) hs.push_back(rt.spawn(test::Triggered<int>(t)));
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = k; i < kTasks; i += 4) trigs[static_cast<std::size_t>(i)]->fire(i);
    });
  }
  for (auto& th : threads) th.join();
  long sum = rt.block_on([](std::vector<JoinHandle<int>>* v) -> Task<long> {
    long s = 0;
    for (auto& h : *v) s += *(co_await h);
    co_return s;
  }(&hs));
  EXPECT_EQ(sum, kTasks * (kTasks - 1) / 2);
}

TEST(MultiThread, TimersFireOnEveryWorker) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  int n = rt.block_on([]() -> Task<int> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < 100; ++i) {
      hs.push_back(spawn([](int k) -> Task<int> {
        auto deadline = Clock::now() + std::chrono::milliseconds(k % 7);
        co_await sleep_until(deadline);
        co_return Clock::now() >= deadline ? 1 : 0;
      }(i)));
    }
    int ok = 0;
    for (auto& h : hs) ok += *(co_await h);
    co_return ok;
  }());
  EXPECT_EQ(n, 100);
}

TEST(MultiThread, ShutdownDestroysPendingTasks) {
  std::atomic<int> live{0};
  std::vector<JoinHandle<void>> hs;
  {
    Runtime rt(RuntimeConfig::multi_thread(2));
    for (int i = 0; i < 1000; ++i) {
      hs.push_back(rt.spawn([](std::atomic<int>* l) -> Task<void> {
        test::DropCounter c(l);
        co_await sleep(1h);
      }(&live)));
    }
    // Let them start.
    rt.block_on([]() -> Task<void> { co_await sleep(5ms); }());
    EXPECT_EQ(live.load(), 1000);
  }
  EXPECT_EQ(live.load(), 0);
  Waker w = Waker::noop();
  Context cx(w);
  for (auto& h : hs) {
    auto r = h.poll(cx);
    ASSERT_TRUE(r.is_ready());
    EXPECT_TRUE(r.take().error() == Errc::cancelled);
  }
}

TEST(MultiThread, ShutdownWhileBusyAndSpawning) {
  for (int round = 0; round < 5; ++round) {
    Runtime rt(RuntimeConfig::multi_thread(2));
    // Tasks that keep spawning more tasks while the runtime shuts down.
    for (int i = 0; i < 8; ++i) {
      (void)rt.spawn([]() -> Task<void> {
        for (;;) {
          spawn([]() -> Task<void> { co_await yield_now(); }()).detach();
          co_await yield_now();
        }
      }());
    }
    std::this_thread::sleep_for(2ms);
    rt.shutdown(1s);
  }
}

TEST(MultiThread, SpawnAfterShutdownIsCancelled) {
  Runtime rt(RuntimeConfig::multi_thread(1));
  Handle h = rt.handle();
  rt.shutdown();
  auto j = h.spawn([]() -> Task<int> { co_return 1; }());
  EXPECT_TRUE(j.is_finished());
  Waker w = Waker::noop();
  Context cx(w);
  EXPECT_TRUE(j.poll(cx).take().error() == Errc::cancelled);
}

TEST(MultiThread, SpawnBlockingRunsOffTheWorkers) {
  Runtime rt(RuntimeConfig::multi_thread(1));
  auto r = rt.block_on([]() -> Task<bool> {
    auto worker = std::this_thread::get_id();
    auto h = spawn_blocking([] {
      std::this_thread::sleep_for(5ms);
      return std::this_thread::get_id();
    });
    // The worker stays free while the blocking call runs.
    co_await sleep(1ms);
    auto id = co_await h;
    co_return *id != worker;
  }());
  EXPECT_TRUE(r);
  EXPECT_GE(rt.metrics().blocking_threads, 1u);
}

TEST(MultiThread, SpawnBlockingPoolIsBoundedAndShrinks) {
  RuntimeConfig c = RuntimeConfig::multi_thread(1);
  c.max_blocking_threads = 2;
  c.blocking_keep_alive = 20ms;
  Runtime rt(c);
  std::atomic<int> concurrent{0}, peak{0};
  rt.block_on([](std::atomic<int>* cur, std::atomic<int>* pk) -> Task<void> {
    std::vector<JoinHandle<void>> hs;
    for (int i = 0; i < 8; ++i) {
      hs.push_back(spawn_blocking([cur, pk] {
        int now = ++*cur;
        int p = pk->load();
        while (now > p && !pk->compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(2ms);
        --*cur;
      }));
    }
    for (auto& h : hs) (void)co_await h;
  }(&concurrent, &peak));
  EXPECT_LE(peak.load(), 2);
  EXPECT_GE(peak.load(), 1);
  // Idle threads exit after the keep-alive.
  for (int i = 0; i < 200 && rt.metrics().blocking_threads > 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(rt.metrics().blocking_threads, 0u);
}

TEST(MultiThread, WorkersFromEnvironment) {
  ::setenv("STRATA_WORKERS", "3", 1);
  RuntimeConfig c = RuntimeConfig::multi_thread();
  EXPECT_EQ(c.resolved_workers(), 3u);
  ::setenv("STRATA_WORKERS", "zero", 1);
  EXPECT_THROW((void)c.resolved_workers(), std::invalid_argument);
  ::unsetenv("STRATA_WORKERS");
  c.workers = 5;
  EXPECT_EQ(c.resolved_workers(), 5u);
}

TEST(MultiThread, RunHelperReturnsTheValue) {
  int v = run(RuntimeConfig::multi_thread(2), [] { return fib(20); });
  EXPECT_EQ(v, 6765);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Waits until `reg` is readable; the first time its poll comes back pending it sets `waiting`, so
// that the writer writes only then. A write before that poll would let the task finish on
// whichever worker polled it (yield-injection builds showed it: the 20 ms head start the writer
// used to sleep is not a guarantee).
class ReadableAfterPending {
 public:
  ReadableAfterPending(IoRegistration& reg, std::atomic<bool>& waiting)
      : reg_(&reg), waiting_(&waiting) {}
  Poll<ReadyEvent> poll(Context& cx) {
    Poll<ReadyEvent> p = reg_->poll_ready(cx, Interest::readable);
    if (p.is_pending()) waiting_->store(true, std::memory_order_release);  // pairs with the writer
    return p;
  }

 private:
  IoRegistration* reg_;
  std::atomic<bool>* waiting_;
};

Task<std::string> thread_woken_by_pipe_on_worker(int fd, std::uint32_t worker,
                                                 std::atomic<bool>& waiting) {
  EXPECT_EQ(worker_count(), 2u);
  Result<IoRegistration> reg = [&] {
    WorkerAffinity on(worker);
    return IoRegistration::create(fd);
  }();
  if (!reg) {
    waiting.store(true, std::memory_order_release);  // let the writer finish
    co_return "register failed";
  }
  co_await ReadableAfterPending(*reg, waiting);
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  co_return std::string(name);
}

// WorkerAffinity: a pipe registered with worker k's reactor is polled by worker k, so the task it
// wakes lands in worker k's LIFO slot (not stealable) and resumes on worker k's thread.
TEST(MultiThread, WorkerAffinityRegistersWithThatWorkersReactor) {
  RuntimeConfig cfg = RuntimeConfig::multi_thread(2);
  cfg.thread_name = "aff";
  Runtime rt(cfg);
  for (std::uint32_t k = 0; k < 4; ++k) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    std::atomic<bool> waiting{false};
    std::thread writer([fd = fds[1], &waiting] {
      while (!waiting.load(std::memory_order_acquire)) std::this_thread::sleep_for(1ms);
      ASSERT_EQ(::write(fd, "x", 1), 1);
    });
    std::string name = rt.block_on(thread_woken_by_pipe_on_worker(fds[0], k, waiting));
    writer.join();
    EXPECT_EQ(name, "aff-" + std::to_string(k % 2));
    ::close(fds[0]);
    ::close(fds[1]);
  }
  auto ct = Runtime::current_thread();
  EXPECT_EQ(ct.block_on([]() -> Task<std::uint32_t> { co_return worker_count(); }()), 1u);
}

}  // namespace
}  // namespace strata
