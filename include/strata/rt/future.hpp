// The Future concept: anything with `poll(Context&) -> Poll<T>`, like Rust's Future trait.
//
// Hand-written leaf futures (timers, socket readiness, channels) implement poll(); coroutines
// (Task<T>) implement it too. Inside a Task, `co_await f` works for every Future:
//
//   struct Ready42 { Poll<int> poll(Context&) { return 42; } };
//   Task<int> f() { co_return co_await Ready42{}; }
//
// Contract for poll(): when it returns Pending, it must have arranged for `cx.waker()` to be woken
// once progress is possible. A future must not be moved after it was first polled (it may have
// handed out pointers to itself, e.g. an intrusive timer entry); Strata keeps polled futures in
// coroutine frames or task cells, which never move.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "strata/rt/poll.hpp"
#include "strata/rt/waker.hpp"

namespace strata {

template <class F>
concept Future = requires(F& f, Context& cx) {
  {f.poll(cx)};
  requires is_poll<decltype(f.poll(cx))>::value;
};

// The value type a future produces.
template <Future F>
using FutureOutput =
    typename decltype(std::declval<F&>().poll(std::declval<Context&>()))::value_type;

namespace detail {

// The state of one chain of awaiting coroutines, polled as a single future. When the innermost
// coroutine waits on a leaf future, it records the leaf here so the next poll re-polls the leaf
// directly and resumes the coroutine only once the leaf is ready.
struct Driver {
  Context* cx = nullptr;
  std::coroutine_handle<> resume_point;
  bool (*leaf_poll)(void* leaf, Context& cx) = nullptr;
  void* leaf = nullptr;
};

// Storage for a value that may be void.
template <class T>
struct Slot {
  std::optional<T> value;
  void set(Poll<T>& p) { value.emplace(p.take()); }
  T take() { return std::move(*value); }
};
template <>
struct Slot<void> {
  void set(Poll<void>&) noexcept {}
  void take() noexcept {}
};

// The awaiter behind `co_await future` inside a Task. It refers to the future instead of moving
// it in: a temporary future lives until the end of the full-expression that awaits it, as long
// as the awaiter, so a copy would only double the future's share of the coroutine frame
// (measured: the HTTP connection's idle loop frame went from 952 to 768 bytes) and cost a move
// per await.
template <class F>
class FutureAwaiter {
  using Fut = std::remove_reference_t<F>;
  using Out = FutureOutput<Fut>;

 public:
  explicit FutureAwaiter(Fut& f) noexcept : fut_(f) {}

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    Driver* d = h.promise().driver;
    auto p = fut_.poll(*d->cx);
    if (p.is_ready()) {
      out_.set(p);
      return false;
    }
    d->leaf = this;
    d->leaf_poll = &poll_leaf;
    d->resume_point = h;
    return true;
  }
  Out await_resume() {
    if (error_) std::rethrow_exception(error_);
    return out_.take();
  }

 private:
  static bool poll_leaf(void* self, Context& cx) {
    auto* a = static_cast<FutureAwaiter*>(self);
    try {
      auto p = a->fut_.poll(cx);
      if (p.is_pending()) return false;
      a->out_.set(p);
    } catch (...) {
      a->error_ = std::current_exception();
    }
    return true;
  }

  Fut& fut_;
  Slot<Out> out_;
  std::exception_ptr error_;
};

}  // namespace detail
}  // namespace strata
