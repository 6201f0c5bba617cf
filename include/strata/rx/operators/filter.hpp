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
#include "strata/rx/fused.hpp"
#include "strata/rx/observable.hpp"

namespace strata::rx {

// The error first/last raise on a source that completed without a (matching) value.
class EmptyError : public std::runtime_error {
 public:
  EmptyError() : std::runtime_error("no elements in sequence") {}
};

namespace detail {

template <class F>
struct FilterOp {
  F pred;
  template <class In>
  using out = In;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    F pred;
    std::size_t index = 0;
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] {
        if (call_counted(pred, v, index)) this->down.next(v);
      });
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, pred};
  }
};

struct TakeOp {
  std::size_t count;
  template <class In>
  using out = In;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    std::size_t count;
    std::size_t seen = 0;
    // take(0) completes at once and never subscribes to the source (RxJS: EMPTY).
    bool start() {
      if (!this->down.start()) return false;
      if (count > 0) return true;
      this->complete();
      return false;
    }
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] {
        if (++seen <= count) {
          this->down.next(v);
          if (count <= seen) this->down.complete();
        }
      });
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, count};
  }
};

template <class F>
struct TakeWhileOp {
  F pred;
  bool inclusive;
  template <class In>
  using out = In;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    F pred;
    bool inclusive;
    std::size_t index = 0;
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] {
        bool keep = call_counted(pred, v, index);
        if (keep || inclusive) this->down.next(v);
        if (!keep) this->down.complete();
      });
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, pred, inclusive};
  }
};

struct DistinctUntilChangedOp {
  template <class In>
  using out = In;
  template <class In, class Down>
  struct Stage : StageBase<Down> {
    std::optional<In> prev;
    void next(const In& v) {
      if (this->stopped) return;
      this->guarded([&] {
        if (!prev || !(*prev == v)) {
          prev = v;
          this->down.next(v);
        }
      });
    }
  };
  template <class In, class Down>
  auto stage(Down down) const {
    return Stage<In, Down>{{std::move(down)}, std::nullopt};
  }
};

}  // namespace detail

// The values pred(value[, index]) accepts. Fused (strata/rx/fused.hpp).
template <class F>
auto filter(F pred) {
  return make_fused_operator(detail::FilterOp<F>{std::move(pred)});
}

// The first `count` values, then completes (unsubscribing the source). Fused.
inline auto take(std::size_t count) {
  return make_fused_operator(detail::TakeOp{count});
}

inline auto skip(std::size_t count) {
  return filter([count]<class T>(const T&, std::size_t i) { return count <= i; });
}

// Values while pred holds; completes at the first that fails (emitting it too if inclusive).
// Fused.
template <class F>
auto take_while(F pred, bool inclusive = false) {
  return make_fused_operator(detail::TakeWhileOp<F>{std::move(pred), inclusive});
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

// Drops a value equal (==) to the previous one passed on. Fused.
inline auto distinct_until_changed() {
  return make_fused_operator(detail::DistinctUntilChangedOp{});
}

}  // namespace strata::rx
