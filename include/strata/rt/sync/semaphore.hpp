// Semaphore: a counter of permits that tasks acquire and release (tokio::sync::Semaphore).
//
//   sync::Semaphore conns(100);                          // at most 100 connections at once
//   Result<sync::SemaphorePermit> p = co_await conns.acquire();
//   if (!p) co_return;                                   // Errc::closed after close()
//   co_await fetch(1);                                   // the permit returns when `p` dies
//
// - Fair (FIFO): permits go to waiters in arrival order, and a waiter asking for many permits
//   blocks those behind it (permits released meanwhile are assigned to it bit by bit), so large
//   requests never starve. try_acquire() fails while anyone waits.
// - acquire(n) is a future of Result<SemaphorePermit>; the permit gives its permits back when
//   destroyed (or never, after forget()).
// - close() fails every pending and future acquire with Errc::closed; permits still return.
// - Cancellation: destroying a pending Acquire unlinks it in O(1) and hands the permits already
//   assigned to it (or all of them, if it was granted but never completed) to the next waiters.
// Thread-safe. The Semaphore must outlive its futures and permits, and must not move.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <mutex>
#include <utility>

#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/sync/detail/wait_list.hpp"
#include "strata/rt/sync/error.hpp"

namespace strata::sync {

class Semaphore;

// Permits held from a Semaphore; released on destruction.
class [[nodiscard]] SemaphorePermit {
 public:
  SemaphorePermit() noexcept = default;
  SemaphorePermit(SemaphorePermit&& o) noexcept
      : sem_(std::exchange(o.sem_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  SemaphorePermit& operator=(SemaphorePermit&& o) noexcept {
    if (this != &o) {
      release();
      sem_ = std::exchange(o.sem_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  ~SemaphorePermit() { release(); }

  std::size_t num_permits() const noexcept { return n_; }
  // Drops the permits without returning them: the semaphore shrinks for good.
  void forget() noexcept { sem_ = nullptr, n_ = 0; }
  // Returns the permits now.
  void release() noexcept;

 private:
  friend class Semaphore;
  SemaphorePermit(Semaphore* s, std::size_t n) noexcept : sem_(s), n_(n) {}

  Semaphore* sem_ = nullptr;
  std::size_t n_ = 0;
};

class Semaphore {
 public:
  // The largest number of permits a semaphore may hold.
  static constexpr std::size_t max_permits = std::numeric_limits<std::size_t>::max() >> 3;

  explicit Semaphore(std::size_t permits) noexcept : permits_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // The future returned by acquire(). Movable only before its first poll.
  class [[nodiscard]] Acquire {
   public:
    Acquire(Acquire&& o) noexcept : sem_(o.sem_), n_(o.n_) {
      assert(!o.queued_ && "an Acquire future cannot move after its first poll");
    }
    Acquire& operator=(Acquire&&) = delete;
    ~Acquire();

    Poll<Result<SemaphorePermit>> poll(Context& cx);

   private:
    friend class Semaphore;
    enum class State : std::uint8_t { waiting, granted, closed };
    struct Waiter : detail::Link {
      Waker waker;
      std::size_t requested = 0;
      std::size_t needed = 0;  // permits still missing
      State state = State::waiting;
    };
    Acquire(Semaphore* s, std::size_t n) noexcept : sem_(s), n_(n) {}

    Semaphore* sem_;
    std::size_t n_;
    bool queued_ = false;  // only the owner reads these two
    bool done_ = false;
    Waiter node_;
  };

  // Waits for `n` permits (FIFO). Errc::closed once the semaphore is closed.
  Acquire acquire(std::size_t n = 1) noexcept { return Acquire(this, n); }
  // Takes `n` permits if they are available now and nobody is waiting.
  std::expected<SemaphorePermit, TryAcquireError> try_acquire(std::size_t n = 1) noexcept;
  // Adds permits (waking waiters in order).
  void add_permits(std::size_t n) noexcept;
  // Removes up to `n` available permits; returns how many were removed.
  std::size_t forget_permits(std::size_t n) noexcept;
  std::size_t available_permits() const noexcept;
  // Fails all pending and future acquires with Errc::closed.
  void close() noexcept;
  bool is_closed() const noexcept;

 private:
  friend class SemaphorePermit;
  using Waiter = Acquire::Waiter;
  // Gives `n` permits to the waiters in order, the rest to the pool; wakes the completed waiters.
  // Returns with `lock` released.
  void release_locked(std::size_t n, std::unique_lock<strata::detail::SpinLock>& lock) noexcept;

  mutable strata::detail::SpinLock lock_;
  std::size_t permits_;  // available; nonzero only while nobody waits
  bool closed_ = false;
  detail::WaitList<Waiter> waiters_;
};

inline void SemaphorePermit::release() noexcept {
  if (auto* s = std::exchange(sem_, nullptr)) s->add_permits(std::exchange(n_, 0));
}

}  // namespace strata::sync
