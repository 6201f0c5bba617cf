// strata/rx/observable.hpp: Observable<T>, RxJS's push stream, and its creation functions.
//
// An Observable is a recipe: subscribe() runs it for one observer (cold by default: every
// subscription starts its own producer) and returns the Subscription that stops it. Operators
// are values that compose with `|` (strata/rx/operators.hpp).
//
//     auto numbers = of<int>({1, 2, 3, 4});
//     std::vector<int> seen;
//     Subscription s = (numbers | filter([](int x) { return x % 2 == 0; })
//                               | map([](int x) { return x * 10; }))
//                          .subscribe([&](int x) { seen.push_back(x); });   // seen == {20, 40}
//
// Creation: of, from (a range, a Promise), empty, never, throw_error, defer, create, interval,
// timer. Errors are std::exception_ptr, as Promise reasons are (make_reason, reason_as).
// Threads: an Observable value may be copied anywhere, but one subscription runs on one thread
// (RxJS is single-threaded); time comes from a Scheduler (strata/rx/scheduler.hpp).
// Allocation: a few shared states per subscription and per operator in the chain; nothing per
// event except what the values themselves need.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/rx/promise.hpp"
#include "strata/rx/scheduler.hpp"
#include "strata/rx/subscription.hpp"

namespace strata::rx {

template <class T>
class Observable {
 public:
  using value_type = T;

  // `on_subscribe(subscriber)` starts the producer for one subscriber and registers its teardown
  // with subscriber.add(...). An exception it throws errors the subscriber.
  template <class F>
  requires std::is_invocable_v < F&, const Subscriber<T>
  & > explicit Observable(F on_subscribe) : f_(std::make_shared<Fn>(std::move(on_subscribe))) {}

  // Subscribes an existing subscriber (operators use this to chain); returns it.
  Subscriber<T> subscribe(Subscriber<T> s) const {
    try {
      (*f_)(s);
    } catch (...) {
      s.error(std::current_exception());
    }
    return s;
  }
  Subscription subscribe(Observer<T> o) const { return subscribe(Subscriber<T>(std::move(o))); }
  template <class N, class E = std::nullptr_t, class C = std::nullptr_t>
  requires std::is_invocable_v<N&, const T&> Subscription subscribe(N on_next, E on_error = nullptr,
                                                                    C on_complete = nullptr)
  const {
    Observer<T> o;
    o.next = std::move(on_next);
    if constexpr (!std::is_null_pointer_v<E>) o.error = std::move(on_error);
    if constexpr (!std::is_null_pointer_v<C>) o.complete = std::move(on_complete);
    return subscribe(std::move(o));
  }

 private:
  using Fn = std::function<void(const Subscriber<T>&)>;
  std::shared_ptr<Fn> f_;  // shared by copies; a mutable producer's state is shared too
};

// An operator: a function from one Observable to another, applied with `source | op`.
template <class F>
struct Operator {
  F apply;
  template <class T>
  auto operator()(const Observable<T>& source) const {
    return apply(source);
  }
};
template <class F>
Operator<F> make_operator(F f) {
  return Operator<F>{std::move(f)};
}
template <class T, class F>
auto operator|(const Observable<T>& source, const Operator<F>& op) {
  return op(source);
}

// Builds the subscriber an operator subscribes to its source: events go to the callbacks (by
// default straight to `dest`), an exception a callback throws errors `dest`, and `dest`
// unsubscribing unsubscribes it (RxJS's createOperatorSubscriber).
template <class T, class U>
struct OperatorCallbacks {
  std::function<void(const T&)> next;
  std::function<void()> complete;
  std::function<void(std::exception_ptr)> error;
  std::function<void()> finalize;
};

template <class T, class U>
Subscriber<T> operator_subscriber(const Subscriber<U>& dest, OperatorCallbacks<T, U> cb) {
  Observer<T> o;
  if (cb.next) {
    o.next = [dest, f = std::move(cb.next)](const T& v) {
      try {
        f(v);
      } catch (...) {
        dest.error(std::current_exception());
      }
    };
  } else if constexpr (std::is_convertible_v<const T&, U>) {
    o.next = [dest](const T& v) { dest.next(v); };
  }
  if (cb.complete) {
    o.complete = [dest, f = std::move(cb.complete)] {
      try {
        f();
      } catch (...) {
        dest.error(std::current_exception());
      }
    };
  } else {
    o.complete = [dest] { dest.complete(); };
  }
  if (cb.error) {
    o.error = [dest, f = std::move(cb.error)](std::exception_ptr e) {
      try {
        f(std::move(e));
      } catch (...) {
        dest.error(std::current_exception());
      }
    };
  } else {
    o.error = [dest](std::exception_ptr e) { dest.error(std::move(e)); };
  }
  Subscriber<T> s(std::move(o));
  if (cb.finalize) s.add(std::move(cb.finalize));
  dest.add(s);
  return s;
}

// ------------------------------------------------------------------------------------ creation

// Emits `values` synchronously on subscribe, then completes.
template <class T>
Observable<T> of(std::vector<T> values) {
  return Observable<T>([values = std::move(values)](const Subscriber<T>& s) {
    for (auto& v : values) {
      if (s.stopped()) return;
      s.next(v);
    }
    s.complete();
  });
}
template <class T, class... Ts>
Observable<T> of(T first, Ts... rest) {
  return of<T>(std::vector<T>{std::move(first), T(std::move(rest))...});
}

// Emits the elements of a range (copied at creation), then completes.
template <class R>
requires requires(R& r) {
  std::begin(r);
}
auto from(const R& range) {
  using T = std::decay_t<decltype(*std::begin(range))>;
  return of<T>(std::vector<T>(std::begin(range), std::end(range)));
}
// Emits a promise's value and completes, or errors with its reason (asynchronously, as in RxJS:
// through a then() handler, so on the microtask queue).
template <class T>
Observable<T> from(Promise<T> p) {
  return Observable<T>([p](const Subscriber<T>& s) {
    (void)p.then(
        [s](const T& v) {
          if (s.stopped()) return;
          s.next(v);
          s.complete();
        },
        [s](std::exception_ptr e) { s.error(std::move(e)); });
  });
}

template <class T>
Observable<T> empty() {
  return Observable<T>([](const Subscriber<T>& s) { s.complete(); });
}
template <class T>
Observable<T> never() {
  return Observable<T>([](const Subscriber<T>&) {});
}
// Errors every subscriber at once with `reason` (see make_reason).
template <class T, class E>
Observable<T> throw_error(E reason) {
  return Observable<T>(
      [r = make_reason(std::move(reason))](const Subscriber<T>& s) { s.error(r); });
}
// Calls `factory()` on each subscription and subscribes to the Observable it returns.
template <class F>
auto defer(F factory) {
  using O = std::invoke_result_t<F&>;
  using T = typename O::value_type;
  return Observable<T>([factory = std::move(factory)](const Subscriber<T>& s) mutable {
    O o = factory();
    o.subscribe(s);
  });
}
// Observable<T>(f) by another name: f(subscriber) starts the producer.
template <class T, class F>
Observable<T> create(F on_subscribe) {
  return Observable<T>(std::move(on_subscribe));
}

// 0 after `due`, then 1, 2, ... every `period` if one is given; else completes after the 0.
Observable<long> timer(Duration due, std::optional<Duration> period, SchedulerRef sch);
inline Observable<long> timer(Duration due, SchedulerRef sch = runtime_scheduler()) {
  return timer(due, std::nullopt, std::move(sch));
}
// 0, 1, 2, ... at period, 2 * period, ...
inline Observable<long> interval(Duration period, SchedulerRef sch = runtime_scheduler()) {
  if (period < Duration::zero()) period = Duration::zero();
  return timer(period, period, std::move(sch));
}

}  // namespace strata::rx
