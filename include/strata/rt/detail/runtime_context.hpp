// The thread-local pointer to the runtime driving the current thread: how spawn(), sleep() and
// socket registrations find their runtime without a handle being passed around.
#pragma once

#include <cstdint>
#include <vector>

#include "strata/rt/waker.hpp"

namespace strata::detail {

class Scheduler;
class TimerDriver;
class Reactor;
class BlockingPool;

struct RuntimeContext {
  Scheduler* scheduler = nullptr;
  TimerDriver* timers = nullptr;
  Reactor* reactor = nullptr;
  BlockingPool* blocking = nullptr;
  // Every worker's reactor (one entry on the current-thread runtime), for WorkerAffinity.
  Reactor* const* worker_reactors = nullptr;
  std::uint32_t workers = 0;
  // Wakers of tasks that yielded (yield_now): woken after this worker next polls its reactor,
  // so a task that yields in a loop lets I/O that became ready run first (tokio's defer).
  // Null where there is no worker loop (block_in_place, block_on from outside): wake at once.
  std::vector<Waker>* deferred = nullptr;
};

// Queues `w` on the current worker's deferred list; false if there is none (wake it yourself).
bool defer_wake(const Waker& w);
// Wakes and clears a deferred list (after a reactor poll).
void wake_deferred(std::vector<Waker>& deferred) noexcept;

// The context of the runtime driving this thread, or nullptr.
RuntimeContext* current_context() noexcept;
// The current context; throws std::logic_error naming `what` when the thread runs no runtime.
RuntimeContext& require_context(const char* what);

// The current context's timer driver / reactor; throws std::logic_error naming `what` when the
// thread has none (outside a runtime, or inside block_in_place, where the worker's timers and
// sockets have been handed to another thread).
TimerDriver& require_timers(const char* what);
Reactor& require_reactor(const char* what);

// Makes require_reactor() return `r` on this thread while the guard lives (WorkerAffinity).
class ReactorOverride {
 public:
  explicit ReactorOverride(Reactor* r) noexcept;
  ~ReactorOverride();
  ReactorOverride(const ReactorOverride&) = delete;
  ReactorOverride& operator=(const ReactorOverride&) = delete;

 private:
  Reactor* prev_;
};

// Installs a context for the lifetime of the guard (nesting restores the previous one).
class ContextGuard {
 public:
  explicit ContextGuard(RuntimeContext* ctx) noexcept;
  ~ContextGuard();
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;

 private:
  RuntimeContext* prev_;
};

}  // namespace strata::detail
