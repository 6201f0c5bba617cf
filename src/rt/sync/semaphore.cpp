#include "strata/rt/sync/semaphore.hpp"

#include <algorithm>
#include <cassert>

namespace strata::sync {

using strata::detail::SpinLock;

Semaphore::Acquire::~Acquire() {
  if (!queued_ || done_) return;
  Waker old;
  std::unique_lock lock(sem_->lock_);
  std::size_t give_back = 0;
  if (node_.linked()) {
    node_.unlink();
    give_back = n_ - node_.needed;  // assigned to us bit by bit before we gave up
  } else if (node_.state == State::granted) {
    give_back = n_;
  }
  old = std::move(node_.waker);
  if (give_back) {
    sem_->release_locked(give_back, lock);
  } else {
    lock.unlock();
  }
}

// (Results are built in place in the Poll: a temporary Result<T> whose Error is never set makes
// g++ 12 warn about an uninitialised string in sanitizer builds.)
Poll<Result<SemaphorePermit>> Semaphore::Acquire::poll(Context& cx) {
  if (done_)
    return Poll<Result<SemaphorePermit>>(fail(Errc::closed, "semaphore: acquire completed"));
  Semaphore& s = *sem_;
  Waker old;
  std::lock_guard lock(s.lock_);
  if (!queued_) {
    if (s.closed_) {
      done_ = true;
      return Poll<Result<SemaphorePermit>>(fail(Errc::closed, "semaphore closed"));
    }
    if (s.permits_ >= n_) {
      s.permits_ -= n_;
      done_ = true;
      return Poll<Result<SemaphorePermit>>(SemaphorePermit(sem_, n_));
    }
    // Not enough: take what is there (the queue is empty, or permits_ would be 0) and queue.
    assert(s.permits_ == 0 || s.waiters_.empty());
    node_.requested = n_;
    node_.needed = n_ - s.permits_;
    s.permits_ = 0;
    node_.waker = cx.waker();
    s.waiters_.push_back(&node_);
    queued_ = true;
    return pending;
  }
  switch (node_.state) {
    case State::granted:
      done_ = true;
      return Poll<Result<SemaphorePermit>>(SemaphorePermit(sem_, n_));
    case State::closed:
      done_ = true;
      return Poll<Result<SemaphorePermit>>(fail(Errc::closed, "semaphore closed"));
    case State::waiting:
      break;
  }
  if (!node_.waker.will_wake(cx.waker())) old = std::exchange(node_.waker, cx.waker());
  return pending;
}

void Semaphore::release_locked(std::size_t n, std::unique_lock<SpinLock>& lock) noexcept {
  detail::WakeList wakes;
  while (n > 0) {
    Waiter* w = waiters_.front();
    if (!w) {
      permits_ += n;
      assert(permits_ <= max_permits && "semaphore: too many permits");
      break;
    }
    std::size_t k = std::min(n, w->needed);
    w->needed -= k;
    n -= k;
    if (w->needed == 0) {
      waiters_.pop_front();
      w->state = Acquire::State::granted;
      wakes.push(std::move(w->waker));
      if (wakes.full()) {
        // Keep the permits still in hand out of permits_ so the FIFO invariant holds meanwhile.
        lock.unlock();
        wakes.wake_all();
        lock.lock();
      }
    }
  }
  lock.unlock();
}

std::expected<SemaphorePermit, TryAcquireError> Semaphore::try_acquire(std::size_t n) noexcept {
  std::lock_guard lock(lock_);
  if (closed_) return std::unexpected(TryAcquireError::closed);
  if (permits_ < n) return std::unexpected(TryAcquireError::no_permits);
  permits_ -= n;
  return SemaphorePermit(this, n);
}

void Semaphore::add_permits(std::size_t n) noexcept {
  if (n == 0) return;
  std::unique_lock lock(lock_);
  release_locked(n, lock);
}

std::size_t Semaphore::forget_permits(std::size_t n) noexcept {
  std::lock_guard lock(lock_);
  std::size_t k = std::min(n, permits_);
  permits_ -= k;
  return k;
}

std::size_t Semaphore::available_permits() const noexcept {
  std::lock_guard lock(lock_);
  return permits_;
}

void Semaphore::close() noexcept {
  std::unique_lock lock(lock_);
  closed_ = true;
  detail::WaitList<Waiter> failed;
  failed.take_all(waiters_);
  detail::drain_and_wake(failed, lock, [this](Waiter* w) {
    // The permits assigned to a failed waiter so far go back to the pool.
    permits_ += w->requested - w->needed;
    w->state = Acquire::State::closed;
    return std::move(w->waker);
  });
}

bool Semaphore::is_closed() const noexcept {
  std::lock_guard lock(lock_);
  return closed_;
}

}  // namespace strata::sync
