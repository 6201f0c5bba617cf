// broadcast: multi-producer, multi-consumer channel where every receiver sees every value
// (tokio::sync::broadcast). For fan-out of events: config reloads, chat rooms, shutdown signals.
//
//   auto [tx, rx] = sync::broadcast::channel<std::string>(128);  // keeps the last 128 values
//   auto rx2 = tx.subscribe();                                    // sees values sent from now on
//   tx.send("config reloaded");                                   // returns the receiver count
//   for (;;) {
//     auto ev = co_await rx.recv();
//     if (ev) use(*ev);
//     else if (ev.error().is_lagged()) log("skipped", ev.error().skipped);  // then continues
//     else break;                                                 // closed: no Sender is left
//   }
//
// - The channel keeps the last `capacity` values (rounded up to a power of two) in a ring.
//   send() never waits: a receiver that falls more than `capacity` values behind gets
//   RecvError{lagged, skipped = how many it missed} once, and then continues from the oldest value
//   still retained. Slow receivers never slow the sender.
// - Each receiver gets a copy of each value (T must be copyable); the last receiver to read a
//   value gets it by move, and the slot is freed.
// - send() fails, handing the value back, when no receiver exists. Receivers see `closed` after
//   every Sender is gone and they have read everything retained.
// - Cancellation: a recv() takes a value only in the poll that returns it; dropping a pending
//   recv() unlinks its waiter in O(1) and loses nothing.
// Thread-safe (one lock per channel; copies of T are made under it). One recv() at a time per
// Receiver; a recv() future must not outlive its Receiver.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "strata/rt/future.hpp"
#include "strata/rt/sync/detail/counted_ref.hpp"
#include "strata/rt/sync/detail/wait_list.hpp"
#include "strata/rt/sync/error.hpp"

namespace strata::sync::broadcast {

// Why a recv() / try_recv() returned no value.
struct RecvError {
  enum class Kind : std::uint8_t {
    closed,  // every Sender is gone and everything retained was read
    lagged,  // `skipped` values were overwritten before this receiver read them
    empty,   // try_recv() only: nothing new yet
  };
  explicit RecvError(Kind k, std::uint64_t n = 0) noexcept : kind(k), skipped(n) {}
  bool is_closed() const noexcept { return kind == Kind::closed; }
  bool is_lagged() const noexcept { return kind == Kind::lagged; }
  bool is_empty() const noexcept { return kind == Kind::empty; }

  Kind kind;
  std::uint64_t skipped;
};

template <class T>
using RecvResult = std::expected<T, RecvError>;

namespace detail {

template <class T>
struct Slot {
  std::optional<T> value;
  std::uint64_t pos = std::numeric_limits<std::uint64_t>::max();  // position last written here
  std::size_t rem = 0;  // receivers that have not read it yet
};

struct RecvWaiter : sync::detail::Link {
  Waker waker;
};

// Everything is guarded by `mu`.
template <class T>
struct Shared {
  explicit Shared(std::size_t cap) : slots(new Slot<T>[cap]), mask(cap - 1) {}

  std::uint64_t capacity() const noexcept { return mask + 1; }
  void wake_all(std::unique_lock<std::mutex>& lock) {
    sync::detail::WaitList<RecvWaiter> woken;
    woken.take_all(waiters);
    sync::detail::drain_and_wake(woken, lock, [](RecvWaiter* w) { return std::move(w->waker); });
  }

  std::mutex mu;
  std::unique_ptr<Slot<T>[]> slots;
  std::size_t mask;
  std::uint64_t tail = 0;  // position of the next value sent
  std::size_t senders = 1;
  std::size_t receivers = 1;
  sync::detail::WaitList<RecvWaiter> waiters;
};

// How a Sender counts itself (sync::detail::CountedRef): the last one gone wakes the receivers,
// which then see `closed` once they have read everything retained.
struct SenderCount {
  template <class S>
  static void acquire(S& sh) {
    std::lock_guard lock(sh.mu);
    ++sh.senders;
  }
  template <class S>
  static void release(S& sh) {
    std::unique_lock lock(sh.mu);
    if (--sh.senders == 0) sh.wake_all(lock);
  }
};

}  // namespace detail

template <class T>
class Receiver;

// The sending half; copy it for more producers.
template <class T>
class Sender {
  using Shared = detail::Shared<T>;

 public:
  // Copyable and movable; the channel closes when the last copy is gone.
  Sender clone() const { return *this; }

  // Sends to every current receiver; returns how many there are. Never waits: the oldest value
  // is overwritten when the ring is full. Fails, handing the value back, with no receiver.
  std::expected<std::size_t, SendError<T>> send(T value) {
    std::optional<T> overwritten;  // destroyed after the lock is released
    std::unique_lock lock(sh_->mu);
    if (sh_->receivers == 0) return std::unexpected(SendError<T>(std::move(value)));
    auto& s = sh_->slots[sh_->tail & sh_->mask];
    overwritten.swap(s.value);
    s.value.emplace(std::move(value));
    s.pos = sh_->tail++;
    s.rem = sh_->receivers;
    std::size_t n = sh_->receivers;
    sh_->wake_all(lock);
    return n;
  }

  // A new receiver that sees every value sent from now on.
  Receiver<T> subscribe() const {
    std::lock_guard lock(sh_->mu);
    ++sh_->receivers;
    return Receiver<T>(sh_.shared(), sh_->tail);
  }

  std::size_t receiver_count() const {
    std::lock_guard lock(sh_->mu);
    return sh_->receivers;
  }
  bool same_channel(const Sender& o) const noexcept { return sh_.get() == o.sh_.get(); }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
  explicit Sender(std::shared_ptr<Shared> sh) noexcept : sh_(std::move(sh)) {}

  sync::detail::CountedRef<Shared, detail::SenderCount> sh_;
};

// A receiving half: its own position in the stream.
template <class T>
class Receiver {
  using Shared = detail::Shared<T>;

 public:
  Receiver(Receiver&& o) noexcept : sh_(std::move(o.sh_)), next_(o.next_) {}
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      drop();
      sh_ = std::move(o.sh_);
      next_ = o.next_;
    }
    return *this;
  }
  ~Receiver() { drop(); }

  // The future returned by recv(). Movable only before its first poll.
  class [[nodiscard]] Recv {
   public:
    Recv(Recv&& o) noexcept : rx_(o.rx_) {}
    Recv& operator=(Recv&&) = delete;
    ~Recv() {
      if (!queued_) return;
      Waker old;
      std::lock_guard lock(rx_->sh_->mu);
      if (node_.linked()) node_.unlink();
      old = std::move(node_.waker);
    }

    Poll<RecvResult<T>> poll(Context& cx) {
      auto& sh = *rx_->sh_;
      Waker old;
      std::lock_guard lock(sh.mu);
      auto r = rx_->try_recv_locked();
      if (r || !r.error().is_empty()) {
        if (node_.linked()) node_.unlink();
        return Poll<RecvResult<T>>(std::move(r));
      }
      if (!node_.waker.will_wake(cx.waker())) old = std::exchange(node_.waker, cx.waker());
      if (!node_.linked()) sh.waiters.push_back(&node_);
      queued_ = true;
      return pending;
    }

   private:
    friend class Receiver;
    explicit Recv(Receiver* rx) noexcept : rx_(rx) {}
    Receiver* rx_;
    bool queued_ = false;
    detail::RecvWaiter node_;
  };

  // The next value; RecvError lagged (then continue) or closed.
  Recv recv() noexcept { return Recv(this); }
  // Like recv() without waiting: RecvError::Kind::empty when nothing new was sent.
  RecvResult<T> try_recv() {
    std::lock_guard lock(sh_->mu);
    return try_recv_locked();
  }
  // A new receiver of the same channel that sees values sent from now on.
  Receiver resubscribe() const {
    std::lock_guard lock(sh_->mu);
    ++sh_->receivers;
    return Receiver(sh_, sh_->tail);
  }
  // Values sent that this receiver has not read yet (including overwritten ones).
  std::uint64_t len() const {
    std::lock_guard lock(sh_->mu);
    return sh_->tail - next_;
  }
  bool is_empty() const { return len() == 0; }

 private:
  friend class Sender<T>;
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
  Receiver(std::shared_ptr<Shared> sh, std::uint64_t next) noexcept
      : sh_(std::move(sh)), next_(next) {}

  RecvResult<T> try_recv_locked() {
    auto& sh = *sh_;
    if (next_ == sh.tail) {
      return std::unexpected(
          RecvError(sh.senders == 0 ? RecvError::Kind::closed : RecvError::Kind::empty));
    }
    auto& s = sh.slots[next_ & sh.mask];
    if (s.pos != next_) {
      // Overwritten: skip to the oldest value still retained.
      std::uint64_t oldest = sh.tail - sh.capacity();
      std::uint64_t skipped = oldest - next_;
      next_ = oldest;
      return std::unexpected(RecvError(RecvError::Kind::lagged, skipped));
    }
    ++next_;
    if (--s.rem == 0) {
      T v(std::move(*s.value));
      s.value.reset();
      return v;
    }
    return T(*s.value);
  }

  void drop() noexcept {
    auto sh = std::move(sh_);
    if (!sh) return;
    std::lock_guard lock(sh->mu);
    // Release the values this receiver will never read.
    std::uint64_t cap = sh->capacity();
    std::uint64_t from = sh->tail > cap ? std::max(next_, sh->tail - cap) : next_;
    for (std::uint64_t pos = from; pos < sh->tail; ++pos) {
      auto& s = sh->slots[pos & sh->mask];
      if (s.pos == pos && --s.rem == 0) s.value.reset();
    }
    --sh->receivers;
  }

  std::shared_ptr<Shared> sh_;
  std::uint64_t next_;
};

// A channel retaining the last `capacity` values (rounded up to a power of two).
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0 || capacity > (std::numeric_limits<std::size_t>::max() >> 2)) {
    throw std::invalid_argument("broadcast::channel: capacity must be at least 1");
  }
  auto sh = std::make_shared<detail::Shared<T>>(std::bit_ceil(capacity));
  return {Sender<T>(sh), Receiver<T>(sh, 0)};
}

}  // namespace strata::sync::broadcast
