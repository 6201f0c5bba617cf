// Mutex<T>: an asynchronous mutex owning a T; lock() is a future, the guard unlocks when destroyed
// (tokio::sync::Mutex).
//
//   sync::Mutex<std::vector<int>> log;
//   {
//     auto guard = co_await log.lock();
//     guard->push_back(1);
//     co_await sleep(1ms);         // holding the lock across co_await is fine (and intended)
//   }                              // unlocked here; the next waiter (FIFO) gets the lock
//
// Use it when the lock must be held across a suspension point; for a few instructions on plain
// data, std::mutex is faster. Fair: waiters get the lock in arrival order. The guard may be
// destroyed on any thread (the task may have moved to another worker). Cancellation: a pending
// lock() that is destroyed leaves the queue; if the lock had already been handed to it, it
// passes to the next waiter. Built on a one-permit Semaphore. The Mutex must outlive its futures
// and guards, and must not move.
#pragma once

#include <optional>
#include <utility>

#include "strata/rt/sync/semaphore.hpp"

namespace strata::sync {

template <class T>
class Mutex;

// g++ 12 reports false -Wmaybe-uninitialized warnings for guards inside select()'s variant.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Exclusive access to a Mutex's value; unlocks when destroyed.
template <class T>
class [[nodiscard]] MutexGuard {
 public:
  MutexGuard(MutexGuard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  MutexGuard& operator=(MutexGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  ~MutexGuard() { unlock(); }

  T& operator*() const noexcept { return m_->value_; }
  T* operator->() const noexcept { return &m_->value_; }
  // Unlocks now; the guard is empty afterwards.
  void unlock() noexcept {
    if (auto* m = std::exchange(m_, nullptr)) m->sem_.add_permits(1);
  }

 private:
  friend class Mutex<T>;
  explicit MutexGuard(Mutex<T>* m) noexcept : m_(m) {}
  Mutex<T>* m_ = nullptr;
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <class T>
class Mutex {
 public:
  template <class... Args>
  explicit Mutex(Args&&... args) : value_(std::forward<Args>(args)...) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // The future returned by lock(). Movable only before its first poll.
  class [[nodiscard]] Lock {
   public:
    Lock(Lock&&) noexcept = default;
    Poll<MutexGuard<T>> poll(Context& cx) {
      auto p = acquire_.poll(cx);
      if (p.is_pending()) return pending;
      p.take()->forget();  // never fails: the semaphore is never closed
      return MutexGuard<T>(m_);
    }

   private:
    friend class Mutex;
    explicit Lock(Mutex* m) noexcept : m_(m), acquire_(m->sem_.acquire(1)) {}
    Mutex* m_;
    Semaphore::Acquire acquire_;
  };

  // Waits for the lock (FIFO).
  Lock lock() noexcept { return Lock(this); }
  // Takes the lock if it is free and nobody waits.
  std::optional<MutexGuard<T>> try_lock() noexcept {
    auto p = sem_.try_acquire(1);
    if (!p) return std::nullopt;
    p->forget();
    return MutexGuard<T>(this);
  }
  // Direct access when the caller knows nobody else can use the mutex (no guard, no waiter).
  T& get_mut() noexcept { return value_; }

 private:
  friend class MutexGuard<T>;
  Semaphore sem_{1};
  T value_;
};

}  // namespace strata::sync
