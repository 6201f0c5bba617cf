// Minimal synchronisation primitives for strata-rt-bench: Notify, oneshot and a bounded mpsc.
//
// TO BE REPLACED by strata's rt/sync once it exists. Strata has no channels yet, and the tokio-rt
// workloads need tokio::sync::{Notify, oneshot, mpsc}; these are small, correct, thread-safe
// stand-ins with tokio's semantics where the benchmarks depend on them:
//
// - Notify: notify_one() wakes the oldest registered waiter, or, with no waiter, stores one
//   permit (at most one); `co_await n.notified()` consumes the permit or registers and suspends.
//   A Notified future that was notified but destroyed before completing passes the notification
//   on (to the next waiter, or as the permit), as tokio's does.
// - oneshot<T>: one value from one Sender to one Receiver (a Future of std::optional<T>; nullopt
//   when the Sender was dropped without sending). Lock-free: one state word.
// - mpsc<T>(capacity): bounded multi-producer single-consumer channel. send() waits for a free
//   slot (FIFO among waiting senders; the slot is handed over by the receiver, like tokio's
//   semaphore), recv() returns nullopt once every Sender is gone and the buffer is empty.
//   A mutex guards the buffer and the waiter list (tokio's is lock-free on the fast path).
//
// Costs relative to tokio, for reading the numbers: Notify takes a std::mutex on every
// notify/register (tokio: an atomic fast path, its waiter lock when a waiter exists); mpsc takes
// the mutex on every send/recv. Wakers are always woken outside the locks.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "strata/rt/future.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/waker.hpp"

namespace strata_rt_bench {

using strata::Context;
using strata::Poll;
using strata::Waker;

// Intrusive FIFO of waiters (doubly linked, so a waiter can leave from anywhere). Not thread-safe.
template <class W>
struct WaiterList {
  W* head = nullptr;
  W* tail = nullptr;

  bool empty() const noexcept { return head == nullptr; }
  void push_back(W* w) noexcept {
    w->prev = tail;
    w->next = nullptr;
    if (tail) {
      tail->next = w;
    } else {
      head = w;
    }
    tail = w;
    w->linked = true;
  }
  W* pop_front() noexcept {
    W* w = head;
    if (w) remove(w);
    return w;
  }
  void remove(W* w) noexcept {
    if (w->prev) {
      w->prev->next = w->next;
    } else {
      head = w->next;
    }
    if (w->next) {
      w->next->prev = w->prev;
    } else {
      tail = w->prev;
    }
    w->prev = w->next = nullptr;
    w->linked = false;
  }
};

// ---------------------------------------------------------------------------------------------
// Notify

class Notify {
 public:
  class Notified;

  Notify() = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;
  ~Notify() { assert(waiters_.empty()); }

  // Wakes the oldest waiter; with none, stores the permit (a second permit is not counted).
  void notify_one() noexcept {
    Waker w;
    {
      std::lock_guard lock(mu_);
      w = notify_locked();
    }
    std::move(w).wake();  // a no-op when a permit was stored
  }

  // A Future<void>: completes on a notify_one() after (or a permit stored before) its first poll.
  class Notified {
   public:
    explicit Notified(Notify* n) noexcept : n_(n) {}
    // Movable only before the first poll (a waiting Notified is linked into the Notify).
    Notified(Notified&& o) noexcept : n_(o.n_), state_(o.state_) {
      assert(o.state_ == State::init);
    }
    Notified& operator=(Notified&&) = delete;
    ~Notified() {
      if (state_ != State::waiting) return;
      Waker w;
      {
        std::lock_guard lock(n_->mu_);
        if (linked) {
          n_->waiters_.remove(this);
        } else if (notified_) {
          w = n_->notify_locked();  // notified but never completed: pass it on
        }
      }
      std::move(w).wake();
    }

    Poll<void> poll(Context& cx) {
      if (state_ == State::done) return strata::ready;
      std::lock_guard lock(n_->mu_);
      if (state_ == State::init) {
        if (n_->permit_) {
          n_->permit_ = false;
          state_ = State::done;
          return strata::ready;
        }
        waker_ = cx.waker();
        n_->waiters_.push_back(this);
        state_ = State::waiting;
        return strata::pending;
      }
      if (notified_) {  // notify_one() unlinked us
        state_ = State::done;
        return strata::ready;
      }
      if (!waker_.will_wake(cx.waker())) waker_ = cx.waker();
      return strata::pending;
    }

    // WaiterList links, guarded by the Notify's mutex.
    Notified* prev = nullptr;
    Notified* next = nullptr;
    bool linked = false;

   private:
    friend class Notify;
    enum class State : std::uint8_t { init, waiting, done };
    Notify* n_;
    State state_ = State::init;
    bool notified_ = false;  // guarded by the mutex
    Waker waker_;            // guarded by the mutex while linked
  };

  Notified notified() noexcept { return Notified(this); }

 private:
  // Requires mu_. Returns the waker to wake after unlocking (empty when a permit was stored).
  Waker notify_locked() noexcept {
    if (Notified* w = waiters_.pop_front()) {
      w->notified_ = true;
      return std::move(w->waker_);
    }
    permit_ = true;
    return {};
  }

  std::mutex mu_;
  bool permit_ = false;
  WaiterList<Notified> waiters_;
};

// ---------------------------------------------------------------------------------------------
// oneshot

template <class T>
class Oneshot {
  // One heap state shared by both ends (two references). `bits` publishes the value (kSent), a
  // Sender dropped unsent (kTxClosed), a dropped Receiver (kRxClosed) and a registered receiver
  // waker (kRxWaker). The receiver writes `rx_waker` only while kRxWaker is clear; the sender
  // reads it only after seeing kRxWaker in the same atomic operation that publishes its result,
  // so the two never access the waker concurrently.
  struct State {
    std::atomic<std::uint32_t> bits{0};
    std::atomic<std::uint32_t> refs{2};
    std::optional<T> value;
    Waker rx_waker;
  };
  static constexpr std::uint32_t kSent = 1, kTxClosed = 2, kRxClosed = 4, kRxWaker = 8;

  static void unref(State* s) noexcept {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
  }

 public:
  class Sender {
   public:
    explicit Sender(State* s) noexcept : s_(s) {}
    Sender(Sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Sender& operator=(Sender&&) = delete;
    ~Sender() {
      if (State* s = std::exchange(s_, nullptr)) finish(s, kTxClosed);
    }
    // Returns false (and drops the value) when the Receiver is gone.
    bool send(T v) {
      State* s = std::exchange(s_, nullptr);
      assert(s && "oneshot: send twice");
      s->value.emplace(std::move(v));
      return finish(s, kSent);
    }

   private:
    static bool finish(State* s, std::uint32_t bit) noexcept {
      std::uint32_t b = s->bits.fetch_or(bit, std::memory_order_acq_rel);
      if (b & kRxWaker) s->rx_waker.wake_by_ref();
      unref(s);
      return !(b & kRxClosed);
    }
    State* s_;
  };

  class Receiver {
   public:
    explicit Receiver(State* s) noexcept : s_(s) {}
    Receiver(Receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Receiver& operator=(Receiver&&) = delete;
    ~Receiver() {
      if (State* s = std::exchange(s_, nullptr)) {
        s->bits.fetch_or(kRxClosed, std::memory_order_acq_rel);
        unref(s);
      }
    }

    // Ready(value), or Ready(nullopt) when the Sender was dropped without sending.
    Poll<std::optional<T>> poll(Context& cx) {
      std::uint32_t b = s_->bits.load(std::memory_order_acquire);
      if (b & (kSent | kTxClosed)) return take(b);
      if (b & kRxWaker) {
        if (s_->rx_waker.will_wake(cx.waker())) return strata::pending;
        // Take the waker slot back before replacing the waker.
        b = s_->bits.fetch_and(~kRxWaker, std::memory_order_acq_rel);
        if (b & (kSent | kTxClosed)) return take(b);
      }
      s_->rx_waker = cx.waker();
      b = s_->bits.fetch_or(kRxWaker, std::memory_order_acq_rel);
      if (b & (kSent | kTxClosed)) return take(b);
      return strata::pending;
    }

   private:
    std::optional<T> take(std::uint32_t b) {
      if (b & kSent) return std::move(s_->value);
      return std::nullopt;
    }
    State* s_;
  };

  static std::pair<Sender, Receiver> channel() {
    auto* s = new State;
    return {Sender(s), Receiver(s)};
  }
};

// ---------------------------------------------------------------------------------------------
// bounded mpsc

template <class T>
class Mpsc {
  struct Chan;

 public:
  class SendFuture;
  class RecvFuture;

  class Sender {
   public:
    explicit Sender(std::shared_ptr<Chan> c) noexcept : c_(std::move(c)) {}
    Sender(const Sender& o) : c_(o.c_) {
      std::lock_guard lock(c_->mu);
      ++c_->senders;
    }
    Sender(Sender&&) noexcept = default;
    Sender& operator=(const Sender&) = delete;
    Sender& operator=(Sender&&) = delete;
    ~Sender() {
      if (!c_) return;
      Waker w;
      {
        std::lock_guard lock(c_->mu);
        if (--c_->senders == 0) w = std::move(c_->rx_waker);
      }
      std::move(w).wake();
    }
    // A Future<bool>: true once `v` is in the channel, false if the Receiver is gone.
    SendFuture send(T v) { return SendFuture(c_.get(), std::move(v)); }

   private:
    std::shared_ptr<Chan> c_;
  };

  class Receiver {
   public:
    explicit Receiver(std::shared_ptr<Chan> c) noexcept : c_(std::move(c)) {}
    Receiver(Receiver&&) noexcept = default;
    Receiver& operator=(Receiver&&) = delete;
    ~Receiver() {
      if (!c_) return;
      std::vector<Waker> rejected;
      {
        std::lock_guard lock(c_->mu);
        c_->rx_closed = true;
        c_->rx_waker.reset();
        while (SendFuture* s = c_->send_waiters.pop_front()) {
          s->rejected_ = true;
          rejected.push_back(std::move(s->waker_));
        }
      }
      for (Waker& w : rejected) std::move(w).wake();
    }
    // A Future<std::optional<T>>: the next value, or nullopt once every Sender is gone.
    RecvFuture recv() noexcept { return RecvFuture(c_.get()); }

   private:
    std::shared_ptr<Chan> c_;
  };

  class SendFuture {
   public:
    SendFuture(Chan* c, T v) : c_(c), value_(std::move(v)) {}
    // Movable only before the first poll.
    SendFuture(SendFuture&& o) noexcept : c_(o.c_), value_(std::move(o.value_)) {
      assert(o.state_ == State::init);
    }
    SendFuture& operator=(SendFuture&&) = delete;
    ~SendFuture() {
      if (state_ != State::waiting) return;
      Waker w;
      {
        std::lock_guard lock(c_->mu);
        if (linked) {
          c_->send_waiters.remove(this);
        } else if (assigned_) {
          w = c_->release_slot_locked();  // handed a slot we will not use: pass it on
        }
      }
      std::move(w).wake();
    }

    Poll<bool> poll(Context& cx) {
      if (state_ == State::done) return result_;
      Waker rx;
      {
        std::lock_guard lock(c_->mu);
        if (state_ == State::init) {
          if (c_->rx_closed) return finish(false);
          if (c_->send_waiters.empty() && c_->free_slots > 0) {
            --c_->free_slots;
            rx = c_->push_locked(std::move(value_));
          } else {
            waker_ = cx.waker();
            c_->send_waiters.push_back(this);
            state_ = State::waiting;
            return strata::pending;
          }
        } else if (assigned_) {  // the receiver unlinked us and gave us its freed slot
          if (c_->rx_closed) return finish(false);
          rx = c_->push_locked(std::move(value_));
        } else if (rejected_) {
          return finish(false);
        } else {
          if (!waker_.will_wake(cx.waker())) waker_ = cx.waker();
          return strata::pending;
        }
      }
      std::move(rx).wake();
      return finish(true);
    }

    // WaiterList links, guarded by the channel's mutex.
    SendFuture* prev = nullptr;
    SendFuture* next = nullptr;
    bool linked = false;

   private:
    friend class Mpsc;
    enum class State : std::uint8_t { init, waiting, done };
    Poll<bool> finish(bool ok) {
      state_ = State::done;
      result_ = ok;
      return ok;
    }
    Chan* c_;
    std::optional<T> value_;
    State state_ = State::init;
    bool result_ = false;
    bool assigned_ = false;  // guarded by the mutex
    bool rejected_ = false;  // guarded by the mutex
    Waker waker_;            // guarded by the mutex while linked
  };

  class RecvFuture {
   public:
    explicit RecvFuture(Chan* c) noexcept : c_(c) {}
    Poll<std::optional<T>> poll(Context& cx) {
      Waker sender;
      std::optional<T> v;
      {
        std::lock_guard lock(c_->mu);
        if (c_->len == 0) {
          if (c_->senders == 0) return std::optional<T>();
          if (!c_->rx_waker.will_wake(cx.waker())) c_->rx_waker = cx.waker();
          return strata::pending;
        }
        v = c_->pop_locked();
        sender = c_->release_slot_locked();
      }
      std::move(sender).wake();
      return v;
    }

   private:
    Chan* c_;
  };

  static std::pair<Sender, Receiver> channel(std::size_t capacity) {
    assert(capacity > 0);
    auto c = std::make_shared<Chan>(capacity);
    return {Sender(c), Receiver(c)};
  }

 private:
  struct Chan {
    explicit Chan(std::size_t cap)
        : capacity(cap), free_slots(cap), buf(new std::optional<T>[cap]) {}

    // Requires mu. Appends `v` (a slot was reserved); returns the receiver's waker to wake.
    Waker push_locked(std::optional<T>&& v) {
      buf[(head + len) % capacity] = std::move(v);
      ++len;
      return std::move(rx_waker);
    }
    // Requires mu and len > 0.
    std::optional<T> pop_locked() {
      std::optional<T> v = std::move(buf[head]);
      buf[head].reset();
      head = (head + 1) % capacity;
      --len;
      return v;
    }
    // Requires mu. A slot became free: hand it to the oldest waiting sender (returns its waker)
    // or count it free.
    Waker release_slot_locked() {
      if (SendFuture* s = send_waiters.pop_front()) {
        s->assigned_ = true;
        return std::move(s->waker_);
      }
      ++free_slots;
      return {};
    }

    std::mutex mu;
    const std::size_t capacity;
    std::size_t free_slots;  // slots neither filled nor handed to a waiting sender
    std::unique_ptr<std::optional<T>[]> buf;
    std::size_t head = 0;
    std::size_t len = 0;
    std::size_t senders = 1;
    bool rx_closed = false;
    Waker rx_waker;  // the receiver, while it waits for a value
    WaiterList<SendFuture> send_waiters;
  };
};

}  // namespace strata_rt_bench
