#include "strata/rt/sync/notify.hpp"

#include <cassert>
#include <mutex>

namespace strata::sync {

// seq_cst (acquire would do): pairs with the fetch_add in notify_waiters(); a Notified created
// before a notify_waiters() call (ordered by whatever made the creator run first) reads the old
// generation and is woken by it.
Notify::Notified::Notified(Notify* n) noexcept
    : notify_(n), generation_(n->generation_.load(std::memory_order_seq_cst)) {}

Notify::Notified::Notified(Notified&& o) noexcept
    : notify_(o.notify_), generation_(o.generation_), done_(o.done_) {
  assert(!o.registered_ && "a Notified future cannot move after its first poll");
}

Notify::Notified::~Notified() {
  if (!registered_ || done_) return;
  Waker old, next;
  {
    std::lock_guard lock(notify_->lock_);
    if (node_.linked()) {
      node_.unlink();
    } else if (node_.state == State::notified) {
      // Chosen by notify_one() but never completed: pass the notification on.
      next = notify_->notify_one_locked();
    }
    old = std::move(node_.waker);
  }
  std::move(next).wake();
}

// Under the lock. `w` is the waker to register (null: register without one).
bool Notify::Notified::poll_locked(const Waker* w, Waker& old) {
  Notify& n = *notify_;
  // relaxed: under lock_, which notify_waiters() holds while it bumps the generation.
  if (node_.state == State::notified ||
      n.generation_.load(std::memory_order_relaxed) != generation_) {
    if (node_.linked()) node_.unlink();
    node_.state = State::done;
    done_ = true;
    return true;
  }
  if (!registered_) {
    if (n.permit_) {
      n.permit_ = false;
      done_ = true;
      return true;
    }
    registered_ = true;
    node_.state = State::waiting;
    if (w) node_.waker = *w;
    n.waiters_.push_back(&node_);
    return false;
  }
  if (w && !node_.waker.will_wake(*w)) old = std::exchange(node_.waker, *w);
  return false;
}

Poll<void> Notify::Notified::poll(Context& cx) {
  if (done_) return ready;
  Waker old;
  std::lock_guard lock(notify_->lock_);
  if (poll_locked(&cx.waker(), old)) return ready;
  return pending;
}

bool Notify::Notified::enable() {
  if (done_) return true;
  Waker old;
  std::lock_guard lock(notify_->lock_);
  return poll_locked(nullptr, old);
}

Waker Notify::notify_one_locked() noexcept {
  if (Waiter* w = waiters_.pop_front()) {
    w->state = Notified::State::notified;
    return std::move(w->waker);
  }
  permit_ = true;
  return {};
}

void Notify::notify_one() noexcept {
  Waker w;
  {
    std::lock_guard lock(lock_);
    w = notify_one_locked();
  }
  std::move(w).wake();
}

void Notify::notify_waiters() noexcept {
  std::unique_lock lock(lock_);
  // seq_cst: pairs with the load in Notified's constructor (see there); under lock_ for
  // poll_locked().
  generation_.fetch_add(1, std::memory_order_seq_cst);
  // Waiters found unlinked by a later poll see the new generation and complete.
  detail::WaitList<Waiter> woken;
  woken.take_all(waiters_);
  detail::drain_and_wake(woken, lock, [](Waiter* w) { return std::move(w->waker); });
}

}  // namespace strata::sync
