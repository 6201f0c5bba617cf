// strata/rx/operators/flatten.hpp: higher-order operators that map each value to an
// Observable and flatten the inner Observables: merge_map (flat_map), concat_map, switch_map,
// exhaust_map.
//
// They differ only in what happens when a value arrives while an inner Observable is active:
// merge_map subscribes it too (up to `concurrent`, the rest wait in order), concat_map waits,
// switch_map unsubscribes the active one, exhaust_map drops the value. Inner subscriptions are
// children of the output's: unsubscribing the output unsubscribes them. The output completes
// once the source and every inner one did; an inner error errors the output.
//
//     auto sch = std::make_shared<TestScheduler>();
//     std::vector<long> seen;
//     auto tick = [sch](long n) { return timer(5ms, sch) | map([n](long) { return n * 10; }); };
//     auto sub = (interval(10ms, sch) | switch_map(tick) | take(3))
//                    .subscribe([&](long v) { seen.push_back(v); });
//     sch->flush();   // seen == {0, 10, 20}
//     auto in_order = of(1, 2) | concat_map([](int x) { return of(x, x); });   // 1, 1, 2, 2
//
// Threads and allocation: see observable.hpp.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "strata/rx/detail/operator_support.hpp"
#include "strata/rx/observable.hpp"

namespace strata::rx {

namespace detail {

// RxJS's mergeInternals: at most `concurrent` inner subscriptions, the rest buffered in order.
template <class T, class U, class P>
struct MergeState : std::enable_shared_from_this<MergeState<T, U, P>> {
  MergeState(Subscriber<U> d, P p, std::size_t c)
      : dest(std::move(d)), project(std::move(p)), concurrent(c) {}
  Subscriber<U> dest;
  P project;
  std::size_t concurrent;
  std::deque<T> buffer;
  std::size_t active = 0;
  std::size_t index = 0;
  bool complete = false;

  void check_complete() {
    if (complete && buffer.empty() && active == 0) dest.complete();
  }
  void outer_next(const T& v) {
    if (active < concurrent) {
      do_inner(v);
    } else {
      buffer.push_back(v);
    }
  }
  void do_inner(const T& v) {
    ++active;
    auto inner_complete = std::make_shared<bool>(false);
    auto self = this->shared_from_this();
    auto inner = call_indexed(project, v, index++);
    OperatorCallbacks<U, U> cb;
    cb.complete = [inner_complete] { *inner_complete = true; };
    cb.finalize = [self, inner_complete] {
      if (!*inner_complete) return;
      try {
        --self->active;
        while (!self->buffer.empty() && self->active < self->concurrent) {
          T next = std::move(self->buffer.front());
          self->buffer.pop_front();
          self->do_inner(next);
        }
        self->check_complete();
      } catch (...) {
        self->dest.error(std::current_exception());
      }
    };
    inner.subscribe(operator_subscriber<U, U>(dest, std::move(cb)));
  }
};

template <class T, class U, class P>
void merge_internals(const Observable<T>& source, const Subscriber<U>& dest, P project,
                     std::size_t concurrent) {
  auto st = std::make_shared<MergeState<T, U, P>>(dest, std::move(project), concurrent);
  OperatorCallbacks<T, U> cb;
  cb.next = [st](const T& v) { st->outer_next(v); };
  cb.complete = [st] {
    st->complete = true;
    st->check_complete();
  };
  source.subscribe(operator_subscriber<T, U>(dest, std::move(cb)));
}

}  // namespace detail

// Maps each value to an Observable and merges them, at most `concurrent` at once (the rest wait
// in arrival order).
template <class F>
auto merge_map(F project, std::size_t concurrent = detail::unbounded) {
  return make_operator([project, concurrent]<class T>(const Observable<T>& source) {
    using U = detail::ProjectedValue<F, T>;
    return Observable<U>([source, project, concurrent](const Subscriber<U>& s) {
      detail::merge_internals(source, s, project, concurrent);
    });
  });
}
template <class F>
auto flat_map(F project, std::size_t concurrent = detail::unbounded) {
  return merge_map(std::move(project), concurrent);
}
// merge_map with one inner at a time, in order.
template <class F>
auto concat_map(F project) {
  return merge_map(std::move(project), 1);
}

// Maps each value to an Observable, unsubscribing the previous inner one.
template <class F>
auto switch_map(F project) {
  return make_operator([project]<class T>(const Observable<T>& source) {
    using U = detail::ProjectedValue<F, T>;
    return Observable<U>([source, project](const Subscriber<U>& s) mutable {
      struct St {
        std::optional<Subscriber<U>> inner;
        std::size_t index = 0;
        bool complete = false;
      };
      auto st = std::make_shared<St>();
      auto check = [st, s] {
        if (st->complete && !st->inner) s.complete();
      };
      OperatorCallbacks<T, U> cb;
      cb.next = [st, s, project, check](const T& v) mutable {
        if (st->inner) st->inner->unsubscribe();
        auto inner = detail::call_indexed(project, v, st->index++);
        OperatorCallbacks<U, U> icb;
        icb.complete = [st, check] {
          st->inner.reset();
          check();
        };
        st->inner = operator_subscriber<U, U>(s, std::move(icb));
        inner.subscribe(*st->inner);
      };
      cb.complete = [st, check] {
        st->complete = true;
        check();
      };
      cb.finalize = [st] { st->inner.reset(); };
      source.subscribe(operator_subscriber<T, U>(s, std::move(cb)));
    });
  });
}

// Maps a value to an Observable only while no inner one is active; drops the others.
template <class F>
auto exhaust_map(F project) {
  return make_operator([project]<class T>(const Observable<T>& source) {
    using U = detail::ProjectedValue<F, T>;
    return Observable<U>([source, project](const Subscriber<U>& s) mutable {
      struct St {
        std::optional<Subscriber<U>> inner;
        std::size_t index = 0;
        bool complete = false;
      };
      auto st = std::make_shared<St>();
      OperatorCallbacks<T, U> cb;
      cb.next = [st, s, project](const T& v) mutable {
        if (st->inner) return;
        OperatorCallbacks<U, U> icb;
        icb.complete = [st, s] {
          st->inner.reset();
          if (st->complete) s.complete();
        };
        st->inner = operator_subscriber<U, U>(s, std::move(icb));
        auto keep = *st->inner;
        detail::call_indexed(project, v, st->index++).subscribe(keep);
      };
      cb.complete = [st, s] {
        st->complete = true;
        if (!st->inner) s.complete();
      };
      cb.finalize = [st] { st->inner.reset(); };
      source.subscribe(operator_subscriber<T, U>(s, std::move(cb)));
    });
  });
}

}  // namespace strata::rx
