// strata/rx/operators/transform.hpp: operators that turn each value into another: map, scan,
// reduce, buffer_count, and tap to look at events on the way.
//
// Synchronous, one output event per input event at most (buffer_count and reduce emit at
// completion). A projection or accumulator may take (value) or (value, index); an exception it
// throws errors the output.
//
//     std::vector<int> seen;
//     auto sub = (of(1, 2, 3, 4) | map([](int x) { return x * 10; })
//                 | scan([](int acc, int x) { return acc + x; }, 0))
//                    .subscribe([&](int v) { seen.push_back(v); });   // seen == {10, 30, 60, 100}
//     auto pairs = of(1, 2, 3) | buffer_count(2);                     // {1, 2}, then {3}
//
// Threads and allocation: see observable.hpp.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "strata/rx/detail/operator_support.hpp"
#include "strata/rx/observable.hpp"

namespace strata::rx {

template <class F>
auto map(F f) {
  return make_operator([f]<class T>(const Observable<T>& source) {
    using U = std::decay_t<decltype(detail::call_indexed(std::declval<F&>(),
                                                         std::declval<const T&>(), 0))>;
    return Observable<U>([source, f](const Subscriber<U>& s) {
      auto index = std::make_shared<std::size_t>(0);
      OperatorCallbacks<T, U> cb;
      cb.next = [s, f, index](const T& v) mutable {
        s.next(detail::call_indexed(f, v, (*index)++));
      };
      source.subscribe(operator_subscriber<T, U>(s, std::move(cb)));
    });
  });
}

namespace detail {

// A notifier erased to its events: operators only care that it emitted.
using Notifier = Observable<std::monostate>;
template <class N>
Notifier as_notifier(const Observable<N>& o) {
  return o | map([](const N&) { return std::monostate{}; });
}

}  // namespace detail

// Calls the callbacks on each event and passes it on unchanged.
template <class N, class E = std::nullptr_t, class C = std::nullptr_t>
auto tap(N on_next, E on_error = nullptr, C on_complete = nullptr) {
  return make_operator([=]<class T>(const Observable<T>& source) {
    return Observable<T>([=](const Subscriber<T>& s) {
      OperatorCallbacks<T, T> cb;
      cb.next = [s, on_next](const T& v) mutable {
        on_next(v);
        s.next(v);
      };
      cb.error = [s, on_error](std::exception_ptr e) mutable {
        (void)on_error;  // unused when E is nullptr_t (clang's -Wunused-lambda-capture)
        if constexpr (!std::is_null_pointer_v<E>) on_error(e);
        s.error(e);
      };
      cb.complete = [s, on_complete]() mutable {
        (void)on_complete;
        if constexpr (!std::is_null_pointer_v<C>) on_complete();
        s.complete();
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

namespace detail {

// RxJS's scanInternals: with or without a seed; emits on each value (scan) or once at the end
// (reduce; nothing when the source was empty and there is no seed).
template <class A, class T, class F>
Observable<A> scan_internals(const Observable<T>& source, F f, std::optional<A> seed,
                             bool on_next) {
  return Observable<A>([source, f, seed, on_next](const Subscriber<A>& s) {
    struct St {
      std::optional<A> state;
      std::size_t index = 0;
    };
    auto st = std::make_shared<St>(St{seed, 0});
    OperatorCallbacks<T, A> cb;
    cb.next = [s, f, st, on_next](const T& v) mutable {
      std::size_t i = st->index++;
      if (st->state) {
        if constexpr (std::is_invocable_v<F&, const A&, const T&, std::size_t>) {
          st->state = f(*st->state, v, i);
        } else {
          st->state = f(*st->state, v);
        }
      } else {
        if constexpr (std::is_constructible_v<A, const T&>) st->state = A(v);
      }
      if (on_next) s.next(*st->state);
    };
    if (!on_next) {
      cb.complete = [s, st] {
        if (st->state) s.next(*st->state);
        s.complete();
      };
    }
    source.subscribe(operator_subscriber<T, A>(s, std::move(cb)));
  });
}

}  // namespace detail

// Accumulates with f(acc, value[, index]); emits every accumulation. Without a seed the first
// value is the first accumulation.
template <class F, class A>
auto scan(F f, A seed) {
  return make_operator([f, seed]<class T>(const Observable<T>& source) {
    return detail::scan_internals<A>(source, f, std::optional<A>(seed), true);
  });
}
template <class F>
auto scan(F f) {
  return make_operator([f]<class T>(const Observable<T>& source) {
    return detail::scan_internals<T>(source, f, std::nullopt, true);
  });
}
// scan that emits only the final accumulation, at completion.
template <class F, class A>
auto reduce(F f, A seed) {
  return make_operator([f, seed]<class T>(const Observable<T>& source) {
    return detail::scan_internals<A>(source, f, std::optional<A>(seed), false);
  });
}
template <class F>
auto reduce(F f) {
  return make_operator([f]<class T>(const Observable<T>& source) {
    return detail::scan_internals<T>(source, f, std::nullopt, false);
  });
}

// Arrays of `size` values, a new one started every `every` values (default: size).
inline auto buffer_count(std::size_t size, std::size_t every = 0) {
  return make_operator([size, every]<class T>(const Observable<T>& source) {
    using V = std::vector<T>;
    std::size_t start_every = every ? every : size;
    return Observable<V>([source, size, start_every](const Subscriber<V>& s) {
      struct St {
        std::deque<V> buffers;
        std::size_t count = 0;
      };
      auto st = std::make_shared<St>();
      OperatorCallbacks<T, V> cb;
      cb.next = [s, st, size, start_every](const T& v) {
        if (st->count++ % start_every == 0) st->buffers.emplace_back();
        std::size_t full = 0;
        for (auto& b : st->buffers) {
          b.push_back(v);
          if (size <= b.size()) ++full;
        }
        for (; full > 0; --full) {  // the full buffers are the oldest ones
          V out = std::move(st->buffers.front());
          st->buffers.pop_front();
          s.next(out);
        }
      };
      cb.complete = [s, st] {
        for (auto& b : st->buffers) s.next(b);
        s.complete();
      };
      cb.finalize = [st] { st->buffers.clear(); };
      source.subscribe(operator_subscriber<T, V>(s, std::move(cb)));
    });
  });
}

}  // namespace strata::rx
