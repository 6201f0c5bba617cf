// Promise state transitions and the unhandled-rejection tracker (see strata/rx/promise.hpp and
// the design note in strata/rx/detail/promise_state.hpp).
#include "strata/rx/promise.hpp"

#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace strata::rx {

namespace {

std::mutex g_hook_mu;
UnhandledRejectionHook g_hook;

void default_hook(const std::exception_ptr& reason) {
  const char* what = "(not a std::exception)";
  try {
    std::rethrow_exception(reason);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::fprintf(stderr, "strata::rx: unhandled promise rejection: %s\n", what);
}

void report(const std::exception_ptr& reason) {
  UnhandledRejectionHook hook;
  {
    std::lock_guard g(g_hook_mu);
    hook = g_hook;
  }
  if (hook) {
    hook(reason);
  } else {
    default_hook(reason);
  }
}

// Rejected promises without a reaction, checked once this thread's microtask queue is empty
// (Node reports after its microtask queue drains too): a handler attached by a later microtask
// of the same drain still counts.
struct Tracker {
  std::vector<detail::StateBase*> rejected;
  Microtask check;
  bool queued = false;

  Tracker() { check.run = &run_check; }
  ~Tracker() {
    for (auto* s : rejected) s->unref();
  }
  static void run_check(Microtask* m) noexcept;
};

thread_local Tracker t_tracker;

void Tracker::run_check(Microtask* m) noexcept {
  if (microtasks_pending()) {
    queue_microtask(m);  // behind everything queued so far
    return;
  }
  auto& t = t_tracker;
  t.queued = false;
  auto list = std::move(t.rejected);
  t.rejected.clear();
  for (auto* s : list) {
    bool handled;
    {
      std::lock_guard g(s->lock);
      handled = std::exchange(s->handled, true);
    }
    if (!handled) report(s->reason);
    s->unref();
  }
}

void track_unhandled(detail::StateBase* s) {
  auto& t = t_tracker;
  s->ref();
  t.rejected.push_back(s);
  if (!t.queued) {
    t.queued = true;
    queue_microtask(&t.check);
  }
}

}  // namespace

UnhandledRejectionHook on_unhandled_rejection(UnhandledRejectionHook hook) {
  std::lock_guard g(g_hook_mu);
  return std::exchange(g_hook, std::move(hook));
}

namespace detail {

ReactionBase::~ReactionBase() = default;

void ReactionBase::run_job(Microtask* m) noexcept {
  if (!m) __builtin_unreachable();  // queued nodes are never null
  auto* r = static_cast<ReactionBase*>(m);
  StateBase* src = r->source;
  r->fire();
  delete r;
  src->unref();
}

StateBase::~StateBase() {
  // Reactions of a promise that never settled: dropping them releases their targets.
  for (ReactionBase* r = head; r;) delete std::exchange(r, r->next_reaction);
}

void StateBase::finish_settle() noexcept {
  ReactionBase* list = std::exchange(head, nullptr);
  tail = nullptr;
  std::vector<Waker> woken = std::move(wakers);
  bool unhandled = status == Status::rejected && !handled;
  lock.unlock();
  while (list) {
    ReactionBase* r = std::exchange(list, list->next_reaction);
    ref();
    r->source = this;
    queue_microtask(r);
  }
  for (auto& w : woken) std::move(w).wake();
  if (unhandled) track_unhandled(this);
}

void StateBase::add_reaction(ReactionBase* r) noexcept {
  lock.lock();
  handled = true;
  if (status == Status::pending) {
    if (tail) {
      tail->next_reaction = r;
    } else {
      head = r;
    }
    tail = r;
    lock.unlock();
    return;
  }
  lock.unlock();
  ref();
  r->source = this;
  queue_microtask(r);
}

bool StateBase::reject(std::exception_ptr e) noexcept {
  lock.lock();
  if (status != Status::pending) {
    lock.unlock();
    return false;
  }
  reason = std::move(e);
  status = Status::rejected;
  finish_settle();
  return true;
}

bool StateBase::add_waker(const Waker& w) {
  std::lock_guard g(lock);
  handled = true;
  if (status != Status::pending) return false;
  for (auto& have : wakers) {
    if (have.will_wake(w)) return true;
  }
  wakers.push_back(w);
  return true;
}

std::exception_ptr chaining_cycle_error() {
  return std::make_exception_ptr(std::logic_error("Chaining cycle detected for promise"));
}

}  // namespace detail
}  // namespace strata::rx
