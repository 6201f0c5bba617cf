// Task<T>: a lazy coroutine producing a T — Strata's `async fn`.
//
//   Task<int> add(int a, int b) { co_return a + b; }
//   Task<int> twice() { int x = co_await add(1, 2); co_return x + co_await add(x, x); }
//
// A Task does nothing until awaited or spawned. Awaiting a Task from a Task uses symmetric
// transfer, so chains of any depth use no stack. An exception thrown inside a Task propagates to
// whoever awaits it (or to the JoinHandle of a spawned task). Destroying a Task that is suspended
// destroys its frame and everything it awaits: that is how cancellation works.
//
// A Task is also a Future (it has poll()), so it can be spawned, raced with select(), joined, or
// put under timeout() like any hand-written future. Inside a Task, `co_await` accepts Tasks and
// Futures only; anything else is a compile error, which keeps every suspension under the runtime.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "strata/rt/frame_allocator.hpp"
#include "strata/rt/future.hpp"

namespace strata {

template <class T = void>
class Task;

namespace detail {

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<Task<T>> : std::true_type {};

template <class T>
class TaskAwaiter;

struct PromiseBase {
  Driver* driver = nullptr;              // the chain this coroutine currently runs in
  Driver own_driver;                     // used when this coroutine is the root of a chain
  std::coroutine_handle<> continuation;  // the coroutine awaiting this one, if any
  std::exception_ptr exception;

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto c = h.promise().continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }

  template <class A>
  auto await_transform(A&& a) {
    using D = std::remove_cvref_t<A>;
    if constexpr (is_task<D>::value) {
      return TaskAwaiter<typename D::Output>(a.handle_);
    } else {
      static_assert(Future<D>, "co_await inside a strata::Task accepts Tasks and Futures only");
      return FutureAwaiter<A>(a);
    }
  }
};

template <class T>
struct TaskPromise : PromiseBase {
  Slot<T> result;
  Task<T> get_return_object() noexcept;
  template <class U = T>
  void return_value(U&& v) {
    result.value.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return result.take();
  }
};

template <>
struct TaskPromise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

// `co_await task` from another Task: the child joins the caller's chain and runs at once.
template <class T>
class TaskAwaiter {
 public:
  explicit TaskAwaiter(std::coroutine_handle<TaskPromise<T>> h) noexcept : h_(h) {}
  bool await_ready() const noexcept { return !h_ || h_.done(); }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) noexcept {
    auto& p = h_.promise();
    assert(!p.driver && "a Task that was polled as a future cannot be awaited");
    p.driver = caller.promise().driver;
    p.continuation = caller;
    return h_;
  }
  T await_resume() { return h_.promise().take(); }

 private:
  std::coroutine_handle<TaskPromise<T>> h_;
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Output = T;

  Task() noexcept = default;
  Task(Task&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, nullptr);
    }
    return *this;
  }
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }
  bool done() const noexcept { return handle_ && handle_.done(); }

  // Polls the whole chain once: re-polls the leaf future the chain waits on and resumes the
  // innermost coroutine when that leaf is ready. Rethrows an exception escaping the coroutine.
  Poll<T> poll(Context& cx) {
    auto& p = handle_.promise();
    detail::Driver& d = p.own_driver;
    if (!d.resume_point) {
      p.driver = &d;
      d.resume_point = handle_;
    }
    d.cx = &cx;
    if (d.leaf_poll) {
      if (!d.leaf_poll(d.leaf, cx)) return pending;
      d.leaf_poll = nullptr;
    }
    d.resume_point.resume();
    if (!handle_.done()) return pending;
    if constexpr (std::is_void_v<T>) {
      p.take();
      return ready;
    } else {
      return p.take();
    }
  }

 private:
  friend struct detail::PromiseBase;
  friend struct detail::TaskPromise<T>;
  explicit Task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  void reset() noexcept {
    if (handle_) std::exchange(handle_, nullptr).destroy();
  }

  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}
}  // namespace detail

// Wraps any Future in a Task (for APIs that want a coroutine type).
template <Future F>
Task<FutureOutput<F>> into_task(F f) {
  co_return co_await std::move(f);
}

}  // namespace strata
