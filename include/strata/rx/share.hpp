// strata/rx/share.hpp: share and share_replay, RxJS 7's multicasting operators.
//
// `source | share()` turns a cold Observable hot: the first subscriber connects one subscription
// to the source through a connector subject (a Subject by default), later subscribers join it.
// ShareConfig says when the connection is reset (forgotten, so the next subscriber starts a new
// one): after an error, after completion, and when the last subscriber leaves (reference count
// zero, which also unsubscribes the source). Each reset can be immediate (true), never (false),
// or deferred until a notifier Observable emits (ResetPolicy::after(delay, scheduler) or any
// function returning an Observable), exactly as RxJS 7.8's share.
//
//     auto sch = std::make_shared<TestScheduler>();
//     auto ticks = interval(10ms, sch) | share();
//     std::vector<long> a, b;
//     auto sa = ticks.subscribe([&](long v) { a.push_back(v); });
//     auto sb = ticks.subscribe([&](long v) { b.push_back(v); });   // one interval for both
//     sch->advance_to(20ms);                                        // a == b == {0, 1}
//     auto cached = of<int>({1, 2, 3}) | share_replay(2);           // replays the last two
//
// Threads: one thread, as Subject. Memory: share keeps nothing per value; share_replay keeps at
// most buffer_size values (unbounded by default) for at most window_time.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "strata/rx/observable.hpp"
#include "strata/rx/operators.hpp"
#include "strata/rx/subject.hpp"

namespace strata::rx {

// When share resets: on (true), off (false) or once a notifier emits.
class ResetPolicy {
 public:
  ResetPolicy(bool on) : on_(on) {}  // NOLINT: implicit, as RxJS's boolean options
  // `notifier()` or `notifier(error)` returns an Observable; its first value resets.
  template <class F>
  requires(std::is_invocable_v<F&> || std::is_invocable_v<F&, std::exception_ptr>)
      ResetPolicy(F notifier)  // NOLINT: implicit, as RxJS's notifier options
      : on_(true), notifier_([f = std::move(notifier)](std::exception_ptr e) mutable {
          if constexpr (std::is_invocable_v<F&, std::exception_ptr>) {
            return detail::as_notifier(f(std::move(e)));
          } else {
            (void)e;
            return detail::as_notifier(f());
          }
        }) {}
  // Resets `delay` after the event, on `sch`.
  static ResetPolicy after(Duration delay, SchedulerRef sch) {
    return ResetPolicy([delay, sch] { return timer(delay, sch); });
  }

  // RxJS's handleReset: runs `reset` now, never, or once the notifier emits; returns the
  // notifier's subscription (to cancel it).
  std::optional<Subscription> handle(std::function<void()> reset,
                                     std::exception_ptr e = nullptr) const {
    if (!on_) return std::nullopt;
    if (!notifier_) {
      reset();
      return std::nullopt;
    }
    auto self = std::make_shared<std::optional<WeakSubscription>>();
    Observer<std::monostate> o;
    o.next = [self, reset = std::move(reset)](const std::monostate&) {
      if (*self) (*self)->unsubscribe();
      reset();
    };
    Subscriber<std::monostate> sub(std::move(o));
    *self = WeakSubscription(sub);
    notifier_(std::move(e)).subscribe(sub);
    return sub;
  }

 private:
  bool on_;
  std::function<detail::Notifier(std::exception_ptr)> notifier_;
};

struct ShareConfig {
  ResetPolicy reset_on_error = true;
  ResetPolicy reset_on_complete = true;
  ResetPolicy reset_on_ref_count_zero = true;
};

namespace detail {

// The state of one `source | share(...)`: RxJS 7.8's share, variable for variable.
template <class T, class S>
struct ShareState {
  ShareState(Observable<T> src, std::function<S()> conn, ShareConfig c)
      : source(std::move(src)), connector(std::move(conn)), config(std::move(c)) {}
  Observable<T> source;
  std::function<S()> connector;
  ShareConfig config;
  std::optional<Subscriber<T>> connection;
  std::optional<S> subject;
  std::optional<Subscription> reset_connection;
  std::size_t ref_count = 0;
  bool has_completed = false;
  bool has_errored = false;

  void cancel_reset() {
    if (reset_connection) reset_connection->unsubscribe();
    reset_connection.reset();
  }
  void reset() {
    cancel_reset();
    connection.reset();
    subject.reset();
    has_completed = has_errored = false;
  }
  void reset_and_unsubscribe() {
    auto conn = std::move(connection);
    reset();
    if (conn) conn->unsubscribe();
  }
};

template <class T, class S>
Observable<T> share_internal(const Observable<T>& source, std::function<S()> connector,
                             ShareConfig config) {
  using St = ShareState<T, S>;
  auto st = std::make_shared<St>(source, std::move(connector), std::move(config));
  return Observable<T>([st](const Subscriber<T>& s) {
    ++st->ref_count;
    if (!st->has_errored && !st->has_completed) st->cancel_reset();
    if (!st->subject) st->subject = st->connector();
    S dest = *st->subject;
    std::weak_ptr<St> weak = st;
    s.add([weak] {
      auto p = weak.lock();
      if (!p) return;
      --p->ref_count;
      if (p->ref_count == 0 && !p->has_errored && !p->has_completed) {
        p->reset_connection = p->config.reset_on_ref_count_zero.handle([weak] {
          if (auto q = weak.lock()) q->reset_and_unsubscribe();
        });
      }
    });
    dest.observable().subscribe(s);
    if (st->connection || st->ref_count == 0) return;
    auto reset = [weak] {
      if (auto q = weak.lock()) q->reset();
    };
    Observer<T> o;
    o.next = [dest](const T& v) { dest.next(v); };
    o.error = [weak, dest, reset](std::exception_ptr e) {
      if (auto p = weak.lock()) {
        p->has_errored = true;
        p->cancel_reset();
        p->reset_connection = p->config.reset_on_error.handle(reset, e);
      }
      dest.error(e);
    };
    o.complete = [weak, dest, reset] {
      if (auto p = weak.lock()) {
        p->has_completed = true;
        p->cancel_reset();
        p->reset_connection = p->config.reset_on_complete.handle(reset);
      }
      dest.complete();
    };
    st->connection = Subscriber<T>(std::move(o));
    auto conn = *st->connection;
    st->source.subscribe(conn);
  });
}

}  // namespace detail

// Multicasts the source through a Subject (see ShareConfig for the resets).
inline auto share(ShareConfig config = {}) {
  return make_operator([config]<class T>(const Observable<T>& source) {
    return detail::share_internal<T, Subject<T>>(
        source, [] { return Subject<T>(); }, config);
  });
}
// share with another connector: `connector()` returns a fresh subject (anything with next,
// error, complete and observable(), such as ReplaySubject or BehaviorSubject).
template <class F>
auto share(ShareConfig config, F connector) {
  return make_operator([config, connector]<class T>(const Observable<T>& source) {
    using S = std::invoke_result_t<F&>;
    return detail::share_internal<T, S>(source, connector, config);
  });
}

// share_replay's options (RxJS's ShareReplayConfig): with ref_count, the last subscriber leaving
// unsubscribes the source and forgets the buffer; without (the default), the source keeps
// running and the buffer stays.
struct ShareReplayConfig {
  std::size_t buffer_size = detail::unbounded;
  std::optional<Duration> window_time;
  bool ref_count = false;
  SchedulerRef scheduler;  // for window_time; runtime_scheduler() when empty
};

// share through a ReplaySubject: late subscribers get the buffered values first. Resets after an
// error, never after completion (the values stay cached).
inline auto share_replay(ShareReplayConfig config) {
  return make_operator([config]<class T>(const Observable<T>& source) {
    ShareConfig sc{.reset_on_error = true,
                   .reset_on_complete = false,
                   .reset_on_ref_count_zero = config.ref_count};
    return detail::share_internal<T, ReplaySubject<T>>(
        source,
        [config] {
          return ReplaySubject<T>(config.buffer_size, config.window_time, config.scheduler);
        },
        sc);
  });
}
inline auto share_replay(std::size_t buffer_size = detail::unbounded,
                         std::optional<Duration> window_time = std::nullopt,
                         SchedulerRef sch = nullptr) {
  return share_replay(ShareReplayConfig{.buffer_size = buffer_size,
                                        .window_time = window_time,
                                        .ref_count = false,
                                        .scheduler = std::move(sch)});
}

}  // namespace strata::rx
