// RwLock<T>: an asynchronous reader-writer lock owning a T (tokio::sync::RwLock).
//
//   struct Config { int port = 80; };
//   sync::RwLock<Config> config;
//   { auto r = co_await config.read();  use(r->port); }      // many readers at once
//   { auto w = co_await config.write(); w->port = 8080; }    // one writer, no readers
//
// Fairness policy: FIFO, hence writer-preferring in effect. Tasks are served in arrival order:
// once a writer waits, readers arriving after it wait behind it (so writers never starve), and
// consecutive waiting readers are admitted together. A WriteGuard can be downgraded to a ReadGuard
// without letting a writer in between. Built on a Semaphore with `max_readers` permits (a reader
// takes one, a writer all of them), so it inherits its cancellation rules: a destroyed pending
// read()/write() leaves the queue and passes on whatever it had been given. Guards may be
// destroyed on any thread. The RwLock must outlive its futures and guards, and must not move.
#pragma once

#include <cassert>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "strata/rt/sync/semaphore.hpp"

namespace strata::sync {

template <class T>
class RwLock;

// g++ 12 reports false -Wmaybe-uninitialized warnings for guards inside select()'s variant.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Shared access to an RwLock's value; released when destroyed.
template <class T>
class [[nodiscard]] RwLockReadGuard {
 public:
  RwLockReadGuard(RwLockReadGuard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  RwLockReadGuard& operator=(RwLockReadGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      l_ = std::exchange(o.l_, nullptr);
    }
    return *this;
  }
  ~RwLockReadGuard() { unlock(); }

  const T& operator*() const noexcept { return l_->value_; }
  const T* operator->() const noexcept { return &l_->value_; }
  void unlock() noexcept {
    if (auto* l = std::exchange(l_, nullptr)) l->sem_.add_permits(1);
  }

 private:
  friend class RwLock<T>;
  template <class U>
  friend class RwLockWriteGuard;
  explicit RwLockReadGuard(RwLock<T>* l) noexcept : l_(l) {}
  RwLock<T>* l_ = nullptr;
};

// Exclusive access to an RwLock's value; released when destroyed.
template <class T>
class [[nodiscard]] RwLockWriteGuard {
 public:
  RwLockWriteGuard(RwLockWriteGuard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  RwLockWriteGuard& operator=(RwLockWriteGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      l_ = std::exchange(o.l_, nullptr);
    }
    return *this;
  }
  ~RwLockWriteGuard() { unlock(); }

  T& operator*() const noexcept { return l_->value_; }
  T* operator->() const noexcept { return &l_->value_; }
  void unlock() noexcept {
    if (auto* l = std::exchange(l_, nullptr)) l->sem_.add_permits(l->max_readers_);
  }
  // Turns this write lock into a read lock atomically (no writer can get in between); waiting
  // readers at the head of the queue are admitted. The guard is empty afterwards.
  RwLockReadGuard<T> downgrade() && noexcept {
    auto* l = std::exchange(l_, nullptr);
    l->sem_.add_permits(l->max_readers_ - 1);
    return RwLockReadGuard<T>(l);
  }

 private:
  friend class RwLock<T>;
  explicit RwLockWriteGuard(RwLock<T>* l) noexcept : l_(l) {}
  RwLock<T>* l_ = nullptr;
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <class T>
class RwLock {
 public:
  static constexpr std::uint32_t default_max_readers =
      std::numeric_limits<std::uint32_t>::max() >> 3;

  template <class... Args>
  explicit RwLock(Args&&... args)
      : RwLock(Tag{}, default_max_readers, std::forward<Args>(args)...) {}
  // A lock admitting at most `max_readers` (>= 1) read guards at once.
  template <class... Args>
  static RwLock with_max_readers(std::uint32_t max_readers, Args&&... args) {
    return RwLock(Tag{}, max_readers, std::forward<Args>(args)...);
  }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  // The future returned by read(). Movable only before its first poll.
  class [[nodiscard]] Read {
   public:
    Read(Read&&) noexcept = default;
    Poll<RwLockReadGuard<T>> poll(Context& cx) {
      auto p = acquire_.poll(cx);
      if (p.is_pending()) return pending;
      p.take()->forget();
      return RwLockReadGuard<T>(l_);
    }

   private:
    friend class RwLock;
    explicit Read(RwLock* l) noexcept : l_(l), acquire_(l->sem_.acquire(1)) {}
    RwLock* l_;
    Semaphore::Acquire acquire_;
  };

  // The future returned by write(). Movable only before its first poll.
  class [[nodiscard]] Write {
   public:
    Write(Write&&) noexcept = default;
    Poll<RwLockWriteGuard<T>> poll(Context& cx) {
      auto p = acquire_.poll(cx);
      if (p.is_pending()) return pending;
      p.take()->forget();
      return RwLockWriteGuard<T>(l_);
    }

   private:
    friend class RwLock;
    explicit Write(RwLock* l) noexcept : l_(l), acquire_(l->sem_.acquire(l->max_readers_)) {}
    RwLock* l_;
    Semaphore::Acquire acquire_;
  };

  Read read() noexcept { return Read(this); }
  Write write() noexcept { return Write(this); }
  std::optional<RwLockReadGuard<T>> try_read() noexcept {
    auto p = sem_.try_acquire(1);
    if (!p) return std::nullopt;
    p->forget();
    return RwLockReadGuard<T>(this);
  }
  std::optional<RwLockWriteGuard<T>> try_write() noexcept {
    auto p = sem_.try_acquire(max_readers_);
    if (!p) return std::nullopt;
    p->forget();
    return RwLockWriteGuard<T>(this);
  }
  // Direct access when the caller knows nobody else can use the lock.
  T& get_mut() noexcept { return value_; }
  std::uint32_t max_readers() const noexcept { return max_readers_; }

 private:
  friend class RwLockReadGuard<T>;
  friend class RwLockWriteGuard<T>;
  struct Tag {};
  template <class... Args>
  RwLock(Tag, std::uint32_t max_readers, Args&&... args)
      : max_readers_(max_readers), sem_(max_readers), value_(std::forward<Args>(args)...) {
    assert(max_readers >= 1);
  }

  std::uint32_t max_readers_;
  Semaphore sem_;
  T value_;
};

}  // namespace strata::sync
