// strata/rx/operators.hpp: RxJS 7's operators and static combinators, as composable values.
//
// Each operator follows the RxJS 7.8 source for when values, completion and errors pass, and
// when inner subscriptions are made and unsubscribed, so event orders match event for event
// (tests/rx/conformance checks them against RxJS itself).
//
//     auto sch = std::make_shared<TestScheduler>();
//     std::vector<long> seen;
//     auto sub = (interval(10ms, sch)
//                 | switch_map([sch](long n) { return timer(5ms, sch) | map([n](long) { return n;
//                 }); }) | take(3))
//                    .subscribe([&](long v) { seen.push_back(v); });
//     sch->flush();   // seen == {0, 1, 2}
//
// Projections may take (value) or (value, index). Errors thrown by user functions error the
// output. Higher-order operators keep their inner subscriptions as children of the output
// subscription: unsubscribing the output unsubscribes everything.
// Threads and allocation: see observable.hpp.
#pragma once

#include <algorithm>
#include <any>
#include <cstddef>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "strata/rx/observable.hpp"

namespace strata::rx {

// The error first/last raise on a source that completed without a (matching) value.
class EmptyError : public std::runtime_error {
 public:
  EmptyError() : std::runtime_error("no elements in sequence") {}
};

namespace detail {

// Calls f(v, i) or f(v).
template <class F, class T>
decltype(auto) call_indexed(F& f, const T& v, std::size_t i) {
  if constexpr (std::is_invocable_v<F&, const T&, std::size_t>) {
    return f(v, i);
  } else {
    (void)i;
    return f(v);
  }
}

template <class F, class T>
using ProjectedValue = typename std::decay_t<decltype(call_indexed(
    std::declval<F&>(), std::declval<const T&>(), 0))>::value_type;

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

inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

}  // namespace detail

// ------------------------------------------------------------------------ static combinators

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

// ---------------------------------------------------------------------------------- operators

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

// Calls f once the subscription ends (complete, error or unsubscribe), after the downstream
// saw the event.
template <class F>
auto finalize(F f) {
  return make_operator([f]<class T>(const Observable<T>& source) {
    return Observable<T>([source, f](const Subscriber<T>& s) {
      try {
        source.subscribe(s);
      } catch (...) {
        s.add(f);
        throw;
      }
      s.add(f);
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

// Emits `values` first, then the source (concat).
template <class T>
auto start_with(std::vector<T> values) {
  return make_operator([values](const Observable<T>& source) {
    return concat<T>({of<T>(values), source});
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

// Arrays of what arrived during each `span` (an empty array for a quiet span); the rest at
// completion.
inline auto buffer_time(Duration span, SchedulerRef sch = runtime_scheduler()) {
  return make_operator([span, sch]<class T>(const Observable<T>& source) {
    using V = std::vector<T>;
    return Observable<V>([source, span, sch](const Subscriber<V>& s) {
      struct St {
        V buffer;
        Subscription timer;
        bool done = false;
      };
      auto st = std::make_shared<St>();
      auto start = std::make_shared<std::function<void()>>();
      *start = [st, s, span, sch, weak = std::weak_ptr<std::function<void()>>(start)] {
        st->timer = sch->schedule(span, [st, s, weak] {
          if (st->done) return;
          V out = std::exchange(st->buffer, {});
          s.next(out);
          if (auto again = weak.lock()) (*again)();
        });
        s.add(st->timer);
      };
      (*start)();
      OperatorCallbacks<T, V> cb;
      cb.next = [st](const T& v) { st->buffer.push_back(v); };
      cb.complete = [s, st] {
        st->done = true;
        V out = std::exchange(st->buffer, {});
        s.next(out);
        s.complete();
      };
      cb.finalize = [st, start] {
        st->done = true;
        st->timer.unsubscribe();
      };
      source.subscribe(operator_subscriber<T, V>(s, std::move(cb)));
    });
  });
}

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

// Emits a value once `due` passed without another one; the pending value at completion.
inline auto debounce_time(Duration due, SchedulerRef sch = runtime_scheduler()) {
  return make_operator([due, sch]<class T>(const Observable<T>& source) {
    return Observable<T>([source, due, sch](const Subscriber<T>& s) {
      struct St {
        std::optional<Subscription> active;
        std::optional<T> last;
        Duration last_time{};
      };
      auto st = std::make_shared<St>();
      auto emit = [st, s] {
        if (!st->active) return;
        st->active->unsubscribe();
        st->active.reset();
        auto v = std::move(st->last);
        st->last.reset();
        s.next(*v);
      };
      // RxJS's emitWhenIdle: fires at the first value's due time, then re-arms for the rest of
      // the quiet period when newer values arrived meanwhile.
      auto idle = std::make_shared<std::function<void()>>();
      *idle = [st, s, due, sch, emit, weak = std::weak_ptr<std::function<void()>>(idle)] {
        Duration target = st->last_time + due;
        Duration now = sch->now();
        if (now < target) {
          auto again = weak.lock();
          st->active = sch->schedule(target - now, [again] { (*again)(); });
          s.add(*st->active);
          return;
        }
        emit();
      };
      OperatorCallbacks<T, T> cb;
      cb.next = [st, s, due, sch, idle](const T& v) {
        st->last = v;
        st->last_time = sch->now();
        if (!st->active) {
          st->active = sch->schedule(due, [idle] { (*idle)(); });
          s.add(*st->active);
        }
      };
      cb.complete = [s, emit] {
        emit();
        s.complete();
      };
      cb.finalize = [st, idle] {
        st->last.reset();
        st->active.reset();
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

struct ThrottleConfig {
  bool leading = true;
  bool trailing = false;
};

// Passes a value, then ignores values for `duration` (RxJS's throttleTime: with trailing, the
// last ignored value is emitted when the window ends and starts a new window).
inline auto throttle_time(Duration duration, SchedulerRef sch = runtime_scheduler(),
                          ThrottleConfig config = {}) {
  return make_operator([duration, sch, config]<class T>(const Observable<T>& source) {
    return Observable<T>([source, duration, sch, config](const Subscriber<T>& s) {
      struct St {
        std::optional<T> send_value;
        std::optional<Subscriber<long>> throttled;
        bool complete = false;
        std::function<void()> send;
        std::function<void()> start;
      };
      auto st = std::make_shared<St>();
      std::weak_ptr<St> weak = st;
      auto active = [weak] {
        auto p = weak.lock();
        return p && p->throttled && !p->throttled->closed();
      };
      st->start = [weak, s, duration, sch, config] {
        auto p = weak.lock();
        if (!p) return;
        OperatorCallbacks<long, T> cb;
        cb.next = [weak, config, s](const long&) {  // endThrottling
          auto q = weak.lock();
          if (!q) return;
          if (q->throttled) q->throttled->unsubscribe();
          q->throttled.reset();
          if (config.trailing) {
            auto send = q->send;  // a copy: the output's finalizer may clear q->send
            if (send) send();
            if (q->complete) s.complete();
          }
        };
        cb.complete = [weak, s] {  // cleanupThrottling
          auto q = weak.lock();
          if (!q) return;
          q->throttled.reset();
          if (q->complete) s.complete();
        };
        auto t = operator_subscriber<long, T>(s, std::move(cb));
        p->throttled = t;
        timer(duration, sch).subscribe(t);
      };
      st->send = [weak, s] {
        auto p = weak.lock();
        if (!p || !p->send_value) return;
        T v = std::move(*p->send_value);
        p->send_value.reset();
        s.next(v);
        if (!p->complete && p->start) {
          auto start = p->start;
          start();
        }
      };
      OperatorCallbacks<T, T> cb;
      cb.next = [st, active, config](const T& v) {
        st->send_value = v;
        if (!active()) {
          auto f = config.leading ? st->send : st->start;
          if (f) f();
        }
      };
      cb.complete = [st, s, active, config] {
        st->complete = true;
        if (!(config.trailing && st->send_value && active())) s.complete();
      };
      // The window may outlive the source (trailing value after completion): clean up only
      // when the output itself is done.
      s.add([st] {
        st->throttled.reset();
        st->send = nullptr;
        st->start = nullptr;
      });
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

// Delays each value by `due` (RxJS's delay: a timer per value; completion waits for them).
inline auto delay(Duration due, SchedulerRef sch = runtime_scheduler()) {
  return make_operator([due, sch]<class T>(const Observable<T>& source) {
    return source | merge_map([due, sch](const T& v) {
             return timer(due, sch) | take(1) | map([v](long) { return v; });
           });
  });
}

namespace detail {

// RxJS's executeSchedule: runs `work` on `sch` after `delay` as a child of `parent` (cancelled
// with it), and leaves `parent` once it ran. Returns the action's subscription.
inline Subscription execute_schedule(const Subscription& parent, const SchedulerRef& sch,
                                     Duration delay, std::function<void()> work) {
  Subscription action;
  action.add(sch->schedule(delay, [weak = WeakSubscription(action), work = std::move(work)] {
    work();
    weak.unsubscribe();
  }));
  parent.add(action);
  return action;
}

// A notifier erased to its events: operators only care that it emitted.
using Notifier = Observable<std::monostate>;
template <class N>
Notifier as_notifier(const Observable<N>& o) {
  return o | map([](const N&) { return std::monostate{}; });
}

}  // namespace detail

// retry's options (RxJS's RetryConfig): at most `count` resubscriptions (unbounded by default);
// wait `delay` on `scheduler` before each (none by default); with reset_on_success, a value
// resets the count.
struct RetryConfig {
  std::size_t count = detail::unbounded;
  std::optional<Duration> delay;
  bool reset_on_success = false;
  SchedulerRef scheduler;  // for delay; runtime_scheduler() when empty
};

namespace detail {

// RxJS 7.8's retry: `notifier(error, retry_count)`, when set, decides when to resubscribe (its
// first value resubscribes, its completion completes the output, its error errors it).
template <class T>
Observable<T> retry_internal(const Observable<T>& source, RetryConfig config,
                             std::function<Notifier(std::exception_ptr, std::size_t)> notifier) {
  if (config.count == 0) return source;
  return Observable<T>([source, config, notifier](const Subscriber<T>& s) {
    struct St {
      std::size_t so_far = 0;
      std::optional<Subscriber<T>> inner;
      bool sync_unsub = false;
      std::function<void()> subscribe_for_retry;
    };
    auto st = std::make_shared<St>();
    std::weak_ptr<St> weak = st;
    st->subscribe_for_retry = [weak, s, source, config, notifier] {
      auto p = weak.lock();
      if (!p) return;
      p->sync_unsub = false;
      OperatorCallbacks<T, T> cb;
      if (config.reset_on_success) {
        cb.next = [weak, s](const T& v) {
          if (auto q = weak.lock()) q->so_far = 0;
          s.next(v);
        };
      }
      cb.error = [weak, s, config, notifier](std::exception_ptr e) {
        auto q = weak.lock();
        if (!q) return;
        if (q->so_far++ >= config.count) {
          s.error(e);
          return;
        }
        auto resub = [weak] {
          auto r = weak.lock();
          if (!r) return;
          if (r->inner) {
            r->inner->unsubscribe();
            r->inner.reset();
            auto again = r->subscribe_for_retry;  // a copy: the output's finalizer clears it
            if (again) again();
          } else {
            r->sync_unsub = true;
          }
        };
        if (!notifier) {
          resub();
          return;
        }
        Notifier n = notifier(e, q->so_far);
        auto self = std::make_shared<std::optional<WeakSubscription>>();
        OperatorCallbacks<std::monostate, T> ncb;
        ncb.next = [self, resub](const std::monostate&) {
          if (*self) (*self)->unsubscribe();
          resub();
        };
        auto ns = operator_subscriber<std::monostate, T>(s, std::move(ncb));
        *self = WeakSubscription(ns);
        n.subscribe(ns);
      };
      auto sub = operator_subscriber<T, T>(s, std::move(cb));
      p->inner.reset();
      source.subscribe(sub);
      if (p->sync_unsub) {
        sub.unsubscribe();
        auto again = p->subscribe_for_retry;
        if (again) again();
      } else {
        p->inner = sub;
      }
    };
    s.add([st] {
      st->inner.reset();
      st->subscribe_for_retry = nullptr;
    });
    st->subscribe_for_retry();
  });
}

}  // namespace detail

// Resubscribes to the source after an error, up to `count` times; then passes the error on.
inline auto retry(std::size_t count = detail::unbounded) {
  return make_operator([count]<class T>(const Observable<T>& source) {
    RetryConfig config;
    config.count = count;
    return detail::retry_internal<T>(source, config, nullptr);
  });
}
// retry with RxJS's config: a fixed delay before each resubscription, reset on success.
inline auto retry(RetryConfig config) {
  return make_operator([config]<class T>(const Observable<T>& source) {
    std::function<detail::Notifier(std::exception_ptr, std::size_t)> notifier;
    if (config.delay) {
      SchedulerRef sch = config.scheduler ? config.scheduler : runtime_scheduler();
      notifier = [d = *config.delay, sch](std::exception_ptr, std::size_t) {
        return detail::as_notifier(timer(d, sch));
      };
    }
    return detail::retry_internal<T>(source, config, std::move(notifier));
  });
}
// retry whose delay is a notifier: `delay(error, retry_count)` returns an Observable whose first
// value resubscribes (its completion completes the output; config.delay is ignored).
template <class F>
requires std::is_invocable_v<F&, std::exception_ptr, std::size_t>
auto retry(RetryConfig config, F delay) {
  return make_operator([config, delay]<class T>(const Observable<T>& source) {
    std::function<detail::Notifier(std::exception_ptr, std::size_t)> notifier =
        [delay](std::exception_ptr e, std::size_t n) mutable {
          return detail::as_notifier(delay(std::move(e), n));
        };
    return detail::retry_internal<T>(source, config, std::move(notifier));
  });
}

// On error, subscribes the downstream to handler(error) instead.
template <class F>
auto catch_error(F handler) {
  return make_operator([handler]<class T>(const Observable<T>& source) {
    return Observable<T>([source, handler](const Subscriber<T>& s) mutable {
      struct St {
        std::optional<Subscriber<T>> inner;
        std::optional<Observable<T>> handled;
        bool sync_unsub = false;
      };
      auto st = std::make_shared<St>();
      OperatorCallbacks<T, T> cb;
      cb.error = [st, s, handler](std::exception_ptr e) mutable {
        st->handled = handler(e);
        if (st->inner) {
          st->inner->unsubscribe();
          st->inner.reset();
          st->handled->subscribe(s);
        } else {
          st->sync_unsub = true;
        }
      };
      auto sub = operator_subscriber<T, T>(s, std::move(cb));
      source.subscribe(sub);
      if (st->sync_unsub) {
        sub.unsubscribe();
        st->handled->subscribe(s);
      } else {
        st->inner = sub;
      }
      s.add([st] { st->inner.reset(); });
    });
  });
}

// ------------------------------------------------------------------ with_latest_from, sample

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

// The latest source value (if a new one arrived) each time `notifier` emits (RxJS's sample:
// source first, then the notifier, whose completion is ignored).
template <class N>
auto sample(Observable<N> notifier) {
  return make_operator([notifier]<class T>(const Observable<T>& source) {
    return Observable<T>([source, notifier](const Subscriber<T>& s) {
      auto last = std::make_shared<std::optional<T>>();
      OperatorCallbacks<T, T> cb;
      cb.next = [last](const T& v) { *last = v; };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
      OperatorCallbacks<N, T> ncb;
      ncb.next = [s, last](const N&) {
        if (!*last) return;
        T v = std::move(**last);
        last->reset();
        s.next(v);
      };
      ncb.complete = [] {};
      notifier.subscribe(operator_subscriber<N, T>(s, std::move(ncb)));
    });
  });
}
// sample(interval(period, sch)).
inline auto sample_time(Duration period, SchedulerRef sch = runtime_scheduler()) {
  return sample(interval(period, std::move(sch)));
}

// --------------------------------------------------------------------------------- timeout

// The error timeout() raises by default (RxJS's TimeoutError): how many values were seen and
// the last one (a std::any holding the source's value type; empty if none).
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError(std::size_t seen_values, std::any last)
      : std::runtime_error("Timeout has occurred"),
        seen(seen_values),
        last_value(std::move(last)) {}
  std::size_t seen;
  std::any last_value;
};

// What a timeout's `with` function receives (RxJS's TimeoutInfo).
template <class T>
struct TimeoutInfo {
  std::size_t seen = 0;
  std::optional<T> last_value;
};

// timeout's options (RxJS's TimeoutConfig, durations only): `first` bounds the wait for the
// first value, `each` the wait between values (and for the first one when `first` is unset).
// At least one must be set (std::invalid_argument otherwise).
struct TimeoutConfig {
  std::optional<Duration> each;
  std::optional<Duration> first;
  SchedulerRef scheduler;  // runtime_scheduler() when empty
};

namespace detail {

// RxJS 7.8's timeout: on expiry, unsubscribes the source and subscribes the output to
// with(info) (which, by default, throws TimeoutError).
template <class T, class W>
Observable<T> timeout_internal(const Observable<T>& source, TimeoutConfig config, W with) {
  if (!config.each && !config.first) throw std::invalid_argument("timeout: no timeout provided");
  SchedulerRef sch = config.scheduler ? config.scheduler : runtime_scheduler();
  return Observable<T>([source, config, sch, with](const Subscriber<T>& s) {
    struct St {
      std::optional<Subscription> original;
      std::optional<Subscription> timer;
      std::optional<T> last;
      std::size_t seen = 0;
    };
    auto st = std::make_shared<St>();
    std::weak_ptr<St> weak = st;
    auto start_timer = [weak, s, sch, with](Duration d) {
      auto p = weak.lock();
      if (!p) return;
      p->timer = execute_schedule(s, sch, d, [weak, s, with] {
        auto q = weak.lock();
        if (!q) return;
        try {
          if (q->original) q->original->unsubscribe();
          TimeoutInfo<T> info{q->seen, q->last};
          with(std::move(info)).subscribe(s);
        } catch (...) {
          s.error(std::current_exception());
        }
      });
    };
    OperatorCallbacks<T, T> cb;
    cb.next = [st, s, config, start_timer](const T& v) {
      if (st->timer) st->timer->unsubscribe();
      ++st->seen;
      st->last = v;
      s.next(v);
      if (config.each && *config.each > Duration::zero()) start_timer(*config.each);
    };
    cb.finalize = [weak] {
      auto p = weak.lock();
      if (!p) return;
      if (p->timer) p->timer->unsubscribe();
      p->last.reset();
    };
    auto original = operator_subscriber<T, T>(s, std::move(cb));
    s.add([st] {});  // the state lives as long as the output
    st->original = original;
    source.subscribe(original);
    if (st->seen == 0) start_timer(config.first ? *config.first : *config.each);
  });
}

}  // namespace detail

// Errors with TimeoutError when a value takes too long (see TimeoutConfig).
inline auto timeout(TimeoutConfig config) {
  return make_operator([config]<class T>(const Observable<T>& source) {
    return detail::timeout_internal(source, config, [](TimeoutInfo<T> info) -> Observable<T> {
      std::any last;
      if (info.last_value) last = std::move(*info.last_value);
      throw TimeoutError(info.seen, std::move(last));
    });
  });
}
inline auto timeout(Duration each, SchedulerRef sch = nullptr) {
  return timeout(TimeoutConfig{.each = each, .first = std::nullopt, .scheduler = std::move(sch)});
}
// On expiry, switches to with(TimeoutInfo<T>) (an Observable<T>) instead of erroring.
template <class W>
auto timeout(TimeoutConfig config, W with) {
  return make_operator([config, with]<class T>(const Observable<T>& source) {
    return detail::timeout_internal(source, config, with);
  });
}

}  // namespace strata::rx
