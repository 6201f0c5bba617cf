// strata/rx/observe_on.hpp: observe_on and subscribe_on, moving an Observable's work elsewhere.
//
// With a Scheduler (RxJS's observeOn/subscribeOn, same thread): observe_on(sch, delay) re-emits
// every event as a scheduled action, subscribe_on(sch, delay) subscribes to the source in one.
// With a runtime Handle (crossing threads): observe_on(handle) hands each event to the target
// runtime through a locked queue drained by one task at a time, so the downstream sees the
// events in order, one at a time, on the target's threads; subscribe_on(handle) subscribes to
// the source in a task on the target runtime (executor_scheduler(handle) is that scheduler).
//
//     auto sch = std::make_shared<TestScheduler>();
//     std::vector<int> seen;
//     auto sub = (of<int>({1, 2}) | observe_on(sch)).subscribe([&](int v) { seen.push_back(v); });
//     // seen is empty until the scheduler runs the actions
//     sch->flush();   // seen == {1, 2}
//
// Threads, per type:
// - Observable<T>: a value that may be copied to and subscribed on any thread.
// - Subscription, Subscriber<T>, Subject and the operators' state: one thread at a time; not
//   synchronized. A chain is driven by the thread that subscribed it, except across the two
//   operators here.
// - observe_on(handle): the source runs on the subscribing thread, the downstream on the target
//   runtime. Finish the downstream there (take, or unsubscribe from a task on the target): it
//   then tells the source through an atomic flag, and the source side unsubscribes itself at its
//   next event, on its own thread. T must be copyable to another thread.
// - subscribe_on(handle): everything below the operator runs on the target runtime; unsubscribe
//   there too (the cancellation of a not yet started subscription is thread-safe).
// - SyncSubject<T> (strata/rx/subject.hpp): a Subject that any thread may feed.
// Memory: observe_on(handle) queues what the source produced and the target has not delivered
// yet, without a bound (as RxJS's observeOn); bound a fast producer before it (sample_time,
// throttle_time) or use the channel bridge (strata/rx/bridge.hpp), which has one.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "strata/rt/runtime.hpp"
#include "strata/rx/observable.hpp"
#include "strata/rx/operators.hpp"

namespace strata::rx {

// A scheduler whose actions run in tasks on `target`; schedule() and cancellation work from any
// thread.
SchedulerRef executor_scheduler(Handle target);

// Re-emits every event `delay` later as an action on `sch` (RxJS's observeOn).
inline auto observe_on(SchedulerRef sch, Duration delay = Duration::zero()) {
  return make_operator([sch, delay]<class T>(const Observable<T>& source) {
    return Observable<T>([source, sch, delay](const Subscriber<T>& s) {
      OperatorCallbacks<T, T> cb;
      cb.next = [s, sch, delay](const T& v) {
        detail::execute_schedule(s, sch, delay, [s, v] { s.next(v); });
      };
      cb.complete = [s, sch, delay] {
        detail::execute_schedule(s, sch, delay, [s] { s.complete(); });
      };
      cb.error = [s, sch, delay](std::exception_ptr e) {
        detail::execute_schedule(s, sch, delay, [s, e] { s.error(e); });
      };
      source.subscribe(operator_subscriber<T, T>(s, std::move(cb)));
    });
  });
}

// Subscribes to the source in an action on `sch`, `delay` later (RxJS's subscribeOn).
inline auto subscribe_on(SchedulerRef sch, Duration delay = Duration::zero()) {
  return make_operator([sch, delay]<class T>(const Observable<T>& source) {
    return Observable<T>([source, sch, delay](const Subscriber<T>& s) {
      s.add(sch->schedule(delay, [source, s] { source.subscribe(s); }));
    });
  });
}
inline auto subscribe_on(Handle target) {
  return subscribe_on(executor_scheduler(std::move(target)));
}

namespace detail {

// The queue between the source's thread and the target runtime (observe_on(handle)). Invariant:
// `draining` is true from the push that found it false until the drain task finds the queue
// empty, so at most one drain task runs and every queued event is delivered or dropped.
template <class T>
struct Handoff {
  struct Event {
    std::optional<T> value;  // next
    std::exception_ptr error;
    bool complete = false;
  };

  explicit Handoff(Handle h) : target(std::move(h)) {}

  // Queues an event (source thread); false once the downstream is gone.
  bool push(Event ev, const std::shared_ptr<Handoff>& self) {
    // acquire: pairs with the release store of the downstream's finalizer.
    if (cancelled.load(std::memory_order_acquire)) return false;
    bool start = false;
    {
      std::lock_guard lock(m);
      queue.push_back(std::move(ev));
      start = !std::exchange(draining, true);
    }
    if (start) (void)target.spawn(drain(self));
    return true;
  }

  static Task<void> drain(std::shared_ptr<Handoff> self) {
    std::size_t budget = 0;
    for (;;) {
      std::deque<Event> batch;
      {
        std::lock_guard lock(self->m);
        if (self->queue.empty()) {
          self->draining = false;
          co_return;
        }
        batch.swap(self->queue);
      }
      for (auto& ev : batch) self->deliver(std::move(ev));
      budget += batch.size();
      if (budget >= 256) {  // bounded work per poll: let the target's other tasks run
        budget = 0;
        co_await yield_now();
      }
    }
  }

  void deliver(Event ev) {  // target thread
    if (!dest) return;
    auto d = *dest;
    if (ev.value) {
      d.next(*ev.value);
    } else if (ev.error) {
      dest.reset();
      d.error(ev.error);
    } else {
      dest.reset();
      d.complete();
    }
  }

  Handle target;
  std::mutex m;
  std::deque<Event> queue;  // guarded by m
  bool draining = false;    // guarded by m
  std::atomic<bool> cancelled{false};
  std::optional<Subscriber<T>> dest;  // the downstream: touched by the drain task only
};

}  // namespace detail

// Delivers the events on `target`'s threads, in order, one at a time (see the thread contract
// at the top).
inline auto observe_on(Handle target) {
  return make_operator([target]<class T>(const Observable<T>& source) {
    return Observable<T>([source, target](const Subscriber<T>& s) {
      using H = detail::Handoff<T>;
      auto h = std::make_shared<H>(target);
      h->dest = s;
      // release: pairs with the acquire load in push(), so the source stops after it.
      s.add([weak = std::weak_ptr<H>(h)] {
        if (auto p = weak.lock()) p->cancelled.store(true, std::memory_order_release);
      });
      auto self = std::make_shared<std::optional<WeakSubscription>>();
      Observer<T> o;
      o.next = [h, self](const T& v) {
        if (!h->push(typename H::Event{v, nullptr, false}, h) && *self) (*self)->unsubscribe();
      };
      o.error = [h](std::exception_ptr e) {
        (void)h->push(typename H::Event{std::nullopt, std::move(e), false}, h);
      };
      o.complete = [h] { (void)h->push(typename H::Event{std::nullopt, nullptr, true}, h); };
      Subscriber<T> up(std::move(o));
      *self = WeakSubscription(up);
      source.subscribe(up);
    });
  });
}

}  // namespace strata::rx
