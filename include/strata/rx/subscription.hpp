// strata/rx/subscription.hpp: Subscription and Subscriber<T>, RxJS's subscription model.
//
// A Subscription is a handle on something to stop: unsubscribe() runs its finalizers once, in the
// order they were added, and unsubscribes its children. A child that closes on its own leaves
// its parent's list, so long-lived parents do not grow. A Subscriber<T> is the Subscription of
// one observer: next/error/complete reach the observer until it errors, completes or is
// unsubscribed; error and complete then unsubscribe it (its finalizers run after the observer
// saw the event, as in RxJS).
//
//     Subscription s;
//     s.add([] { std::puts("finalized"); });
//     Subscription child;
//     s.add(child);
//     s.unsubscribe();   // prints, and closes child
//
// Threads: not thread-safe; a subscription chain belongs to one thread, like RxJS's.
// Allocation: one shared state per Subscription; a Subscriber adds its observer (2 allocations:
// it and its count); one slot per finalizer.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace strata::rx {

class Subscription {
 public:
  Subscription() : s_(std::make_shared<State>()) {}

  bool closed() const noexcept { return s_->closed; }

  // Runs the finalizers (once), after leaving every parent it was added to.
  void unsubscribe() const {
    if (s_->closed) return;
    s_->closed = true;
    for (auto& [weak, id] : std::exchange(s_->parents, {})) {
      if (auto p = weak.lock()) p->remove(id);
    }
    auto finalizers = std::exchange(s_->finalizers, {});
    for (auto& f : finalizers) f.second();
  }

  // Adds a finalizer; runs it at once when already closed.
  void add(std::function<void()> teardown) const {
    if (s_->closed) {
      teardown();
      return;
    }
    s_->finalizers.emplace_back(s_->next_id++, std::move(teardown));
  }
  // Adds a child: unsubscribing this unsubscribes the child; a closed child leaves.
  void add(const Subscription& child) const {
    if (child.s_ == s_ || child.s_->closed) return;
    if (s_->closed) {
      child.unsubscribe();
      return;
    }
    std::uint64_t id = s_->next_id++;
    s_->finalizers.emplace_back(id, [c = child] { c.unsubscribe(); });
    child.s_->parents.emplace_back(s_, id);
  }

  friend bool operator==(const Subscription& a, const Subscription& b) noexcept {
    return a.s_ == b.s_;
  }
  // Identity without ownership (copies share it), for a teardown that must not keep this
  // subscription alive.
  const void* id() const noexcept { return s_.get(); }

 private:
  friend class WeakSubscription;
  struct State {
    bool closed = false;
    std::uint64_t next_id = 0;
    std::vector<std::pair<std::uint64_t, std::function<void()>>> finalizers;
    std::vector<std::pair<std::weak_ptr<State>, std::uint64_t>> parents;

    void remove(std::uint64_t id) {
      for (auto it = finalizers.begin(); it != finalizers.end(); ++it) {
        if (it->first == id) {
          auto keep = std::move(it->second);  // may own the caller's state: destroyed after
          finalizers.erase(it);
          return;
        }
      }
    }
  };
  explicit Subscription(std::shared_ptr<State> s) noexcept : s_(std::move(s)) {}
  std::shared_ptr<State> s_;
};

// A Subscription that does not keep its state alive: for work that must be able to close the
// subscription it belongs to without forming a reference cycle through it.
class WeakSubscription {
 public:
  explicit WeakSubscription(const Subscription& s) : s_(s.s_) {}
  void unsubscribe() const {
    if (auto p = s_.lock()) {
      Subscription(std::move(p)).unsubscribe();
    }
  }

 private:
  std::weak_ptr<Subscription::State> s_;
};

// The three callbacks of an observer; an empty one ignores its event (an empty error callback
// drops the error, as RxJS reports it to onUnhandledError; see docs/rx.md).
template <class T>
struct Observer {
  std::function<void(const T&)> next;
  std::function<void(std::exception_ptr)> error;
  std::function<void()> complete;
};

template <class T>
class Subscriber : public Subscription {
 public:
  explicit Subscriber(Observer<T> o) : d_(new Dest{std::move(o)}, DestDeleter{}) {}

  // Delivers while neither stopped nor unsubscribed.
  void next(const T& v) const {
    if (stopped()) return;
    Dest* d = d_.get();
    if (d->observer.next) {
      // The callback may drop the last other owner of this subscriber: a pin defers the delete
      // to the end of the call (a shared_ptr copy did this at two atomic operations per event).
      Pin pin(d);
      d->observer.next(v);
    }
  }
  void error(std::exception_ptr e) const {
    if (stopped()) return;
    d_->stopped = true;
    auto keep = d_;
    if (keep->observer.error) keep->observer.error(std::move(e));
    unsubscribe();
  }
  void complete() const {
    if (stopped()) return;
    d_->stopped = true;
    auto keep = d_;
    if (keep->observer.complete) keep->observer.complete();
    unsubscribe();
  }
  bool stopped() const noexcept { return d_->stopped || closed(); }

 private:
  // `pins` and `orphaned` are plain fields: a subscriber is used by one thread at a time, so the
  // last owner is dropped either by the thread running next() (inside its callback) or by one
  // that took over after it (ordered by whatever handed the subscriber over).
  struct Dest {
    Observer<T> observer;
    bool stopped = false;
    std::uint32_t pins = 0;
    bool orphaned = false;
  };
  struct DestDeleter {
    void operator()(Dest* d) const {
      if (d->pins > 0) {
        d->orphaned = true;  // the last Pin deletes it
      } else {
        delete d;
      }
    }
  };
  struct Pin {
    explicit Pin(Dest* dest) noexcept : d(dest) { ++d->pins; }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    ~Pin() {
      if (--d->pins == 0 && d->orphaned) delete d;
    }
    Dest* d;
  };
  std::shared_ptr<Dest> d_;
};

}  // namespace strata::rx
