// Helpers for the sync tests: a waker that counts wakes, and polling a future by hand, so that
// the semantics tests are deterministic (no runtime, no threads).
#pragma once

#include <atomic>

#include "strata/rt.hpp"

namespace strata::test {

// A waker whose wakes are counted. Must outlive every clone of its waker.
class WakeCounter {
 public:
  Waker waker() const noexcept { return Waker(this, &kVTable); }
  int wakes() const noexcept { return wakes_.load(); }
  // Returns the number of wakes since the last call.
  int take() noexcept { return wakes_.exchange(0); }

 private:
  static void clone(const void*) {}
  static void wake(const void* p) { static_cast<const WakeCounter*>(p)->wakes_.fetch_add(1); }
  static void drop(const void*) {}
  static constexpr WakerVTable kVTable{&clone, &wake, &wake, &drop};
  mutable std::atomic<int> wakes_{0};
};

// A future that is ready at its (n+1)-th poll, waking itself meanwhile: a rival in select() that
// lets the other futures be polled a few times before cancelling them. Use n >= 1 in loops: with
// n = 0 the select() may complete without suspending, and the loop would never yield its worker.
class YieldTimes {
 public:
  explicit YieldTimes(int n) noexcept : n_(n) {}
  Poll<void> poll(Context& cx) {
    if (n_-- <= 0) return ready;
    cx.waker().wake_by_ref();
    return pending;
  }

 private:
  int n_;
};

// Polls `f` once with `w`'s waker.
template <class F>
auto poll_with(F& f, const WakeCounter& w) {
  Waker wk = w.waker();
  Context cx(wk);
  return f.poll(cx);
}

}  // namespace strata::test
