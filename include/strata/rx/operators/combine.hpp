// strata/rx/operators/combine.hpp: Observables built from several others: merge, concat, zip,
// combine_latest (static, over a std::vector of sources), start_with and with_latest_from
// (operators).
//
// merge and concat complete when every source did; zip when a completed source's values are
// used up; combine_latest when all completed. An error of any source errors the output and
// unsubscribes the others. zip and combine_latest emit arrays (std::vector<T>), with_latest_from
// tuples (value, latest of each other source).
//
//     std::vector<std::vector<int>> seen;
//     auto sub = zip<int>({of(1, 2, 3), of(10, 20)})
//                    .subscribe([&](const std::vector<int>& v) { seen.push_back(v); });
//     // seen == {{1, 10}, {2, 20}}
//     auto all = concat<int>({of(1, 2), of(3)}) | start_with<int>({0});   // 0, 1, 2, 3
//
// Threads and allocation: see observable.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "strata/rx/detail/operator_support.hpp"
#include "strata/rx/observable.hpp"
#include "strata/rx/operators/flatten.hpp"

namespace strata::rx {

// Every source at once; completes when all have.
template <class T>
Observable<T> merge(std::vector<Observable<T>> sources,
                    std::size_t concurrent = detail::unbounded) {
  return Observable<T>([sources = std::move(sources), concurrent](const Subscriber<T>& s) {
    detail::merge_internals(
        of<Observable<T>>(sources), s, [](const Observable<T>& o) { return o; }, concurrent);
  });
}
// One source after another.
template <class T>
Observable<T> concat(std::vector<Observable<T>> sources) {
  return merge(std::move(sources), 1);
}

// Arrays of the n-th value of every source; completes once a source completed and its values
// are used up.
template <class T>
Observable<std::vector<T>> zip(std::vector<Observable<T>> sources) {
  using V = std::vector<T>;
  if (sources.empty()) return empty<V>();
  return Observable<V>([sources = std::move(sources)](const Subscriber<V>& s) {
    struct St {
      std::vector<std::deque<T>> buffers;
      std::vector<bool> completed;
    };
    auto st = std::make_shared<St>(
        St{std::vector<std::deque<T>>(sources.size()), std::vector<bool>(sources.size())});
    for (std::size_t i = 0; !s.closed() && i < sources.size(); ++i) {
      OperatorCallbacks<T, V> cb;
      cb.next = [st, s, i](const T& v) {
        st->buffers[i].push_back(v);
        for (auto& b : st->buffers) {
          if (b.empty()) return;
        }
        V out;
        for (auto& b : st->buffers) {
          out.push_back(std::move(b.front()));
          b.pop_front();
        }
        s.next(out);
        for (std::size_t k = 0; k < st->buffers.size(); ++k) {
          if (st->buffers[k].empty() && st->completed[k]) {
            s.complete();
            return;
          }
        }
      };
      cb.complete = [st, s, i] {
        st->completed[i] = true;
        if (st->buffers[i].empty()) s.complete();
      };
      sources[i].subscribe(operator_subscriber<T, V>(s, std::move(cb)));
    }
  });
}

// The latest value of every source, as an array, each time one emits once all have emitted.
template <class T>
Observable<std::vector<T>> combine_latest(std::vector<Observable<T>> sources) {
  using V = std::vector<T>;
  if (sources.empty()) return empty<V>();
  return Observable<V>([sources = std::move(sources)](const Subscriber<V>& s) {
    struct St {
      std::vector<std::optional<T>> values;
      std::size_t active;
      std::size_t remaining_first;
    };
    auto st = std::make_shared<St>(
        St{std::vector<std::optional<T>>(sources.size()), sources.size(), sources.size()});
    for (std::size_t i = 0; i < sources.size(); ++i) {
      auto has_first = std::make_shared<bool>(false);
      OperatorCallbacks<T, V> cb;
      cb.next = [st, s, i, has_first](const T& v) {
        st->values[i] = v;
        if (!*has_first) {
          *has_first = true;
          --st->remaining_first;
        }
        if (st->remaining_first == 0) {
          V out;
          for (auto& x : st->values) out.push_back(*x);
          s.next(out);
        }
      };
      cb.complete = [st, s] {
        if (--st->active == 0) s.complete();
      };
      sources[i].subscribe(operator_subscriber<T, V>(s, std::move(cb)));
    }
  });
}

// Emits `values` first, then the source (concat).
template <class T>
auto start_with(std::vector<T> values) {
  return make_operator([values](const Observable<T>& source) {
    return concat<T>({of<T>(values), source});
  });
}

namespace detail {

// RxJS's withLatestFrom: subscribes to every other source first (their completion is ignored,
// their errors pass), then to the source; each source value, once every other source has a
// value, emits make(value, latest values).
template <class T, class R, class Store, class Subscribe, class Make>
Observable<R> with_latest_internal(const Observable<T>& source, std::size_t others,
                                   Subscribe subscribe_others, Make make) {
  return Observable<R>([source, others, subscribe_others, make](const Subscriber<R>& s) {
    struct St {
      Store values{};
      std::vector<bool> has_value;
      bool ready = false;
    };
    auto st = std::make_shared<St>();
    st->has_value.assign(others, false);
    st->ready = others == 0;
    // on_value(i): other source i delivered a value (already stored in st->values).
    auto on_value = [st](std::size_t i) {
      if (st->ready || st->has_value[i]) return;
      st->has_value[i] = true;
      st->ready = std::all_of(st->has_value.begin(), st->has_value.end(), [](bool b) { return b; });
    };
    subscribe_others(s, st->values, on_value);
    OperatorCallbacks<T, R> cb;
    cb.next = [s, st, make](const T& v) {
      if (st->ready) s.next(make(v, st->values));
    };
    source.subscribe(operator_subscriber<T, R>(s, std::move(cb)));
  });
}

}  // namespace detail

// Each source value with the latest value of every other source, as a tuple (value, others...);
// nothing until every other source has emitted. The others' completion does not complete.
template <class... Us>
auto with_latest_from(Observable<Us>... others) {
  return make_operator([others...]<class T>(const Observable<T>& source) {
    using R = std::tuple<T, Us...>;
    using Store = std::tuple<std::optional<Us>...>;
    auto subscribe_others = [others...](const Subscriber<R>& s, Store& values, auto on_value) {
      std::size_t i = 0;
      auto one = [&]<class U>(const Observable<U>& o, std::optional<U>& slot) {
        OperatorCallbacks<U, R> cb;
        cb.next = [slot = &slot, on_value, i](const U& v) {
          *slot = v;
          on_value(i);
        };
        cb.complete = [] {};
        o.subscribe(operator_subscriber<U, R>(s, std::move(cb)));
        ++i;
      };
      std::apply([&](auto&... slots) { (one(others, slots), ...); }, values);
    };
    return detail::with_latest_internal<T, R, Store>(
        source, sizeof...(Us), subscribe_others, [](const T& v, const Store& values) {
          return std::apply([&](const auto&... x) { return R(v, *x...); }, values);
        });
  });
}
// with_latest_from over sources of one type: arrays {value, latest of each other source}, as
// RxJS's arrays.
template <class U>
auto with_latest_from(std::vector<Observable<U>> others) {
  return make_operator([others]<class T>(const Observable<T>& source) {
    using R = std::vector<U>;
    using Store = std::vector<std::optional<U>>;
    auto subscribe_others = [others](const Subscriber<R>& s, Store& values, auto on_value) {
      values.resize(others.size());
      for (std::size_t i = 0; i < others.size(); ++i) {
        OperatorCallbacks<U, R> cb;
        cb.next = [slot = &values[i], on_value, i](const U& v) {
          *slot = v;
          on_value(i);
        };
        cb.complete = [] {};
        others[i].subscribe(operator_subscriber<U, R>(s, std::move(cb)));
      }
    };
    return detail::with_latest_internal<T, R, Store>(source, others.size(), subscribe_others,
                                                     [](const T& v, const Store& values) {
                                                       R out{U(v)};
                                                       for (auto& x : values) out.push_back(*x);
                                                       return out;
                                                     });
  });
}

}  // namespace strata::rx
