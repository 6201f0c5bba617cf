// strata/rx/promise.hpp: Promise<T>, JavaScript's Promise on Strata's runtime.
//
// A Promise is pending, then fulfilled with a T or rejected with a reason, once. Handlers attached
// with then/catch_/finally run asynchronously, as microtasks on the thread's microtask queue
// (strata/rt/microtask.hpp, drained after every task poll), in the order JavaScript runs them.
//
//     Promise<int> p([](auto resolve, auto reject) { resolve(21); });
//     Promise<std::string> s = p.then([](int v) { return v * 2; })
//                               .then([](int v) { return std::to_string(v); })
//                               .catch_([](std::exception_ptr) { return std::string("failed"); });
//     std::string text = co_await s;   // inside a Task: "42", or the reason is rethrown
//
// Handlers: on_fulfilled gets `const T&` (nothing for Promise<void>) and on_rejected gets the
// reason as std::exception_ptr. A handler may return a value, void, a Promise<U> (adopted, as in
// JavaScript: two extra microtask turns) or MaybePromise<U> (a value or a promise, chosen at run
// time). A handler that throws rejects the derived promise with what it threw.
// Reasons: any value can be a reason: reject(x) stores std::make_exception_ptr(x) (or x itself
// when it is a std::exception_ptr), and a handler's `throw x` stores x. reason_as<E>(r) reads it.
// Threads: Promise, Resolve and Reject may be copied to and used from any thread (a spin lock
// guards the state); handlers run on the thread that settled the promise, or that attached them
// when it was already settled. T must be copyable: every handler sees the same value.
// Allocation: one state per promise, one node per attached handler.
// Unhandled rejections go to the hook set with on_unhandled_rejection() once the microtask
// queue drains (Node's 'unhandledRejection'); the default hook prints one line to stderr.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "strata/rt/join_handle.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/task.hpp"
#include "strata/rx/detail/promise_state.hpp"

namespace strata::rx {

// A handler result chosen at run time: a value, or a promise to adopt.
template <class T>
using MaybePromise = std::variant<T, Promise<T>>;

// The reason Promise::any rejects with when every input rejected (JavaScript's AggregateError):
// the reasons in input order; empty when the input was empty.
class AggregateError : public std::exception {
 public:
  explicit AggregateError(std::vector<std::exception_ptr> errors) : errors_(std::move(errors)) {}
  const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }
  const char* what() const noexcept override { return "All promises were rejected"; }

 private:
  std::vector<std::exception_ptr> errors_;
};

// A reason as an exception_ptr: `e` itself if it is one, else e thrown and caught.
template <class E>
std::exception_ptr make_reason(E e) {
  if constexpr (std::is_same_v<std::decay_t<E>, std::exception_ptr>) {
    return e;
  } else {
    return std::make_exception_ptr(std::move(e));
  }
}

// The reason as an E when it holds one (catch (const E&) matches), else nullopt.
template <class E>
std::optional<E> reason_as(const std::exception_ptr& reason) {
  if (!reason) return std::nullopt;
  try {
    std::rethrow_exception(reason);
  } catch (const E& e) {
    return e;
  } catch (...) {
    return std::nullopt;
  }
}

// The process-wide hook for rejections nobody handled; returns the previous hook. An empty
// function restores the default (one line on stderr). Runs on the thread whose microtask queue
// drained, once per unhandled rejected promise.
using UnhandledRejectionHook = std::function<void(const std::exception_ptr& reason)>;
UnhandledRejectionHook on_unhandled_rejection(UnhandledRejectionHook hook);

// Resolves its promise (once; later calls of either function are ignored): with a value, or
// with another promise, which it then follows.
template <class T>
class Resolve {
 public:
  explicit Resolve(detail::Ref<detail::State<T>> s) noexcept : s_(std::move(s)) {}
  template <class U = T>
  requires(!std::is_void_v<U>) void operator()(U value) const {
    if (lock_in()) s_->fulfill(std::move(value));
  }
  void operator()() const requires std::is_void_v<T> {
    if (lock_in()) s_->fulfill({});
  }
  void operator()(Promise<T> p) const;

 private:
  bool lock_in() const noexcept {
    std::lock_guard g(s_->lock);
    return !std::exchange(s_->locked_in, true);
  }
  detail::Ref<detail::State<T>> s_;
};

// Rejects its promise with a reason (see make_reason), unless already resolved.
class Reject {
 public:
  explicit Reject(detail::Ref<detail::StateBase> s) noexcept : s_(std::move(s)) {}
  template <class E>
  void operator()(E reason) const {
    {
      std::lock_guard g(s_->lock);
      if (std::exchange(s_->locked_in, true)) return;
    }
    s_->reject(make_reason(std::move(reason)));
  }

 private:
  detail::Ref<detail::StateBase> s_;
};

template <class T>
struct PromiseWithResolvers;

// The outcome of one input of Promise::all_settled.
template <class T>
struct Settled {
  bool fulfilled = false;
  std::optional<detail::Stored<T>> value;  // when fulfilled
  std::exception_ptr reason;               // when rejected
};

namespace detail {

template <class R>
struct HandlerResult {
  static constexpr int kind = 0;  // a value (or void)
  using value = R;
};
template <class U>
struct HandlerResult<Promise<U>> {
  static constexpr int kind = 1;
  using value = U;
};
template <class U>
struct HandlerResult<std::variant<U, Promise<U>>> {
  static constexpr int kind = 2;
  using value = U;
};
// The value type of the promise a handler returning R produces.
template <class R>
using Unwrap = typename HandlerResult<std::remove_cvref_t<R>>::value;

template <class T, class F>
struct OnValue {
  using type = std::invoke_result_t<F&, const T&>;
};
template <class F>
struct OnValue<void, F> {
  using type = std::invoke_result_t<F&>;
};

// Resolves `target` with what `g()` returns (a value, void, a promise or a MaybePromise).
template <class U, class G>
void complete_with(State<U>* target, G&& g);

// The value type of then(on_fulfilled, ...): what on_fulfilled returns, unwrapped; T without it.
template <class T, class F>
struct ThenValue {
  using type = Unwrap<typename OnValue<T, F>::type>;
};
template <class T>
struct ThenValue<T, std::nullptr_t> {
  using type = T;
};

template <class T, class U, class F, class R>
struct ThenReaction;

}  // namespace detail

template <class T>
class [[nodiscard]] Promise {
 public:
  using value_type = T;

  // A pending promise; `executor(resolve, reject)` runs now, and its exception rejects.
  template <class F>
  requires std::is_invocable_v<F&, Resolve<T>, Reject>
  explicit Promise(F executor) : s_(new detail::State<T>()) {
    Resolve<T> res(s_);
    Reject rej(detail::Ref<detail::StateBase>::share(s_.get()));
    try {
      executor(res, rej);
    } catch (...) {
      rej(std::current_exception());
    }
  }
  // An empty handle (valid() is false): only assignment and destruction are allowed.
  Promise() noexcept = default;

  // A fulfilled promise (JavaScript's Promise.resolve); resolve(p) returns p itself.
  template <class U = T>
  requires(!std::is_void_v<U>) static Promise resolve(U value) {
    Promise p(detail::Ref<detail::State<T>>(new detail::State<T>()));
    p.s_->locked_in = true;
    p.s_->fulfill(std::move(value));
    return p;
  }
  static Promise resolve() requires std::is_void_v<T> {
    Promise p(detail::Ref<detail::State<T>>(new detail::State<T>()));
    p.s_->locked_in = true;
    p.s_->fulfill({});
    return p;
  }
  static Promise resolve(Promise p) noexcept { return p; }
  // A rejected promise (see make_reason).
  template <class E>
  static Promise reject(E reason) {
    Promise p(detail::Ref<detail::State<T>>(new detail::State<T>()));
    p.s_->locked_in = true;
    p.s_->reject(make_reason(std::move(reason)));
    return p;
  }
  // A pending promise and its two resolving functions (Promise.withResolvers).
  static PromiseWithResolvers<T> with_resolvers();

  // Attaches handlers; returns the promise of what the handler that runs returns. A missing
  // on_rejected passes the rejection on; on_fulfilled and on_rejected must agree on the type.
  template <class F>
  auto then(F on_fulfilled) const {
    return then_impl(std::move(on_fulfilled), nullptr);
  }
  template <class F, class R>
  auto then(F on_fulfilled, R on_rejected) const {
    return then_impl(std::move(on_fulfilled), std::move(on_rejected));
  }
  // then(nullptr, on_rejected): the handler returns a T (or a promise of one) to recover.
  template <class R>
  Promise catch_(R on_rejected) const {
    return then_impl(nullptr, std::move(on_rejected));
  }
  // Runs f() on either outcome and passes the outcome on, after the promise f returns (if any)
  // settles; a throw from f (or its promise's rejection) replaces the outcome. Same microtask
  // turns as JavaScript's finally.
  template <class F>
  Promise finally(F f) const;
  // then() with an on_fulfilled that returns a plain value.
  template <class F>
  auto map(F f) const {
    return then(std::move(f));
  }

  bool valid() const noexcept { return static_cast<bool>(s_); }
  bool is_pending() const noexcept { return state() == detail::Status::pending; }
  bool is_fulfilled() const noexcept { return state() == detail::Status::fulfilled; }
  bool is_rejected() const noexcept { return state() == detail::Status::rejected; }

  // Future: ready once settled; returns the value or rethrows the reason. `co_await promise`
  // inside a Task uses this; the awaiting task is woken at settlement (not through a microtask)
  // and resumes on its executor. Awaiting marks the promise handled.
  Poll<T> poll(Context& cx) {
    if (s_->add_waker(cx.waker())) return pending;
    if (s_->status == detail::Status::rejected) std::rethrow_exception(s_->reason);
    if constexpr (std::is_void_v<T>) {
      return ready;
    } else {
      return T(*s_->value);
    }
  }

  // A promise of `task`'s output: spawns it on the current runtime (throws std::logic_error
  // outside one). An exception escaping the task rejects with it.
  static Promise from(Task<T> task);
  // A promise of a spawned task's output; an aborted task rejects with its strata::Error
  // (Errc::cancelled), an exception escaping it rejects with that exception.
  static Promise from(JoinHandle<T> handle);
  // A Task that awaits `p`.
  static Task<T> to_task(Promise p) {
    if constexpr (std::is_void_v<T>) {
      co_await p;
    } else {
      co_return co_await p;
    }
  }

  // JavaScript's combinators over promises of one type. all: the values in input order, or the
  // first rejection. race: the first to settle (an empty input stays pending). any: the first
  // fulfilment, or AggregateError with every reason in input order (an empty input rejects at
  // once). all_settled: every outcome in input order.
  static Promise<std::vector<detail::Stored<T>>> all(std::vector<Promise> inputs);
  static Promise race(std::vector<Promise> inputs);
  static Promise any(std::vector<Promise> inputs);
  static Promise<std::vector<Settled<T>>> all_settled(std::vector<Promise> inputs);

  // Identity of the shared state (copies of a promise compare equal).
  friend bool operator==(const Promise& a, const Promise& b) noexcept {
    return a.s_.get() == b.s_.get();
  }

 private:
  template <class U>
  friend class Promise;
  template <class U>
  friend class Resolve;
  template <class U, class G>
  friend void detail::complete_with(detail::State<U>*, G&&);

  explicit Promise(detail::Ref<detail::State<T>> s) noexcept : s_(std::move(s)) {}
  detail::Status state() const noexcept {
    std::lock_guard g(s_->lock);
    return s_->status;
  }

  template <class F, class R>
  auto then_impl(F on_fulfilled, R on_rejected) const;

  detail::Ref<detail::State<T>> s_;
};

template <class T>
struct PromiseWithResolvers {
  Promise<T> promise;
  Resolve<T> resolve;
  Reject reject;
};

// ------------------------------------------------------------------------------ implementation

namespace detail {

template <class U, class G>
void complete_with(State<U>* target, G&& g) {
  using R = decltype(g());
  using H = HandlerResult<std::remove_cvref_t<R>>;
  if constexpr (std::is_void_v<R>) {
    static_assert(std::is_void_v<U>, "a handler returning void makes a Promise<void>");
    g();
    target->fulfill({});
  } else if constexpr (H::kind == 1) {
    static_assert(std::is_same_v<typename H::value, U>, "the handlers' promise types disagree");
    Promise<U> p = g();
    adopt(target, p.s_);
  } else if constexpr (H::kind == 2) {
    static_assert(std::is_same_v<typename H::value, U>, "the handlers' promise types disagree");
    auto r = g();
    if (r.index() == 0) {
      target->fulfill(std::get<0>(std::move(r)));
    } else {
      adopt(target, std::get<1>(std::move(r)).s_);
    }
  } else {
    static_assert(!std::is_void_v<U>, "a handler of a Promise<void> chain must return void");
    target->fulfill(U(g()));
  }
}

// The reaction then() attaches: runs the matching handler (or passes the outcome on) and
// resolves the derived promise. F or R is std::nullptr_t when absent.
template <class T, class U, class F, class R>
struct ThenReaction final : ReactionBase {
  Ref<State<U>> target;
  [[no_unique_address]] F on_fulfilled;
  [[no_unique_address]] R on_rejected;

  ThenReaction(Ref<State<U>> t, F f, R r)
      : target(std::move(t)), on_fulfilled(std::move(f)), on_rejected(std::move(r)) {}

  void fire() override {
    auto* src = static_cast<State<T>*>(source);
    try {
      if (src->status == Status::fulfilled) {
        if constexpr (std::is_null_pointer_v<F>) {
          static_assert(std::is_same_v<T, U>);
          target->fulfill(*src->value);
        } else if constexpr (std::is_void_v<T>) {
          complete_with(target.get(), [&]() -> decltype(auto) { return on_fulfilled(); });
        } else {
          complete_with(target.get(), [&]() -> decltype(auto) {
            return on_fulfilled(std::as_const(*src->value));
          });
        }
      } else if constexpr (std::is_null_pointer_v<R>) {
        target->reject(src->reason);
      } else {
        complete_with(target.get(), [&]() -> decltype(auto) { return on_rejected(src->reason); });
      }
    } catch (...) {
      target->reject(std::current_exception());
    }
  }
};

}  // namespace detail

template <class T>
void Resolve<T>::operator()(Promise<T> p) const {
  if (lock_in()) detail::adopt(s_.get(), p.s_);
}

template <class T>
PromiseWithResolvers<T> Promise<T>::with_resolvers() {
  Promise p(detail::Ref<detail::State<T>>(new detail::State<T>()));
  Resolve<T> res(p.s_);
  Reject rej(detail::Ref<detail::StateBase>::share(p.s_.get()));
  return {std::move(p), std::move(res), std::move(rej)};
}

template <class T>
template <class F, class R>
auto Promise<T>::then_impl(F on_fulfilled, R on_rejected) const {
  using U = typename detail::ThenValue<T, F>::type;
  detail::Ref<detail::State<U>> target(new detail::State<U>());
  target->locked_in = true;  // only the reaction resolves it
  s_->add_reaction(new detail::ThenReaction<T, U, F, R>(target, std::move(on_fulfilled),
                                                        std::move(on_rejected)));
  return Promise<U>(std::move(target));
}

template <class T>
template <class F>
Promise<T> Promise<T>::finally(F f) const {
  // ECMAScript's thenFinally / catchFinally: f's result (a promise or not) goes through
  // Promise.resolve, then a then() passes the original outcome on.
  auto wait_for = [](F& fn) {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      fn();
      return Promise<void>::resolve();
    } else {
      return fn();  // a Promise<X>: waited for, its value ignored
    }
  };
  return then_impl(
      [f, wait_for](const auto&... value) mutable {
        if constexpr (std::is_void_v<T>) {
          return wait_for(f).then([](const auto&...) {});
        } else {
          return wait_for(f).then([v = T(value...)](const auto&...) { return v; });
        }
      },
      [f, wait_for](std::exception_ptr reason) mutable {
        return wait_for(f).then([reason](const auto&...) -> T { std::rethrow_exception(reason); });
      });
}

template <class T>
Promise<T> Promise<T>::from(Task<T> task) {
  auto pr = with_resolvers();
  struct Bridge {
    static Task<void> run(Task<T> t, Resolve<T> res, Reject rej) {
      try {
        if constexpr (std::is_void_v<T>) {
          co_await std::move(t);
          res();
        } else {
          T v = co_await std::move(t);
          res(std::move(v));
        }
      } catch (...) {
        rej(std::current_exception());
      }
    }
  };
  spawn(Bridge::run(std::move(task), pr.resolve, pr.reject)).detach();
  return std::move(pr.promise);
}

template <class T>
Promise<T> Promise<T>::from(JoinHandle<T> handle) {
  auto pr = with_resolvers();
  struct Bridge {
    static Task<void> run(JoinHandle<T> h, Resolve<T> res, Reject rej) {
      try {
        Result<T> r = co_await h;
        if (!r) {
          rej(r.error());
        } else if constexpr (std::is_void_v<T>) {
          res();
        } else {
          res(std::move(*r));
        }
      } catch (...) {
        rej(std::current_exception());
      }
    }
  };
  spawn(Bridge::run(std::move(handle), pr.resolve, pr.reject)).detach();
  return std::move(pr.promise);
}

namespace detail {

// Shared by the reactions of one combinator call (they may run on different threads).
template <class Out, class Slot>
struct Gather {
  std::mutex mu;
  std::vector<std::optional<Slot>> slots;
  std::size_t remaining = 1;  // the spec's remainingElementsCount: starts at 1
  Resolve<Out> resolve;
  Reject reject;
  Gather(std::size_t n, Resolve<Out> res, Reject rej)
      : slots(n), resolve(std::move(res)), reject(std::move(rej)) {}
  // Stores slot i; returns the slots when it was the last one.
  std::optional<std::vector<Slot>> put(std::size_t i, Slot v) {
    std::lock_guard g(mu);
    slots[i].emplace(std::move(v));
    return done_locked();
  }
  std::optional<std::vector<Slot>> finish_sync() {
    std::lock_guard g(mu);
    return done_locked();
  }

 private:
  std::optional<std::vector<Slot>> done_locked() {
    if (--remaining != 0) return std::nullopt;
    std::vector<Slot> out;
    out.reserve(slots.size());
    for (auto& s : slots) out.push_back(std::move(*s));
    return out;
  }
};

}  // namespace detail

template <class T>
Promise<std::vector<detail::Stored<T>>> Promise<T>::all(std::vector<Promise> inputs) {
  using V = detail::Stored<T>;
  auto pr = Promise<std::vector<V>>::with_resolvers();
  auto g =
      std::make_shared<detail::Gather<std::vector<V>, V>>(inputs.size(), pr.resolve, pr.reject);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    {
      std::lock_guard l(g->mu);
      ++g->remaining;
    }
    (void)inputs[i].then(
        [g, i](const auto&... v) {
          if (auto out = g->put(i, V(v...))) g->resolve(std::move(*out));
        },
        [g](std::exception_ptr e) { g->reject(e); });
  }
  if (auto out = g->finish_sync()) g->resolve(std::move(*out));
  return std::move(pr.promise);
}

template <class T>
Promise<std::vector<Settled<T>>> Promise<T>::all_settled(std::vector<Promise> inputs) {
  using S = Settled<T>;
  auto pr = Promise<std::vector<S>>::with_resolvers();
  auto g =
      std::make_shared<detail::Gather<std::vector<S>, S>>(inputs.size(), pr.resolve, pr.reject);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    {
      std::lock_guard l(g->mu);
      ++g->remaining;
    }
    (void)inputs[i].then(
        [g, i](const auto&... v) {
          if (auto out = g->put(i, S{true, detail::Stored<T>(v...), nullptr}))
            g->resolve(std::move(*out));
        },
        [g, i](std::exception_ptr e) {
          if (auto out = g->put(i, S{false, std::nullopt, e})) g->resolve(std::move(*out));
        });
  }
  if (auto out = g->finish_sync()) g->resolve(std::move(*out));
  return std::move(pr.promise);
}

template <class T>
Promise<T> Promise<T>::race(std::vector<Promise> inputs) {
  auto pr = with_resolvers();
  for (auto& in : inputs) {
    Resolve<T> res = pr.resolve;
    (void)in.then(
        [res](const auto&... v) {
          if constexpr (std::is_void_v<T>) {
            res();
          } else {
            res(T(v...));
          }
        },
        [rej = pr.reject](std::exception_ptr e) { rej(e); });
  }
  return std::move(pr.promise);
}

template <class T>
Promise<T> Promise<T>::any(std::vector<Promise> inputs) {
  auto pr = with_resolvers();
  auto g =
      std::make_shared<detail::Gather<T, std::exception_ptr>>(inputs.size(), pr.resolve, pr.reject);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    {
      std::lock_guard l(g->mu);
      ++g->remaining;
    }
    (void)inputs[i].then(
        [g](const auto&... v) {
          if constexpr (std::is_void_v<T>) {
            g->resolve();
          } else {
            g->resolve(T(v...));
          }
        },
        [g, i](std::exception_ptr e) {
          if (auto out = g->put(i, e)) g->reject(AggregateError(std::move(*out)));
        });
  }
  if (auto out = g->finish_sync()) g->reject(AggregateError(std::move(*out)));
  return std::move(pr.promise);
}

}  // namespace strata::rx
