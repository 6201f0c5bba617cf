// strata/rx/operators/filter.hpp: operators that let some values through: filter, skip, take,
// take_while, take_until, first, last, distinct_until_changed.
//
// take, take_while, take_until and first complete the output as soon as they are satisfied,
// which unsubscribes the source (a synchronous source stops producing at once). first and last
// error with EmptyError on a source that completed without a (matching) value.
//
//     std::vector<int> seen;
//     auto sub = (of(1, 1, 2, 3, 3, 4) | distinct_until_changed()
//                 | filter([](int x) { return x != 3; }) | take(2))
//                    .subscribe([&](int v) { seen.push_back(v); });   // seen == {1, 2}
//
// Threads and allocation: see observable.hpp.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "strata/rx/detail/operator_support.hpp"
#include "strata/rx/observable.hpp"

namespace strata::rx {

// The error first/last raise on a source that completed without a (matching) value.
class EmptyError : public std::runtime_error {
 public:
  EmptyError() : std::runtime_error("no elements in sequence") {}
};

template <class F>
auto filter(F pred) {
  return make_operator([pred]<class T>(const Observable<T>& source) {
    return Observable<T>([source, pred](const Subscriber<T>& s) {
      auto index = std::make_shared<std::size_t>(0);
      OperatorCallbacks<T, T> cb;
      cb.next = [s, pred, index](const T& v) mutable {
        if (detail::call_indexed(pred, v, (*index)++)) s.next(v);
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

inline auto take(std::size_t count) {
  return make_operator([count]<class T>(const Observable<T>& source) {
    if (count == 0) return empty<T>();
    return Observable<T>([source, count](const Subscriber<T>& s) {
      auto seen = std::make_shared<std::size_t>(0);
      OperatorCallbacks<T, T> cb;
      cb.next = [s, seen, count](const T& v) {
        if (++*seen <= count) {
          s.next(v);
          if (count <= *seen) s.complete();
        }
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

inline auto skip(std::size_t count) {
  return filter([count]<class T>(const T&, std::size_t i) { return count <= i; });
}

// Values while pred holds; completes at the first that fails (emitting it too if inclusive).
template <class F>
auto take_while(F pred, bool inclusive = false) {
  return make_operator([pred, inclusive]<class T>(const Observable<T>& source) {
    return Observable<T>([source, pred, inclusive](const Subscriber<T>& s) {
      auto index = std::make_shared<std::size_t>(0);
      OperatorCallbacks<T, T> cb;
      cb.next = [s, pred, index, inclusive](const T& v) mutable {
        bool keep = detail::call_indexed(pred, v, (*index)++);
        if (keep || inclusive) s.next(v);
        if (!keep) s.complete();
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

// Mirrors the source until `notifier` emits, then completes.
template <class N>
auto take_until(Observable<N> notifier) {
  return make_operator([notifier]<class T>(const Observable<T>& source) {
    return Observable<T>([source, notifier](const Subscriber<T>& s) {
      OperatorCallbacks<N, T> cb;
      cb.next = [s](const N&) { s.complete(); };
      cb.complete = [] {};
      notifier.subscribe(operator_subscriber<N, T>(s, std::move(cb)));
      if (!s.closed()) source.subscribe(s);
    });
  });
}

// The first value (matching pred), then completes; EmptyError if there is none.
template <class F>
auto first(F pred) {
  return make_operator([pred]<class T>(const Observable<T>& source) {
    return Observable<T>([source, pred](const Subscriber<T>& s) {
      auto index = std::make_shared<std::size_t>(0);
      OperatorCallbacks<T, T> cb;
      cb.next = [s, pred, index](const T& v) mutable {
        if (detail::call_indexed(pred, v, (*index)++)) {
          s.next(v);
          s.complete();
        }
      };
      cb.complete = [s] { s.error(std::make_exception_ptr(EmptyError())); };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}
inline auto first() {
  return first([](const auto&) { return true; });
}

// The last value at completion; EmptyError if there was none.
inline auto last() {
  return make_operator([]<class T>(const Observable<T>& source) {
    return Observable<T>([source](const Subscriber<T>& s) {
      auto held = std::make_shared<std::optional<T>>();
      OperatorCallbacks<T, T> cb;
      cb.next = [held](const T& v) { *held = v; };
      cb.complete = [s, held] {
        if (!*held) {
          s.error(std::make_exception_ptr(EmptyError()));
          return;
        }
        s.next(**held);
        s.complete();
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

// Drops a value equal (==) to the previous one passed on.
inline auto distinct_until_changed() {
  return make_operator([]<class T>(const Observable<T>& source) {
    return Observable<T>([source](const Subscriber<T>& s) {
      auto prev = std::make_shared<std::optional<T>>();
      OperatorCallbacks<T, T> cb;
      cb.next = [s, prev](const T& v) {
        if (!*prev || !(**prev == v)) {
          *prev = v;
          s.next(v);
        }
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

}  // namespace strata::rx
