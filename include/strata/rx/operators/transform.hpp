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
#include "strata/rx/fused.hpp"
#include "strata/rx/observable.hpp"

namespace strata::rx {

namespace detail {

template <class F>
struct MapOp {
  F f;
  template <class In>
  using out =
      std::decay_t<decltype(call_indexed(std::declval<F&>(), std::declval<const In&>(), 0))>;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    F f;
    std::size_t index = 0;
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] { this->down.next(call_counted(f, v, index)); });
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, f};
  }
};

}  // namespace detail

// Each value through f(value[, index]). Fused (strata/rx/fused.hpp).
template <class F>
auto map(F f) {
  return make_fused_operator(detail::MapOp<F>{std::move(f)});
}

namespace detail {

// A notifier erased to its events: operators only care that it emitted.
using Notifier = Observable<std::monostate>;
template <class N>
Notifier as_notifier(const Observable<N>& o) {
  return o | map([](const N&) { return std::monostate{}; });
}

}  // namespace detail

namespace detail {

template <class N, class E, class C>
struct TapOp {
  N on_next;
  E on_error;
  C on_complete;
  template <class In>
  using out = In;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    N on_next;
    E on_error;
    C on_complete;
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] {
        on_next(v);
        this->down.next(v);
      });
    }
    void error(std::exception_ptr e) {
      if (this->closed()) return;
      this->stopped = true;
      try {
        if constexpr (!std::is_null_pointer_v<E>) on_error(e);
        this->down.error(e);
      } catch (...) {
        this->down.error(std::current_exception());
      }
    }
    void complete() {
      if (this->closed()) return;
      this->stopped = true;
      try {
        if constexpr (!std::is_null_pointer_v<C>) on_complete();
        this->down.complete();
      } catch (...) {
        this->down.error(std::current_exception());
      }
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, on_next, on_error, on_complete};
  }
};

}  // namespace detail

// Calls the callbacks on each event and passes it on unchanged. Fused.
template <class N, class E = std::nullptr_t, class C = std::nullptr_t>
auto tap(N on_next, E on_error = nullptr, C on_complete = nullptr) {
  return make_fused_operator(
      detail::TapOp<N, E, C>{std::move(on_next), std::move(on_error), std::move(on_complete)});
}

namespace detail {

// RxJS's scanInternals for reduce: with or without a seed, emits once at the end (nothing when
// the source was empty and there is no seed).
template <class A, class T, class F>
Observable<A> reduce_internals(const Observable<T>& source, F f, std::optional<A> seed) {
  return Observable<A>([source, f, seed](const Subscriber<A>& s) {
    struct St {
      std::optional<A> state;
      std::size_t index = 0;
    };
    auto st = std::make_shared<St>(St{seed, 0});
    OperatorCallbacks<T, A> cb;
    cb.next = [f, st](const T& v) mutable {
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
    };
    cb.complete = [s, st] {
      if (st->state) s.next(*st->state);
      s.complete();
    };
    source.subscribe(operator_subscriber<T, A>(s, std::move(cb)));
  });
}

}  // namespace detail

namespace detail {

// scan's stage: A is the accumulation's type (the seed's, or the value's without a seed).
template <class F, class A>
struct ScanOp {
  F f;
  std::optional<A> seed;
  template <class In>
  using out = A;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    F f;
    std::optional<A> state;
    std::size_t index = 0;
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] {
        std::size_t i = index++;
        if (state) {
          if constexpr (std::is_invocable_v<F&, const A&, const In&, std::size_t>) {
            state = f(*state, v, i);
          } else {
            state = f(*state, v);
          }
        } else {
          if constexpr (std::is_constructible_v<A, const In&>) state = A(v);
        }
        this->down.next(*state);
      });
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, f, seed};
  }
};
// scan without a seed: the accumulation has the value's type.
template <class F>
struct ScanFirstOp {
  F f;
  template <class In>
  using out = In;
  template <class In, class Down>
  auto stage(Down down) const {
    return typename ScanOp<F, In>::template Stage<In, Down>{{std::move(down)}, f, std::nullopt};
  }
};

}  // namespace detail

// Accumulates with f(acc, value[, index]); emits every accumulation. Without a seed the first
// value is the first accumulation. Fused.
template <class F, class A>
auto scan(F f, A seed) {
  return make_fused_operator(detail::ScanOp<F, A>{std::move(f), std::optional<A>(std::move(seed))});
}
template <class F>
auto scan(F f) {
  return make_fused_operator(detail::ScanFirstOp<F>{std::move(f)});
}
// scan that emits only the final accumulation, at completion.
template <class F, class A>
auto reduce(F f, A seed) {
  return make_operator([f, seed]<class T>(const Observable<T>& source) {
    return detail::reduce_internals<A>(source, f, std::optional<A>(seed));
  });
}
template <class F>
auto reduce(F f) {
  return make_operator([f]<class T>(const Observable<T>& source) {
    return detail::reduce_internals<T>(source, f, std::nullopt);
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
