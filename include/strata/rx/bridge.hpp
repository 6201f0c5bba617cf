// strata/rx/bridge.hpp: channels and async streams to Observables and back.
//
// from(receiver) turns an mpsc Receiver into an Observable: subscribing spawns a task on the
// current runtime that emits each received value and completes when the channel closes;
// unsubscribing aborts that task (which drops the receiver, closing the channel for senders).
// A receiver has one consumer, so the Observable may be subscribed once: a second subscription
// errors with std::logic_error.
//
// to_stream(observable, config) goes the other way: it subscribes at once and buffers the
// events for a task that pulls them with `co_await stream.next()` (std::nullopt after
// completion; the Observable's error is rethrown, after the values buffered before it).
// An Observable cannot be slowed down, so a fast producer meets a bound instead of growing
// memory: at most `capacity` values wait (default 1024), and StreamConfig::overflow says what
// happens to one more: drop_oldest (the default: the consumer sees the latest values),
// drop_newest (the new value is dropped), or error (the subscription ends; the consumer gets
// the buffered values, then OverflowError). dropped() counts what was dropped.
//
//     Task<void> consume(Observable<int> prices) {
//       auto stream = to_stream(prices, StreamConfig{.capacity = 64, .overflow =
//       Overflow::drop_oldest}); while (std::optional<int> p = co_await stream.next()) use(*p);
//     }
//
// Threads: from(receiver) runs its task on the current runtime and emits there (subscribe on a
// current-thread or one-worker runtime, or add observe_on). to_stream's buffer is locked: the
// source may emit on any thread (one at a time), and next() may run on any task, one at a time.
// Dropping the stream ends the subscription at the source's next event, on the source's thread
// (never from the dropping thread, which may not own the source).
// Memory: to_stream holds at most `capacity` values; from(receiver) holds none.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "strata/rt/runtime.hpp"
#include "strata/rt/sync/mpsc.hpp"
#include "strata/rt/sync/notify.hpp"
#include "strata/rt/task.hpp"
#include "strata/rx/observable.hpp"

namespace strata::rx {

enum class Overflow { drop_oldest, drop_newest, error };

struct StreamConfig {
  std::size_t capacity = 1024;  // values buffered at most (at least 1)
  Overflow overflow = Overflow::drop_oldest;
};

// What a stream with Overflow::error raises once its buffer was full.
class OverflowError : public std::runtime_error {
 public:
  OverflowError() : std::runtime_error("rx stream buffer overflow") {}
};

namespace detail {

// The buffer between an Observable (producer, any thread) and one consuming task.
template <class T>
struct StreamBuffer {
  explicit StreamBuffer(StreamConfig c) : config(c) {
    if (config.capacity == 0) config.capacity = 1;
  }

  // Producer side; false once the subscription should end (stream gone, done or overflowed).
  bool push(const T& v) {
    // acquire: pairs with the release store in ~ObservableStream.
    if (closed.load(std::memory_order_acquire)) return false;
    {
      std::lock_guard lock(m);
      if (done) return false;
      if (values.size() >= config.capacity) {
        ++dropped;
        if (config.overflow == Overflow::drop_newest) return true;
        if (config.overflow == Overflow::error) {
          done = true;
          error = std::make_exception_ptr(OverflowError());
          values_max = std::max(values_max, values.size());
          ready.notify_one();
          return false;
        }
        values.pop_front();
      }
      values.push_back(v);
      values_max = std::max(values_max, values.size());
    }
    ready.notify_one();
    return true;
  }
  void finish(std::exception_ptr e) {
    {
      std::lock_guard lock(m);
      if (done) return;
      done = true;
      error = std::move(e);
    }
    ready.notify_one();
  }

  StreamConfig config;
  std::mutex m;
  std::deque<T> values;  // guarded by m, as the fields below
  bool done = false;
  std::exception_ptr error;
  std::size_t dropped = 0;
  std::size_t values_max = 0;
  std::atomic<bool> closed{false};
  sync::Notify ready;
};

}  // namespace detail

// The consuming end of to_stream (move-only).
template <class T>
class ObservableStream {
 public:
  explicit ObservableStream(std::shared_ptr<detail::StreamBuffer<T>> b) : b_(std::move(b)) {}
  ObservableStream(ObservableStream&&) noexcept = default;
  ObservableStream& operator=(ObservableStream&&) noexcept = default;
  ~ObservableStream() {
    // release: pairs with the acquire load in StreamBuffer::push.
    if (b_) b_->closed.store(true, std::memory_order_release);
  }

  // The next value; std::nullopt after completion; rethrows the error after the values
  // buffered before it. One next() at a time. Cancel safety: a next() dropped while waiting
  // loses nothing.
  Task<std::optional<T>> next() {
    auto b = b_;
    for (;;) {
      std::optional<T> v;
      bool done = false;
      std::exception_ptr error;
      {
        std::lock_guard lock(b->m);
        if (!b->values.empty()) {
          v.emplace(std::move(b->values.front()));
          b->values.pop_front();
        } else {
          done = b->done;
          error = b->error;
        }
      }
      if (v) co_return v;
      if (error) std::rethrow_exception(error);
      if (done) co_return std::nullopt;
      co_await b->ready.notified();
    }
  }

  std::size_t dropped() const {
    std::lock_guard lock(b_->m);
    return b_->dropped;
  }
  // The most values that were buffered at once (never above the capacity).
  std::size_t max_buffered() const {
    std::lock_guard lock(b_->m);
    return b_->values_max;
  }

 private:
  std::shared_ptr<detail::StreamBuffer<T>> b_;
};

// Subscribes to `source` now and buffers its events for the returned stream (see the top).
template <class T>
ObservableStream<T> to_stream(const Observable<T>& source, StreamConfig config = {}) {
  auto b = std::make_shared<detail::StreamBuffer<T>>(config);
  auto self = std::make_shared<std::optional<WeakSubscription>>();
  Observer<T> o;
  o.next = [b, self](const T& v) {
    if (!b->push(v) && *self) (*self)->unsubscribe();
  };
  o.error = [b](std::exception_ptr e) { b->finish(std::move(e)); };
  o.complete = [b] { b->finish(nullptr); };
  Subscriber<T> s(std::move(o));
  *self = WeakSubscription(s);
  source.subscribe(s);
  return ObservableStream<T>(std::move(b));
}

namespace detail {

template <class T>
Task<void> pump_receiver(sync::mpsc::Receiver<T> rx, Subscriber<T> s) {
  while (!s.closed()) {
    std::optional<T> v = co_await rx.recv();
    if (!v) {
      s.complete();
      co_return;
    }
    s.next(*v);
  }
}

}  // namespace detail

// An Observable of what `rx` receives (see the top); subscribe it once, on a runtime.
template <class T>
Observable<T> from(sync::mpsc::Receiver<T> rx) {
  auto box = std::make_shared<std::optional<sync::mpsc::Receiver<T>>>(std::move(rx));
  return Observable<T>([box](const Subscriber<T>& s) {
    if (!*box) throw std::logic_error("rx::from(receiver): already subscribed");
    auto r = std::move(**box);
    box->reset();
    auto task = std::make_shared<JoinHandle<void>>(spawn(detail::pump_receiver(std::move(r), s)));
    // The task holds the subscriber and the subscriber's finalizer the task's handle: the cycle
    // ends with the task (done, aborted, or destroyed with its runtime).
    s.add([task] { task->abort(); });
  });
}

}  // namespace strata::rx
