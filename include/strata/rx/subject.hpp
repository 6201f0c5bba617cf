// strata/rx/subject.hpp: Subject, BehaviorSubject, ReplaySubject and AsyncSubject (hot).
//
// A subject is an observer and an Observable at once: what it receives it multicasts to its
// current subscribers. The variants differ in what a new subscriber gets first: nothing
// (Subject), the current value (BehaviorSubject), the buffered values within a count and a time
// window (ReplaySubject), the last value once completed (AsyncSubject). After error or complete
// a new subscriber gets that error or completion (ReplaySubject: after its replay).
//
//     BehaviorSubject<int> b(0);
//     std::vector<int> seen;
//     auto sub = b.observable().subscribe([&](int v) { seen.push_back(v); });   // seen == {0}
//     b.next(1);                                                                 // {0, 1}
//
// Threads: one thread, as RxJS (SyncSubject: any thread). Copies share the subject. Memory:
// ReplaySubject keeps at most buffer_size values (unbounded by default) and drops those older than
// window_time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "strata/rx/observable.hpp"
#include "strata/rx/scheduler.hpp"

namespace strata::rx {

namespace detail {

template <class T>
struct SubjectCore {
  std::vector<Subscriber<T>> observers;
  bool stopped = false;
  std::exception_ptr error;

  void next(const T& v) {
    if (stopped) return;
    auto copy = observers;  // RxJS's currentObservers snapshot
    for (auto& o : copy) o.next(v);
  }
  void fail(std::exception_ptr e) {
    if (stopped) return;
    stopped = true;
    error = e;
    auto copy = std::exchange(observers, {});
    for (auto& o : copy) o.error(e);
  }
  void complete() {
    if (stopped) return;
    stopped = true;
    auto copy = std::exchange(observers, {});
    for (auto& o : copy) o.complete();
  }
  // Adds a subscriber unless finished; false if finished (the caller then finishes it).
  bool add(const std::shared_ptr<SubjectCore>& self, const Subscriber<T>& s) {
    if (stopped) return false;
    observers.push_back(s);
    std::weak_ptr<SubjectCore> weak = self;
    // By identity: a teardown holding `s` itself would be a cycle (s -> its finalizers -> s),
    // leaking every subscriber that is never unsubscribed.
    s.add([weak, id = s.id()] {
      if (auto core = weak.lock()) {
        auto& v = core->observers;
        v.erase(std::remove_if(v.begin(), v.end(),
                               [id](const Subscriber<T>& o) { return o.id() == id; }),
                v.end());
      }
    });
    return true;
  }
  void finish(const Subscriber<T>& s) const {
    if (error) {
      s.error(error);
    } else {
      s.complete();
    }
  }
};

}  // namespace detail

template <class T>
class Subject {
 public:
  void next(const T& v) const { core_->next(v); }
  void error(std::exception_ptr e) const { core_->fail(std::move(e)); }
  void complete() const { core_->complete(); }
  std::size_t observer_count() const noexcept { return core_->observers.size(); }

  Observable<T> observable() const {
    return Observable<T>([core = core_](const Subscriber<T>& s) {
      if (!core->add(core, s)) core->finish(s);
    });
  }

 protected:
  std::shared_ptr<detail::SubjectCore<T>> core_ = std::make_shared<detail::SubjectCore<T>>();
};

template <class T>
class BehaviorSubject : public Subject<T> {
 public:
  explicit BehaviorSubject(T initial) : value_(std::make_shared<T>(std::move(initial))) {}
  void next(const T& v) const {
    *value_ = v;
    this->core_->next(v);
  }
  const T& value() const { return *value_; }
  Observable<T> observable() const {
    return Observable<T>([core = this->core_, value = value_](const Subscriber<T>& s) {
      if (!core->add(core, s)) {
        core->finish(s);
        return;
      }
      if (!s.closed()) s.next(*value);
    });
  }

 private:
  std::shared_ptr<T> value_;
};

template <class T>
class ReplaySubject : public Subject<T> {
 public:
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();
  // window_time is measured on `sch` (needed only with a window).
  explicit ReplaySubject(std::size_t buffer_size = unbounded,
                         std::optional<Duration> window_time = std::nullopt,
                         SchedulerRef sch = nullptr)
      : st_(std::make_shared<St>(St{buffer_size, window_time, std::move(sch), {}})) {
    if (st_->window && !st_->sch) st_->sch = runtime_scheduler();
  }
  void next(const T& v) const {
    if (!this->core_->stopped) {
      Duration expiry = st_->window ? st_->sch->now() + *st_->window : Duration::zero();
      st_->buffer.emplace_back(v, expiry);
    }
    st_->trim();
    this->core_->next(v);
  }
  Observable<T> observable() const {
    return Observable<T>([core = this->core_, st = st_](const Subscriber<T>& s) {
      st->trim();
      bool added = core->add(core, s);
      auto copy = st->buffer;
      for (std::size_t i = 0; i < copy.size() && !s.closed(); ++i) s.next(copy[i].first);
      if (!added) core->finish(s);
    });
  }

 private:
  struct St {
    std::size_t size;
    std::optional<Duration> window;
    SchedulerRef sch;
    std::deque<std::pair<T, Duration>> buffer;  // value, expiry

    void trim() {
      if (size != unbounded && buffer.size() > size)
        buffer.erase(buffer.begin(), buffer.end() - static_cast<std::ptrdiff_t>(size));
      if (window) {
        Duration now = sch->now();
        while (!buffer.empty() && buffer.front().second <= now) buffer.pop_front();
      }
    }
  };
  std::shared_ptr<St> st_;
};

template <class T>
class AsyncSubject : public Subject<T> {
 public:
  void next(const T& v) const {
    if (!this->core_->stopped) *last_ = v;
  }
  void complete() const {
    if (this->core_->stopped) return;
    if (*last_) this->core_->next(**last_);
    this->core_->complete();
  }
  Observable<T> observable() const {
    return Observable<T>([core = this->core_, last = last_](const Subscriber<T>& s) {
      if (core->add(core, s)) return;
      if (!core->error && *last) s.next(**last);
      core->finish(s);
    });
  }

 private:
  std::shared_ptr<std::optional<T>> last_ = std::make_shared<std::optional<T>>();
};

// A Subject that any thread may feed: next/error/complete, subscribing and unsubscribing are
// serialized by one (recursive) lock, so observers see one event at a time, in the order the
// lock was taken, on the thread that emitted it (Rx's Subject.Synchronize). Pair it with
// observe_on(handle) to move the events onto one runtime.
template <class T>
class SyncSubject {
 public:
  void next(const T& v) const {
    std::lock_guard lock(st_->m);
    st_->subject.next(v);
  }
  void error(std::exception_ptr e) const {
    std::lock_guard lock(st_->m);
    st_->subject.error(std::move(e));
  }
  void complete() const {
    std::lock_guard lock(st_->m);
    st_->subject.complete();
  }
  std::size_t observer_count() const {
    std::lock_guard lock(st_->m);
    return st_->subject.observer_count();
  }

  Observable<T> observable() const {
    return Observable<T>([st = st_](const Subscriber<T>& s) {
      std::lock_guard lock(st->m);
      Observer<T> o;
      o.next = [s](const T& v) { s.next(v); };
      o.error = [s](std::exception_ptr e) { s.error(std::move(e)); };
      o.complete = [s] { s.complete(); };
      Subscriber<T> mid(std::move(o));
      // The subject's list changes under the lock only: leave it through `mid`, locked.
      s.add([st, weak = WeakSubscription(mid)] {
        std::lock_guard relock(st->m);
        weak.unsubscribe();
      });
      st->subject.observable().subscribe(mid);
    });
  }

 private:
  struct St {
    std::recursive_mutex m;
    Subject<T> subject;
  };
  std::shared_ptr<St> st_ = std::make_shared<St>();
};

}  // namespace strata::rx
