// oneshot: a channel for exactly one value, from one Sender to one Receiver
// (tokio::sync::oneshot). The usual way to get a reply from another task.
//
//   Task<void> compute(sync::oneshot::Sender<int> tx) {
//     tx.send(42);
//     co_return;
//   }
//
//   auto [tx, rx] = sync::oneshot::channel<int>();
//   spawn(compute(std::move(tx)));
//   Result<int> v = co_await rx;         // 42, or Errc::closed if tx was dropped unsent
//
// - The Receiver is a future of Result<T>; `rx.recv()` is the same future borrowing the receiver,
//   for select()/timeout() without giving the receiver away. It is cancellation-safe: the value is
//   taken only by a Ready poll, so a dropped recv() loses nothing.
// - send() never waits. It fails (handing the value back) when the receiver is gone or closed.
//   After send() the Sender is spent.
// - The Sender can watch for the receiver going away: is_closed(), `co_await tx.closed()`.
// Thread-safe: the two halves may live on different workers. Each half is used by one task at a
// time. A borrowed future (recv(), closed()) must not outlive its half.
#pragma once

#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/frame_allocator.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/sync/error.hpp"

namespace strata::sync::oneshot {

namespace detail {

// Shared by the two halves. A spin lock, not std::mutex: only two parties ever contend and every
// critical section is a few instructions (wakes run after unlocking); the state comes from the
// frame allocator's caches, so a channel costs no malloc in steady state.
template <class T>
struct State {
  strata::detail::SpinLock mu;
  std::optional<T> value;
  Waker rx_waker;
  Waker tx_waker;          // a Sender waiting in closed()
  bool tx_done = false;    // the sender sent or is gone
  bool rx_closed = false;  // the receiver closed or is gone
};

}  // namespace detail

template <class T>
class Receiver;

template <class T>
class Sender {
 public:
  using State = detail::State<T>;

  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&& o) noexcept {
    if (this != &o) {
      drop();
      st_ = std::move(o.st_);
    }
    return *this;
  }
  ~Sender() { drop(); }

  // Sends the value. Fails, handing it back, when the receiver is gone, closed, or the Sender was
  // already used.
  SendResult<T> send(T value) {
    auto st = std::move(st_);
    if (!st) return std::unexpected(SendError<T>(std::move(value)));
    Waker w;
    {
      std::lock_guard lock(st->mu);
      st->tx_done = true;
      if (st->rx_closed) return std::unexpected(SendError<T>(std::move(value)));
      st->value.emplace(std::move(value));
      w = std::move(st->rx_waker);
    }
    std::move(w).wake();
    return {};
  }

  // True when a send would fail: the receiver is gone or closed (or this Sender is spent).
  bool is_closed() const {
    if (!st_) return true;
    std::lock_guard lock(st_->mu);
    return st_->rx_closed;
  }

  // A future that completes when the receiver is dropped or closed. Borrows the Sender.
  class [[nodiscard]] Closed {
   public:
    Poll<void> poll(Context& cx) {
      if (!st_) return ready;
      Waker old;
      std::lock_guard lock(st_->mu);
      if (st_->rx_closed) return ready;
      if (!st_->tx_waker.will_wake(cx.waker())) old = std::exchange(st_->tx_waker, cx.waker());
      return pending;
    }

   private:
    friend class Sender;
    explicit Closed(State* st) noexcept : st_(st) {}
    State* st_;
  };
  Closed closed() noexcept { return Closed(st_.get()); }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel();
  explicit Sender(std::shared_ptr<State> st) noexcept : st_(std::move(st)) {}
  void drop() noexcept {
    auto st = std::move(st_);
    if (!st) return;
    Waker w, old;
    {
      std::lock_guard lock(st->mu);
      st->tx_done = true;
      w = std::move(st->rx_waker);
      old = std::move(st->tx_waker);
    }
    std::move(w).wake();
  }

  std::shared_ptr<State> st_;
};

template <class T>
class Receiver {
 public:
  using State = detail::State<T>;

  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      drop();
      st_ = std::move(o.st_);
    }
    return *this;
  }
  ~Receiver() { drop(); }

  // The value once sent; Errc::closed if the sender is gone without sending (or the value was
  // already received, or the receiver was closed before a value came).
  Poll<Result<T>> poll(Context& cx) {
    if (!st_) return Result<T>(fail(Errc::closed, "oneshot: receiver used up"));
    Waker old;
    std::lock_guard lock(st_->mu);
    if (st_->value) {
      // Not a named Result: g++ 12 at -O1 (TSan builds) then warns, wrongly, that the moved
      // Error alternative may be uninitialised.
      T v = std::move(*st_->value);
      st_->value.reset();
      return Result<T>(std::move(v));
    }
    if (st_->tx_done || st_->rx_closed) {
      return Result<T>(fail(Errc::closed, "oneshot: sender dropped"));
    }
    if (!st_->rx_waker.will_wake(cx.waker())) old = std::exchange(st_->rx_waker, cx.waker());
    return pending;
  }

  // The same future as the receiver itself, borrowing it (for select() and timeout()).
  class [[nodiscard]] Recv {
   public:
    Poll<Result<T>> poll(Context& cx) { return rx_->poll(cx); }

   private:
    friend class Receiver;
    explicit Recv(Receiver* rx) noexcept : rx_(rx) {}
    Receiver* rx_;
  };
  Recv recv() noexcept { return Recv(this); }

  // The value if it has been sent; TryRecvError::empty if not yet, ::closed if it never will be.
  std::expected<T, TryRecvError> try_recv() {
    if (!st_) return std::unexpected(TryRecvError::closed);
    std::lock_guard lock(st_->mu);
    if (st_->value) {
      T v(std::move(*st_->value));
      st_->value.reset();
      return v;
    }
    if (st_->tx_done || st_->rx_closed) return std::unexpected(TryRecvError::closed);
    return std::unexpected(TryRecvError::empty);
  }

  // Refuses any later send; a value sent before stays receivable.
  void close() {
    if (!st_) return;
    Waker w;
    {
      std::lock_guard lock(st_->mu);
      st_->rx_closed = true;
      w = std::move(st_->tx_waker);
    }
    std::move(w).wake();
  }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel();
  explicit Receiver(std::shared_ptr<State> st) noexcept : st_(std::move(st)) {}
  void drop() noexcept {
    auto st = std::move(st_);
    if (!st) return;
    Waker w, old;
    std::optional<T> unreceived;  // destroyed after the lock is released
    {
      std::lock_guard lock(st->mu);
      st->rx_closed = true;
      unreceived = std::move(st->value);
      st->value.reset();
      w = std::move(st->tx_waker);
      old = std::move(st->rx_waker);
    }
    std::move(w).wake();
  }

  std::shared_ptr<State> st_;
};

// A new channel: the Sender and the Receiver of one value.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel() {
  auto st = std::allocate_shared<detail::State<T>>(RecyclingAllocator<detail::State<T>>());
  return {Sender<T>(st), Receiver<T>(st)};
}

}  // namespace strata::sync::oneshot
