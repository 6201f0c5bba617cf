// Runtime: owns the executor, the reactor and the timers, and runs tasks.
//
//   int main() {
//     auto rt = strata::Runtime::current_thread();
//     int v = rt.block_on(async_main());       // drives the runtime until async_main finishes
//   }
//   Task<void> async_main() {
//     JoinHandle<int> h = strata::spawn(work());   // spawn on the current runtime
//     co_await strata::yield_now();
//     Result<int> r = co_await h;
//   }
//
// A current-thread runtime runs every task on the thread that calls block_on(); wakers, abort()
// and Handle::spawn() work from any thread (they go through a locked injection queue and wake the
// runtime through its reactor). Destroying the runtime (or shutdown()) destroys every pending
// task's future: destructors run, JoinHandles report Errc::cancelled, later spawns are refused.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <utility>

#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/detail/task_cell.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/join_handle.hpp"
#include "strata/rt/task.hpp"

namespace strata {

struct RuntimeConfig {
  enum class Flavor { current_thread, multi_thread };
  Flavor flavor = Flavor::current_thread;
  // Tasks run between two non-blocking polls of the reactor and timers.
  std::uint32_t event_interval = 61;
  // Every this many tasks the injection queue is checked before the local queue (fairness).
  std::uint32_t global_queue_interval = 31;
};

namespace detail {

// What a Runtime drives: a scheduler that can also run a thread until a condition holds.
class Executor : public Scheduler {
 public:
  // Runs tasks on the calling thread until done(arg) is true.
  virtual void block_until(bool (*done)(void*), void* arg) = 0;
  virtual void shutdown() noexcept = 0;
};

Executor* make_current_thread_executor(const RuntimeConfig& config);

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
  static Runtime current_thread() { return Runtime(RuntimeConfig{}); }
  Runtime(Runtime&& o) noexcept : exec_(std::exchange(o.exec_, nullptr)) {}
  Runtime& operator=(Runtime&&) = delete;
  ~Runtime();

  // Runs `fut` to completion on the calling thread, driving every other task meanwhile.
  // Rethrows an exception escaping `fut`.
  template <Future F>
  FutureOutput<F> block_on(F fut) {
    using T = FutureOutput<F>;
    JoinHandle<T> h = spawn(std::move(fut));
    exec_->block_until([](void* p) { return static_cast<JoinHandle<T>*>(p)->is_finished(); }, &h);
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
  // Cancels every task and refuses new ones; the destructor calls it.
  void shutdown() noexcept;

 private:
  detail::Executor* exec_;
};

// Spawns `fut` on the runtime driving the current thread (throws std::logic_error outside one).
template <Future F>
JoinHandle<FutureOutput<F>> spawn(F fut) {
  auto& ctx = detail::require_context("spawn");
  return JoinHandle<FutureOutput<F>>(detail::spawn_cell(ctx.scheduler, std::move(fut)));
}

// Gives other tasks a turn: the current task goes to the back of the run queue.
struct YieldNow {
  bool yielded = false;
  Poll<void> poll(Context& cx) {
    if (yielded) return ready;
    yielded = true;
    cx.waker().wake_by_ref();
    return pending;
  }
};
inline YieldNow yield_now() noexcept {
  return {};
}

}  // namespace strata
