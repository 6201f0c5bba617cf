// The task state machine (see detail/task_cell.hpp for the states and the reference rules).
#include "strata/rt/detail/task_cell.hpp"

#include <cassert>
#include <mutex>

#include "strata/rt/microtask.hpp"

namespace strata::detail {

namespace {

TaskHeader* header(const void* p) noexcept {
  return static_cast<TaskHeader*>(const_cast<void*>(p));
}

void waker_clone(const void* p) {
  header(p)->ref();
}
void waker_wake(const void* p) {
  TaskHeader* t = header(p);
  task_wake_by_ref(t);
  t->unref();
}
void waker_wake_by_ref(const void* p) {
  task_wake_by_ref(header(p));
}
void waker_drop(const void* p) {
  header(p)->unref();
}

// Stores COMPLETE and wakes the joiner. The output was written by the caller.
void complete(TaskHeader* t) noexcept {
  // The load and the failure order are relaxed: the CAS re-reads. Success acq_rel: release
  // publishes the output to the acquire loads of state in JoinHandle, block_on and
  // task_shutdown(); acquire takes in the writes of wakers that set bits meanwhile.
  std::uint32_t s = t->state.load(std::memory_order_relaxed);
  while (!t->state.compare_exchange_weak(s, (s & ~(kRunning | kNotified)) | kComplete,
                                         std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
  Waker joiner;
  {
    std::lock_guard lock(t->join_lock);
    joiner = std::move(t->join_waker);
  }
  std::move(joiner).wake();
}

}  // namespace

const WakerVTable task_waker_vtable{&waker_clone, &waker_wake, &waker_wake_by_ref, &waker_drop};

// The CASes setting NOTIFIED are acq_rel: release pairs with the acquire CASes in task_run()
// (the poller that clears NOTIFIED or RUNNING sees what the waker wrote before waking, so the
// next poll observes it); acquire pairs with task_run()'s releases. The loads are acquire to
// match (relaxed would do: every path re-checks with a CAS).
void task_wake_by_ref(TaskHeader* t) noexcept {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    if (s & (kComplete | kNotified)) return;
    if (s & kRunning) {
      // The poller re-queues the task when its poll returns.
      if (t->state.compare_exchange_weak(s, s | kNotified, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
        return;
      continue;
    }
    if (t->state.compare_exchange_weak(s, s | kNotified, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      t->scheduler->schedule(t);
      return;
    }
  }
}

void task_abort(TaskHeader* t) noexcept {
  // acq_rel: the flag is read by task_run()'s acquire CAS; acquire for the COMPLETE check.
  std::uint32_t s = t->state.fetch_or(kCancelled, std::memory_order_acq_rel);
  if (!(s & kComplete)) task_wake_by_ref(t);
}

// acq_rel CASes: acquire pairs with the wakers' release CASes (see task_wake_by_ref()) and with
// the previous poll's release of RUNNING below (a task polled on another worker last time);
// release publishes this poll's writes to the next poller and to wakers.
RunResult task_run(TaskHeader* t) noexcept {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    assert(s & kNotified);
    if (s & kComplete) return RunResult::idle;
    if (t->state.compare_exchange_weak(s, (s & ~kNotified) | kRunning, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      break;
    }
  }
  if (s & kCancelled) {
    t->vtable->cancel(t);
    complete(t);
    return RunResult::complete;
  }

  Waker waker(t, &task_waker_vtable);  // borrowed: forgotten below, never dropped
  Context cx(waker);
  bool done = t->vtable->poll(t, cx);
  waker.forget();
  // Jobs the poll queued (Promise reactions) run now, while this task cannot run elsewhere.
  drain_microtasks();
  if (done) {
    complete(t);
    return RunResult::complete;
  }

  s = t->state.load(std::memory_order_acquire);
  for (;;) {
    // A wake (or abort) during the poll left NOTIFIED set: the task must run again.
    if (t->state.compare_exchange_weak(s, s & ~kRunning, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return (s & kNotified) ? RunResult::reschedule : RunResult::idle;
    }
  }
}

void task_shutdown(TaskHeader* t) noexcept {
  // acquire: pairs with the release CAS in complete().
  if (t->state.load(std::memory_order_acquire) & kComplete) return;
  t->vtable->cancel(t);
  complete(t);
}

}  // namespace strata::detail
