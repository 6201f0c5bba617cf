// The heap cell behind a spawned task: header (state, refcount, links), the future, its output.
//
// State machine (one atomic word):
//   NOTIFIED  the task is in a run queue, or will be re-queued when its current poll ends
//   RUNNING   a worker is polling it right now
//   COMPLETE  the output (value, exception or cancellation) is stored; wakes are no-ops
//   CANCELLED abort() was requested; the next run destroys the future instead of polling it
// A wake sets NOTIFIED; only the wake that moves an idle task to NOTIFIED enqueues it, so a task
// is in at most one queue once, and a wake during a poll re-queues the task after the poll
// (no wake-up is ever lost or doubled). References: one held by the runtime until completion,
// one by the JoinHandle, one per Waker clone; the last one frees the cell.
#pragma once

#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/frame_allocator.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/waker.hpp"

namespace strata::detail {

struct TaskHeader;

// What a runtime implements so that tasks can be queued on it. Reference counted: every live
// task holds a reference, so a waker fired after the runtime is gone never touches freed memory.
class Scheduler {
 public:
  // Queues a task whose state just became NOTIFIED. Must accept calls from any thread.
  virtual void schedule(TaskHeader* task) noexcept = 0;
  // Takes ownership of a new task (state NOTIFIED). Returns false when shutting down.
  virtual bool bind(TaskHeader* task) noexcept = 0;

  // The usual reference count: adding is relaxed (the caller already holds a reference);
  // dropping is acq_rel so that every holder's writes happen before the delete.
  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  virtual ~Scheduler() = default;

 private:
  Atomic<std::uint32_t> refs_{1};
};

enum TaskState : std::uint32_t {
  kNotified = 1u << 0,
  kRunning = 1u << 1,
  kComplete = 1u << 2,
  kCancelled = 1u << 3,
};

struct TaskVTable {
  // Polls the future; returns true once the output (value or exception) is stored.
  bool (*poll)(TaskHeader*, Context&);
  // Destroys the future without completing it and stores a cancellation as the output.
  void (*cancel)(TaskHeader*) noexcept;
  // Destroys the cell and frees its memory.
  void (*destroy)(TaskHeader*) noexcept;
};

enum class RunResult { idle, reschedule, complete };

struct TaskHeader {
  Atomic<std::uint32_t> state{kNotified};
  Atomic<std::uint32_t> refs{2};  // the runtime's and the JoinHandle's
  const TaskVTable* vtable = nullptr;
  Scheduler* scheduler = nullptr;
  TaskHeader* queue_next = nullptr;  // run-queue link, owned by the scheduler
  TaskHeader* owned_prev = nullptr;  // the runtime's list of live tasks
  TaskHeader* owned_next = nullptr;
  std::uint32_t owner = 0;  // which worker's owned list holds the task (multi-thread runtime)
  SpinLock join_lock;
  Waker join_waker;

  // As Scheduler's: relaxed add by a holder, acq_rel drop before destroy.
  void ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) vtable->destroy(this);
  }
};

extern const WakerVTable task_waker_vtable;

void task_wake_by_ref(TaskHeader* t) noexcept;
// Runs one poll of a NOTIFIED task on the calling (scheduler) thread.
RunResult task_run(TaskHeader* t) noexcept;
// Requests cancellation: the task is destroyed at its next scheduling point.
void task_abort(TaskHeader* t) noexcept;
// Shutdown path: destroys the future of a task that is not running and completes it as cancelled.
void task_shutdown(TaskHeader* t) noexcept;

// The part of a cell a JoinHandle<T> sees: the header plus the output.
template <class T>
struct TaskOutput : TaskHeader {
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  struct Cancelled {};
  std::variant<std::monostate, Value, std::exception_ptr, Cancelled> output;
};

template <Future F>
struct TaskCell final : TaskOutput<FutureOutput<F>> {
  using Out = FutureOutput<F>;
  using Base = TaskOutput<Out>;
  union {
    F fut;
  };
  bool fut_alive = true;

  explicit TaskCell(F&& f) : fut(std::move(f)) { this->vtable = &vtable_instance; }
  ~TaskCell() { drop_future(); }

  void drop_future() noexcept {
    if (fut_alive) {
      fut_alive = false;
      fut.~F();
    }
  }

  static bool poll(TaskHeader* h, Context& cx) {
    auto* self = static_cast<TaskCell*>(h);
    try {
      auto p = self->fut.poll(cx);
      if (p.is_pending()) return false;
      if constexpr (std::is_void_v<Out>) {
        self->output.template emplace<1>();
      } else {
        self->output.template emplace<1>(p.take());
      }
    } catch (...) {
      self->output.template emplace<2>(std::current_exception());
    }
    self->drop_future();
    return true;
  }
  static void cancel(TaskHeader* h) noexcept {
    auto* self = static_cast<TaskCell*>(h);
    self->drop_future();
    self->output.template emplace<3>();
  }
  static void destroy(TaskHeader* h) noexcept {
    auto* self = static_cast<TaskCell*>(h);
    Scheduler* s = self->scheduler;
    self->~TaskCell();
    frame_free(self, sizeof(TaskCell));
    if (s) s->unref();
  }
  static constexpr TaskVTable vtable_instance{&poll, &cancel, &destroy};
};

// Allocates a cell for `f` and hands it to `sched`. Returns the cell with the JoinHandle's
// reference; a scheduler that refuses (shutdown) leaves the task completed as cancelled.
template <Future F>
TaskOutput<FutureOutput<F>>* spawn_cell(Scheduler* sched, F&& f) {
  void* mem = frame_alloc(sizeof(TaskCell<F>));
  auto* cell = new (mem) TaskCell<F>(std::move(f));
  sched->ref();
  cell->scheduler = sched;
  if (!sched->bind(cell)) {
    TaskCell<F>::cancel(cell);
    // Not shared yet (the scheduler refused it): release only mirrors complete(); the
    // JoinHandle made from it on this thread reads it with acquire.
    cell->state.store(kComplete, std::memory_order_release);
    cell->refs.store(1, std::memory_order_relaxed);  // not shared yet: relaxed
  }
  return cell;
}

}  // namespace strata::detail
