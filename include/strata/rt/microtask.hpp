// Microtasks: a per-thread FIFO of callbacks run after each task poll (JavaScript's job queue).
//
//   struct Job : strata::Microtask { int n; };
//   Job job;
//   job.run = [](strata::Microtask* m) { use(static_cast<Job*>(m)->n); };
//   strata::queue_microtask(&job);   // runs once the current task's poll returns
//
// Every executor thread drains its queue right after each task poll returns (before the task can
// be polled again elsewhere), until the queue is empty, so microtasks queued by microtasks run in
// the same drain. Outside a runtime, call run_microtasks() yourself. The rx layer's Promise
// queues its reaction jobs here.
// Threads: the queue is thread-local; a Microtask runs on the thread that queued it.
// Allocation: none; the node is intrusive and owned by the caller until `run` is called (`run` may
// free it). Cost when empty: one thread-local load and a predictable branch per poll.
#pragma once

namespace strata {

struct Microtask {
  Microtask* next = nullptr;
  void (*run)(Microtask* self) = nullptr;
};

// Appends `m` to this thread's queue.
void queue_microtask(Microtask* m) noexcept;
// Runs queued microtasks until the queue is empty; returns how many ran. An exception escaping
// a microtask terminates (as an exception escaping a JavaScript job is fatal to it).
unsigned run_microtasks() noexcept;
// True when this thread's queue holds a microtask not yet run.
bool microtasks_pending() noexcept;

namespace detail {

struct MicrotaskQueue {
  Microtask* head = nullptr;
  Microtask* tail = nullptr;
};
extern constinit thread_local MicrotaskQueue microtask_queue;

// The executors' hook after a task poll: free unless something was queued.
inline void drain_microtasks() noexcept {
  if (microtask_queue.head) [[unlikely]]
    run_microtasks();
}

}  // namespace detail
}  // namespace strata
