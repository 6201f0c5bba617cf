// Runtime: owns the executor, the reactor(s), the timers and the blocking pool, and runs tasks.
//
//   Task<int> async_main() {
//     JoinHandle<int> h = strata::spawn(fetch(1));   // spawn on the current runtime
//     co_await strata::yield_now();
//     Result<int> r = co_await h;
//     co_return r ? *r : 1;
//   }
//   int main() {
//     strata::Runtime rt(strata::RuntimeConfig::multi_thread());   // or Runtime::current_thread()
//     return rt.block_on(async_main());       // runs async_main to completion
//   }
//   // or, in one line: STRATA_MAIN(strata::RuntimeConfig::multi_thread()) { co_return 0; }
//
// Two flavours behind one API:
// - current-thread: every task runs on the thread that calls block_on();
// - multi-thread: `workers` threads, each with its own run queue, reactor and timer wheel, that
//   steal work from each other (docs/runtime.md explains the scheduler).
// spawn(), wakers, abort() and Handle::spawn() work from any thread on both. Destroying the
// runtime (or shutdown()) destroys every pending task's future: destructors run, JoinHandles
// report Errc::cancelled, later spawns are refused.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/detail/task_cell.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/join_handle.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata {

struct RuntimeConfig {
  enum class Flavor { current_thread, multi_thread };
  Flavor flavor = Flavor::current_thread;
  // Worker threads of the multi-thread runtime; 0 = $STRATA_WORKERS, else the number of CPUs.
  std::uint32_t workers = 0;
  std::string thread_name = "strata-worker";
  std::size_t thread_stack_size = 0;  // bytes; 0 = the system default
  // Pin worker k to CPU worker_cpus[k % size] (benchmarks); empty = no pinning.
  std::vector<int> worker_cpus;
  // Threads of the spawn_blocking() pool: at most this many, each exits after being idle
  // for blocking_keep_alive.
  std::uint32_t max_blocking_threads = 512;
  Duration blocking_keep_alive = std::chrono::seconds(10);
  // Tasks run between two non-blocking polls of the reactor and timers.
  std::uint32_t event_interval = 61;
  // Every this many tasks the injection queue is checked before the local queue (fairness).
  std::uint32_t global_queue_interval = 31;
  // The reactor back-end: "epoll" or "io_uring" on Linux ("kqueue", "iocp" are reserved for
  // their platforms); "" = $STRATA_REACTOR, else epoll. A name that is unknown or that this
  // machine refuses (no io_uring, or a seccomp policy) falls back to epoll with one line on
  // stderr giving the reason. docs/runtime.md, "Reactor back-ends".
  std::string reactor;

  static RuntimeConfig current_thread() { return {}; }
  static RuntimeConfig multi_thread(std::uint32_t workers = 0) {
    RuntimeConfig c;
    c.flavor = Flavor::multi_thread;
    c.workers = workers;
    return c;
  }
  // The worker count after applying the defaults and $STRATA_WORKERS.
  std::uint32_t resolved_workers() const;
};

// Counters of one worker (relaxed reads of counters the worker writes).
struct WorkerMetrics {
  std::uint64_t polls = 0;             // task polls
  std::uint64_t steals = 0;            // tasks stolen from other workers
  std::uint64_t steal_operations = 0;  // successful steal attempts
  std::uint64_t parks = 0;             // times the worker went to sleep
  std::uint64_t overflows = 0;         // local queue overflows into the injection queue
  std::uint32_t local_queue_depth = 0;
};

struct RuntimeMetrics {
  std::uint32_t workers = 0;
  std::uint64_t spawned = 0;           // tasks spawned (local and remote)
  std::uint64_t remote_schedules = 0;  // wakes/spawns that went through the injection queue
  std::size_t injection_queue_depth = 0;
  std::size_t blocking_threads = 0;  // live threads of the blocking pool
  std::size_t blocking_queue_depth = 0;
  std::vector<WorkerMetrics> worker;  // one entry per worker (one for current-thread)

  std::uint64_t total_polls() const noexcept {
    std::uint64_t n = 0;
    for (auto& w : worker) n += w.polls;
    return n;
  }
};

namespace detail {

class BlockingPool;

// What a Runtime drives: a scheduler that can also wait for one of its tasks.
class Executor : public Scheduler {
 public:
  // Returns once `task` is complete; the current-thread executor runs tasks meanwhile.
  virtual void block_on_task(TaskHeader* task) = 0;
  // Stops accepting work and waits (up to `deadline`) for worker threads to finish their current
  // poll; every unfinished task is then destroyed.
  virtual void shutdown(Instant deadline) noexcept = 0;
  virtual RuntimeMetrics metrics() const = 0;
  virtual BlockingPool& blocking_pool() noexcept = 0;
};

Executor* make_current_thread_executor(const RuntimeConfig& config);
Executor* make_multi_thread_executor(const RuntimeConfig& config);

}  // namespace detail

// A cheap, copyable reference to a runtime, usable from any thread to spawn onto it.
class Handle {
 public:
  explicit Handle(detail::Scheduler* s) noexcept : sched_(s) {
    if (sched_) sched_->ref();
  }
  Handle(const Handle& o) noexcept : Handle(o.sched_) {}
  Handle(Handle&& o) noexcept : sched_(std::exchange(o.sched_, nullptr)) {}
  Handle& operator=(Handle o) noexcept {
    std::swap(sched_, o.sched_);
    return *this;
  }
  ~Handle() {
    if (sched_) sched_->unref();
  }

  // Spawns onto this runtime. After shutdown the task is dropped and its handle reports cancelled.
  template <Future F>
  JoinHandle<FutureOutput<F>> spawn(F fut) {
    return JoinHandle<FutureOutput<F>>(detail::spawn_cell(sched_, std::move(fut)));
  }

 private:
  detail::Scheduler* sched_;
};

class Runtime {
 public:
  explicit Runtime(const RuntimeConfig& config = {});
  static Runtime current_thread() { return Runtime(RuntimeConfig::current_thread()); }
  static Runtime multi_thread(std::uint32_t workers = 0) {
    return Runtime(RuntimeConfig::multi_thread(workers));
  }
  Runtime(Runtime&& o) noexcept
      : exec_(std::exchange(o.exec_, nullptr)), reactor_name_(o.reactor_name_) {}
  Runtime& operator=(Runtime&&) = delete;
  ~Runtime();

  // Runs `fut` to completion and returns its output, driving the runtime meanwhile
  // (current-thread) or waiting for the workers (multi-thread). Rethrows an exception escaping
  // `fut`; throws std::runtime_error if the runtime shut down first.
  template <Future F>
  FutureOutput<F> block_on(F fut) {
    using T = FutureOutput<F>;
    JoinHandle<T> h = spawn(std::move(fut));
    exec_->block_on_task(h.header());
    Waker noop = Waker::noop();
    Context cx(noop);
    Result<T> r = h.poll(cx).take();
    if (!r) throw std::runtime_error("block_on: " + r.error().message());
    if constexpr (!std::is_void_v<T>) return std::move(*r);
  }

  template <Future F>
  JoinHandle<FutureOutput<F>> spawn(F fut) {
    return JoinHandle<FutureOutput<F>>(detail::spawn_cell(exec_, std::move(fut)));
  }

  Handle handle() const noexcept { return Handle(exec_); }
  RuntimeMetrics metrics() const { return exec_->metrics(); }
  // The reactor back-end the workers poll: "epoll" or "io_uring" (after any fallback).
  const char* reactor_name() const noexcept { return reactor_name_; }

  // Stops accepting spawns, lets running tasks reach their next suspension point (waiting up to
  // `timeout`), then destroys every unfinished task. The destructor calls shutdown(no limit).
  void shutdown(Duration timeout = Duration::max()) noexcept;
  // Like shutdown() but returns at once; worker threads finish and clean up in the background.
  void shutdown_background() noexcept;

 private:
  detail::Executor* exec_;
  const char* reactor_name_ = nullptr;
};

// Runs `main_fn()` (returning a Future) on a new runtime built from `config`; returns its output.
template <class F>
auto run(const RuntimeConfig& config, F&& main_fn) {
  Runtime rt(config);
  return rt.block_on(std::forward<F>(main_fn)());
}

// Spawns `fut` on the runtime driving the current thread (throws std::logic_error outside one).
template <Future F>
JoinHandle<FutureOutput<F>> spawn(F fut) {
  auto& ctx = detail::require_context("spawn");
  return JoinHandle<FutureOutput<F>>(detail::spawn_cell(ctx.scheduler, std::move(fut)));
}

// The number of worker threads of the runtime driving this thread (1 on the current-thread
// runtime); throws std::logic_error outside a runtime.
std::uint32_t worker_count();

// While alive, sockets created on this thread register with the reactor of worker
// `worker % worker_count()` instead of the current worker's: that worker polls them, so the
// tasks they wake run there (until another worker steals them). Per-worker reactors make this
// the way to spread listeners over workers; http::Server binds one listener per worker so:
//
//   for (std::uint32_t k = 0; k < strata::worker_count(); ++k) {
//     strata::WorkerAffinity on(k);
//     listeners.push_back(*net::TcpListener::bind(addr, 1024, reuse_port));
//   }
//
// Throws std::logic_error outside a runtime.
class WorkerAffinity {
 public:
  explicit WorkerAffinity(std::uint32_t worker);
  WorkerAffinity(const WorkerAffinity&) = delete;
  WorkerAffinity& operator=(const WorkerAffinity&) = delete;

 private:
  detail::ReactorOverride guard_;
};

// Gives other tasks a turn: the current task runs again after its worker has polled its
// reactor and run what was queued, so I/O that became ready goes first (tokio's yield_now).
struct YieldNow {
  bool yielded = false;
  Poll<void> poll(Context& cx) {
    if (yielded) return ready;
    yielded = true;
    if (!detail::defer_wake(cx.waker())) cx.waker().wake_by_ref();
    return pending;
  }
};
inline YieldNow yield_now() noexcept {
  return {};
}

}  // namespace strata

// The seed's `@runtime("multi", workers: N)`: declares main() running the body on a runtime.
//   STRATA_MAIN(strata::RuntimeConfig::multi_thread(4)) { co_await serve(); co_return 0; }
#define STRATA_MAIN(config)                                             \
  static ::strata::Task<int> strata_async_main();                       \
  int main() {                                                          \
    return ::strata::run((config), [] { return strata_async_main(); }); \
  }                                                                     \
  static ::strata::Task<int> strata_async_main()
