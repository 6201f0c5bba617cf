// strata/rx/operators/time.hpp: operators driven by time or by a notifier: debounce_time,
// throttle_time, sample, sample_time, delay, buffer_time, timeout.
//
// Time comes from a Scheduler (runtime_scheduler() by default: the runtime's timer wheel; a
// TestScheduler in tests, where same-instant events keep RxJS's FIFO order). Pending timers are
// children of the output's subscription: unsubscribing cancels them. timeout errors with
// TimeoutError, or switches to another Observable.
//
//     auto sch = std::make_shared<TestScheduler>();
//     std::vector<long> seen;
//     auto sub = (interval(1ms, sch) | take(10) | debounce_time(5ms, sch))
//                    .subscribe([&](long v) { seen.push_back(v); });
//     sch->flush();   // seen == {9}: emitted at completion
//     TimeoutConfig limit{.each = 10ms, .first = {}, .scheduler = sch};
//     auto late = never<int>() | timeout(limit);   // errors with TimeoutError at 10 ms
//
// Threads and allocation: see observable.hpp.
#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "strata/rx/detail/operator_support.hpp"
#include "strata/rx/observable.hpp"
#include "strata/rx/operators/filter.hpp"
#include "strata/rx/operators/flatten.hpp"
#include "strata/rx/operators/transform.hpp"

namespace strata::rx {

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
