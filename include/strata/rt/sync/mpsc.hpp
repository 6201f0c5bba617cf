// mpsc: multi-producer, single-consumer FIFO channels (tokio::sync::mpsc).
//
//   Task<void> produce(sync::mpsc::Sender<std::string> tx) {
//     for (int i = 0; i < 3; ++i) co_await tx.send("job");   // waits while the queue is full
//   }
//
//   auto [tx, rx] = sync::mpsc::channel<std::string>(64);   // bounded: at most 64 queued
//   spawn(produce(tx));                                  // Sender is copyable (one per producer)
//   while (std::optional<std::string> job = co_await rx.recv()) use(std::move(*job));
//   // recv() yields std::nullopt once every Sender is gone (or the channel was closed) and the
//   // queue is drained.
//
// Variants:
// - channel<T>(capacity): bounded, with backpressure. `co_await tx.send(v)` waits while the
//   queue is full; senders get free slots in FIFO order. try_send() never waits. reserve() waits
//   for a slot and returns a Permit; `permit.send(v)` then cannot fail or wait (useful to get
//   the slot before producing the value). No allocation per message: the queue is a ring buffer
//   that grows up to `capacity` and is reused.
// - unbounded_channel<T>(): send() never waits (memory is the limit); the ring buffer doubles
//   when full and never shrinks.
//
// Disconnection: when the Receiver is dropped or calls close(), sends fail and hand their value
// back (SendError<T>); values already queued stay receivable after close() (drain them to shut
// down cleanly), and Permits already granted may still send. Dropping the Receiver drops every
// queued value.
//
// Cancellation safety: a recv() future takes a value only in the poll that returns it, so a
// recv() dropped by select()/timeout() loses nothing. A pending send()/reserve() that is dropped
// leaves the queue in O(1); if a slot had already been granted to it, the slot passes to the next
// waiting sender. A dropped send() drops its value (use reserve() to keep it).
//
// Thread-safe (one lock per channel). One consumer: one recv() at a time. Futures borrow their
// Sender/Receiver and must not outlive it; a Permit must not outlive its Sender.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/sync/detail/ring_buffer.hpp"
#include "strata/rt/sync/detail/wait_list.hpp"
#include "strata/rt/sync/error.hpp"
#include "strata/rt/sync/notify.hpp"

namespace strata::sync::mpsc {

namespace detail {

enum class SlotState : std::uint8_t { waiting, granted, closed };

// A sender waiting for a free slot; lives in the send()/reserve() future.
struct SendWaiter : sync::detail::Link {
  Waker waker;
  SlotState state = SlotState::waiting;
};

// The state shared by the senders and the receiver. Every field is guarded by `mu` (except the
// constants and `closed_notify`).
//
// Slot accounting (bounded): free + reserved + buf.size() == capacity. A slot is "reserved" when
// granted to a sender (a send() future between grant and completion, or a Permit) and not yet
// filled. A freed slot goes to the first waiting sender, if any, so `free` is nonzero only while
// no sender waits (FIFO).
template <class T>
class Chan {
 public:
  explicit Chan(std::size_t cap)
      : bounded(cap != 0),
        capacity(cap),
        free(cap),
        buf(cap ? cap : std::numeric_limits<std::size_t>::max()) {}

  enum class Slot { granted, pending, closed };

  // Asks for a slot for a send()/reserve() future (`queued`: whether it already waits).
  Slot poll_slot_locked(SendWaiter& node, bool& queued, const Waker& w, Waker& old) {
    if (!queued) {
      if (rx_closed) return Slot::closed;
      if (send_waiters.empty() && free > 0) {
        --free;
        ++reserved;
        return Slot::granted;
      }
      node.waker = w;
      send_waiters.push_back(&node);
      queued = true;
      return Slot::pending;
    }
    switch (node.state) {
      case SlotState::granted:
        return Slot::granted;
      case SlotState::closed:
        return Slot::closed;
      case SlotState::waiting:
        break;
    }
    if (!node.waker.will_wake(w)) old = std::exchange(node.waker, w);
    return Slot::pending;
  }

  // A pending send()/reserve() future is dropped: leave the queue, or give back its slot.
  void cancel_slot(SendWaiter& node) noexcept {
    Waker old, next, rx;
    {
      std::lock_guard lock(mu);
      if (node.linked()) {
        node.unlink();
      } else if (node.state == SlotState::granted) {
        next = unreserve_locked(rx);
      }
      old = std::move(node.waker);
    }
    std::move(next).wake();
    std::move(rx).wake();
  }

  // A reserved slot was not used: it goes to the next waiting sender. `rx` receives the
  // receiver's waker when the channel is now drained (closed with no reservation left).
  Waker unreserve_locked(Waker& rx) noexcept {
    --reserved;
    Waker next = release_slot_locked();
    if (drained_locked()) rx = std::move(rx_waker);
    return next;
  }

  // A slot became available: grant it to the first waiting sender, or make it free.
  Waker release_slot_locked() noexcept {
    if (SendWaiter* w = send_waiters.pop_front()) {
      w->state = SlotState::granted;
      ++reserved;
      return std::move(w->waker);
    }
    ++free;
    return {};
  }

  // Fills a reserved slot (or, unbounded, appends). Returns the receiver's waker to wake.
  Waker push_locked(T&& v) {
    buf.push_back(std::move(v));
    return std::move(rx_waker);
  }

  // Nothing queued, and nothing can come any more.
  bool drained_locked() const noexcept {
    return buf.empty() && (senders == 0 || (rx_closed && reserved == 0));
  }

  bool is_closed() {
    std::lock_guard lock(mu);
    return rx_closed;
  }

  // The receiver refuses further sends: waiting senders fail, Sender::closed() completes.
  void close() noexcept {
    {
      std::unique_lock lock(mu);
      if (rx_closed) return;
      rx_closed = true;
      sync::detail::WaitList<SendWaiter> failed;
      failed.take_all(send_waiters);
      sync::detail::drain_and_wake(failed, lock, [](SendWaiter* w) {
        w->state = SlotState::closed;
        return std::move(w->waker);
      });
    }
    closed_notify.notify_waiters();
  }

  // A spin lock: every critical section is a few instructions (wakes run after unlocking; an
  // unbounded ring may grow inside one). On two workers it beats std::mutex (ping_pong_mpsc,
  // docs/sync.md).
  strata::detail::SpinLock mu;
  const bool bounded;
  const std::size_t capacity;
  std::size_t free;
  std::size_t reserved = 0;
  sync::detail::RingBuffer<T> buf;
  sync::detail::WaitList<SendWaiter> send_waiters;
  Waker rx_waker;
  std::size_t senders = 1;
  bool rx_closed = false;
  bool rx_dropped = false;
  Notify closed_notify;  // senders waiting in closed()
};

// What the bounded and unbounded senders share: the reference, counting, closed().
template <class T>
class SenderBase {
 public:
  SenderBase(const SenderBase& o) noexcept : chan_(o.chan_) {
    std::lock_guard lock(chan_->mu);
    ++chan_->senders;
  }
  SenderBase(SenderBase&&) noexcept = default;
  SenderBase& operator=(const SenderBase& o) noexcept {
    if (this != &o) *this = SenderBase(o);
    return *this;
  }
  SenderBase& operator=(SenderBase&& o) noexcept {
    if (this != &o) {
      drop();
      chan_ = std::move(o.chan_);
    }
    return *this;
  }
  ~SenderBase() { drop(); }

  // True once the receiver is gone or closed: sends will fail.
  bool is_closed() const { return chan_->is_closed(); }

  // A future that completes when the receiver is dropped or closed.
  class [[nodiscard]] Closed {
   public:
    Closed(Closed&&) noexcept = default;
    Poll<void> poll(Context& cx) {
      for (;;) {
        // Created before the check, so a close() in between is not missed.
        if (!notified_) notified_.emplace(chan_->closed_notify.notified());
        if (chan_->is_closed()) return ready;
        if (notified_->poll(cx).is_pending()) return pending;
        notified_.reset();
      }
    }

   private:
    friend class SenderBase;
    explicit Closed(Chan<T>* c) noexcept : chan_(c) {}
    Chan<T>* chan_;
    std::optional<Notify::Notified> notified_;
  };
  Closed closed() noexcept { return Closed(chan_.get()); }

  // True when both senders feed the same channel.
  bool same_channel(const SenderBase& o) const noexcept { return chan_ == o.chan_; }

 protected:
  explicit SenderBase(std::shared_ptr<Chan<T>> c) noexcept : chan_(std::move(c)) {}
  void drop() noexcept {
    auto c = std::move(chan_);
    if (!c) return;
    Waker rx;
    {
      std::lock_guard lock(c->mu);
      if (--c->senders == 0) rx = std::move(c->rx_waker);
    }
    std::move(rx).wake();
  }

  std::shared_ptr<Chan<T>> chan_;
};

}  // namespace detail

template <class T>
class Sender;
template <class T>
class UnboundedSender;
template <class T>
class Receiver;

// A reserved slot in a bounded channel: send() fills it without waiting; dropping it frees it.
template <class T>
class [[nodiscard]] Permit {
 public:
  Permit(Permit&& o) noexcept : chan_(std::exchange(o.chan_, nullptr)) {}
  Permit& operator=(Permit&& o) noexcept {
    if (this != &o) {
      release();
      chan_ = std::exchange(o.chan_, nullptr);
    }
    return *this;
  }
  ~Permit() { release(); }

  // Sends into the reserved slot; the permit is spent. (If the receiver was dropped meanwhile,
  // the value is dropped.)
  void send(T value) {
    auto* c = std::exchange(chan_, nullptr);
    assert(c && "Permit::send on a spent permit");
    Waker rx, next;
    std::optional<T> unsent;  // destroyed after the lock is released
    {
      std::lock_guard lock(c->mu);
      if (c->rx_dropped) {
        next = c->unreserve_locked(rx);
        unsent.emplace(std::move(value));
      } else {
        rx = c->push_locked(std::move(value));
        --c->reserved;
      }
    }
    std::move(next).wake();
    std::move(rx).wake();
  }

 private:
  friend class Sender<T>;
  explicit Permit(detail::Chan<T>* c) noexcept : chan_(c) {}
  void release() noexcept {
    auto* c = std::exchange(chan_, nullptr);
    if (!c) return;
    Waker next, rx;
    {
      std::lock_guard lock(c->mu);
      next = c->unreserve_locked(rx);
    }
    std::move(next).wake();
    std::move(rx).wake();
  }

  detail::Chan<T>* chan_ = nullptr;
};

// The sending half of a bounded channel. Copy it to get more producers.
template <class T>
class Sender : public detail::SenderBase<T> {
  using Base = detail::SenderBase<T>;
  using Chan = detail::Chan<T>;
  using Base::chan_;

 public:
  Sender clone() const { return *this; }

  // The future returned by send(): waits for a slot, then enqueues. Movable before its first poll.
  class [[nodiscard]] Send {
   public:
    Send(Send&& o) noexcept : chan_(o.chan_), value_(std::move(o.value_)) {
      assert(!o.queued_ && "a send future cannot move after its first poll");
    }
    Send& operator=(Send&&) = delete;
    ~Send() {
      if (queued_ && !done_) chan_->cancel_slot(node_);
    }

    Poll<SendResult<T>> poll(Context& cx) {
      assert(!done_);
      Waker old, rx, next;
      bool sent = false;
      {
        std::lock_guard lock(chan_->mu);
        auto slot = chan_->poll_slot_locked(node_, queued_, cx.waker(), old);
        if (slot == Chan::Slot::pending) return pending;
        done_ = true;
        if (slot == Chan::Slot::granted) {
          if (chan_->rx_dropped) {
            next = chan_->unreserve_locked(rx);
          } else {
            rx = chan_->push_locked(std::move(value_));  // may allocate: before the accounting
            --chan_->reserved;
            sent = true;
          }
        }
      }
      std::move(next).wake();
      std::move(rx).wake();
      if (!sent) return SendResult<T>(std::unexpected(SendError<T>(std::move(value_))));
      return SendResult<T>{};
    }

   private:
    friend class Sender;
    Send(Chan* c, T v) : chan_(c), value_(std::move(v)) {}
    Chan* chan_;
    T value_;
    bool queued_ = false;
    bool done_ = false;
    detail::SendWaiter node_;
  };

  // The future returned by reserve(): waits for a slot. Movable before its first poll.
  class [[nodiscard]] Reserve {
   public:
    Reserve(Reserve&& o) noexcept : chan_(o.chan_) {
      assert(!o.queued_ && "a reserve future cannot move after its first poll");
    }
    Reserve& operator=(Reserve&&) = delete;
    ~Reserve() {
      if (queued_ && !done_) chan_->cancel_slot(node_);
    }

    Poll<Result<Permit<T>>> poll(Context& cx) {
      assert(!done_);
      Waker old;
      std::lock_guard lock(chan_->mu);
      switch (chan_->poll_slot_locked(node_, queued_, cx.waker(), old)) {
        case Chan::Slot::pending:
          return pending;
        case Chan::Slot::closed:
          done_ = true;
          return Result<Permit<T>>(fail(Errc::closed, "mpsc: receiver closed"));
        case Chan::Slot::granted:
          break;
      }
      done_ = true;
      return Result<Permit<T>>(Permit<T>(chan_));
    }

   private:
    friend class Sender;
    explicit Reserve(Chan* c) noexcept : chan_(c) {}
    Chan* chan_;
    bool queued_ = false;
    bool done_ = false;
    detail::SendWaiter node_;
  };

  // Waits for a free slot (senders are served in FIFO order) and enqueues `value`. Fails,
  // handing the value back, when the receiver is gone or closed.
  Send send(T value) { return Send(chan_.get(), std::move(value)); }

  // Enqueues now if a slot is free (and no sender waits); otherwise hands the value back.
  std::expected<void, TrySendError<T>> try_send(T value) {
    using E = TrySendError<T>;
    Waker rx;
    {
      std::lock_guard lock(chan_->mu);
      if (chan_->rx_closed) return std::unexpected(E(E::Kind::closed, std::move(value)));
      if (!chan_->send_waiters.empty() || chan_->free == 0) {
        return std::unexpected(E(E::Kind::full, std::move(value)));
      }
      rx = chan_->push_locked(std::move(value));
      --chan_->free;
    }
    std::move(rx).wake();
    return {};
  }

  // Waits for a free slot and holds it in a Permit. Errc::closed when the receiver is gone.
  Reserve reserve() noexcept { return Reserve(chan_.get()); }

  // A Permit if a slot is free now.
  std::expected<Permit<T>, TryAcquireError> try_reserve() {
    std::lock_guard lock(chan_->mu);
    if (chan_->rx_closed) return std::unexpected(TryAcquireError::closed);
    if (!chan_->send_waiters.empty() || chan_->free == 0) {
      return std::unexpected(TryAcquireError::no_permits);
    }
    --chan_->free;
    ++chan_->reserved;
    return Permit<T>(chan_.get());
  }

  // Free slots right now.
  std::size_t capacity() const {
    std::lock_guard lock(chan_->mu);
    return chan_->free;
  }
  std::size_t max_capacity() const noexcept { return chan_->capacity; }

 private:
  template <class U>
  friend class Receiver;
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
  explicit Sender(std::shared_ptr<Chan> c) noexcept : Base(std::move(c)) {}
};

// The sending half of an unbounded channel: send() never waits. Copy it for more producers.
template <class T>
class UnboundedSender : public detail::SenderBase<T> {
  using Base = detail::SenderBase<T>;
  using Base::chan_;

 public:
  UnboundedSender clone() const { return *this; }

  // Enqueues `value`; fails, handing it back, when the receiver is gone or closed.
  SendResult<T> send(T value) {
    Waker rx;
    {
      std::lock_guard lock(chan_->mu);
      if (chan_->rx_closed) return std::unexpected(SendError<T>(std::move(value)));
      rx = chan_->push_locked(std::move(value));
    }
    std::move(rx).wake();
    return {};
  }

 private:
  template <class U>
  friend std::pair<UnboundedSender<U>, Receiver<U>> unbounded_channel();
  explicit UnboundedSender(std::shared_ptr<detail::Chan<T>> c) noexcept : Base(std::move(c)) {}
};

// The receiving half (of bounded and unbounded channels alike).
template <class T>
class Receiver {
  using Chan = detail::Chan<T>;

 public:
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      drop();
      chan_ = std::move(o.chan_);
    }
    return *this;
  }
  ~Receiver() { drop(); }

  // The future returned by recv(): the next value, or std::nullopt once the channel is closed
  // (every sender gone, or close() called) and drained. Takes the value only when it returns it.
  class [[nodiscard]] Recv {
   public:
    Recv(Recv&& o) noexcept : chan_(o.chan_) {}
    Recv& operator=(Recv&&) = delete;
    ~Recv() {
      if (!registered_) return;
      Waker old;
      std::lock_guard lock(chan_->mu);
      old = std::move(chan_->rx_waker);
    }

    Poll<std::optional<T>> poll(Context& cx) {
      std::optional<T> out;
      Waker next, old;
      {
        std::lock_guard lock(chan_->mu);
        if (!chan_->buf.empty()) {
          out.emplace(chan_->buf.pop_front());
          if (chan_->bounded) next = chan_->release_slot_locked();
        } else if (!chan_->drained_locked()) {
          if (!chan_->rx_waker.will_wake(cx.waker())) {
            old = std::exchange(chan_->rx_waker, cx.waker());
          }
          registered_ = true;
          return pending;
        }
        registered_ = false;
      }
      std::move(next).wake();
      return Poll<std::optional<T>>(std::move(out));
    }

   private:
    friend class Receiver;
    explicit Recv(Chan* c) noexcept : chan_(c) {}
    Chan* chan_;
    bool registered_ = false;
  };

  Recv recv() noexcept { return Recv(chan_.get()); }

  // The next value if one is queued; TryRecvError::closed once closed and drained.
  std::expected<T, TryRecvError> try_recv() {
    std::optional<T> out;
    Waker next;
    {
      std::lock_guard lock(chan_->mu);
      if (chan_->buf.empty()) {
        return std::unexpected(chan_->drained_locked() ? TryRecvError::closed
                                                       : TryRecvError::empty);
      }
      out.emplace(chan_->buf.pop_front());
      if (chan_->bounded) next = chan_->release_slot_locked();
    }
    std::move(next).wake();
    return std::move(*out);
  }

  // Refuses new sends (waiting senders fail) while keeping queued values receivable; Permits
  // already granted may still send. recv() returns nullopt once the queue is drained.
  void close() noexcept { chan_->close(); }
  // True once no value can be sent any more (closed, or every sender gone).
  bool is_closed() const {
    std::lock_guard lock(chan_->mu);
    return chan_->rx_closed || chan_->senders == 0;
  }
  std::size_t len() const {
    std::lock_guard lock(chan_->mu);
    return chan_->buf.size();
  }
  bool is_empty() const { return len() == 0; }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
  template <class U>
  friend std::pair<UnboundedSender<U>, Receiver<U>> unbounded_channel();
  explicit Receiver(std::shared_ptr<Chan> c) noexcept : chan_(std::move(c)) {}
  void drop() noexcept {
    auto c = std::move(chan_);
    if (!c) return;
    c->close();
    sync::detail::RingBuffer<T> queued;  // dropped after the lock is released
    Waker old;
    std::lock_guard lock(c->mu);
    c->rx_dropped = true;
    queued = std::move(c->buf);
    old = std::move(c->rx_waker);
    // Queued values held slots: those are free again (for Permits still outstanding).
    if (c->bounded) c->free += queued.size();
  }

  std::shared_ptr<Chan> chan_;
};

template <class T>
using UnboundedReceiver = Receiver<T>;

// A bounded channel holding at most `capacity` (>= 1) queued values.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("mpsc::channel: capacity must be at least 1");
  auto c = std::make_shared<detail::Chan<T>>(capacity);
  return {Sender<T>(c), Receiver<T>(c)};
}

// An unbounded channel: sends never wait.
template <class T>
std::pair<UnboundedSender<T>, Receiver<T>> unbounded_channel() {
  auto c = std::make_shared<detail::Chan<T>>(0);
  return {UnboundedSender<T>(c), Receiver<T>(c)};
}

}  // namespace strata::sync::mpsc
