// strata/rx/operators/errors.hpp: operators for errors and the end of a subscription:
// retry, catch_error, finalize.
//
// retry resubscribes to the source after an error (at most `count` times, after a delay or a
// notifier); catch_error subscribes the output to another Observable instead of erroring;
// finalize runs a function once the subscription ends, however it ends.
//
//     int attempts = 0;
//     auto flaky = defer([&] {
//       return ++attempts < 3 ? throw_error<int>(std::runtime_error("busy")) : of(42);
//     });
//     std::vector<int> seen;
//     auto sub = (flaky | retry(5) | finalize([] { log("done"); }))
//                    .subscribe([&](int v) { seen.push_back(v); });   // seen == {42}
//     auto safe = throw_error<int>(std::runtime_error("x"))
//                 | catch_error([](std::exception_ptr) { return of(0); });   // 0
//
// Threads and allocation: see observable.hpp.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include "strata/rx/detail/operator_support.hpp"
#include "strata/rx/observable.hpp"
#include "strata/rx/operators/transform.hpp"

namespace strata::rx {

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

}  // namespace strata::rx
