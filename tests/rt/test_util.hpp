// Shared helpers for runtime tests: hand-written leaf futures with observable behaviour.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>

#include "strata/rt.hpp"

namespace strata::test {

// The size of a stress loop: `n` (the CI-sized default) times STRATA_STRESS_SCALE, a positive
// number read once from the environment (default 1). A soak run sets e.g. STRATA_STRESS_SCALE=100;
// 0.1 shrinks a run (never below one iteration). A malformed value aborts rather than quietly
// running the default.
inline std::uint64_t stress_iters(std::uint64_t n) {
  static const double scale = [] {
    const char* s = std::getenv("STRATA_STRESS_SCALE");
    if (!s || !*s) return 1.0;
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0)) {
      std::fprintf(stderr, "STRATA_STRESS_SCALE=%s: expected a positive number\n", s);
      std::abort();
    }
    return v;
  }();
  const double scaled = static_cast<double>(n) * scale;
  return scaled < 1 ? 1 : static_cast<std::uint64_t>(scaled);
}

// Note: the futures below have constructors on purpose. g++ 12 destroys an *aggregate*
// temporary with non-trivial members twice when it is brace-initialised inside a co_await
// expression (`co_await Agg{ptr}`); a class with a constructor is not affected. See
// docs/runtime.md, "Known compiler issues".

// A future completed from outside (any thread) through a shared Trigger.
template <class T>
struct Trigger {
  std::mutex mu;
  std::optional<T> value;
  Waker waker;
  std::atomic<int> polls{0};

  void fire(T v) {
    Waker w;
    {
      std::lock_guard lock(mu);
      value = std::move(v);
      w = std::move(waker);
    }
    std::move(w).wake();
  }
};

template <class T>
struct Triggered {
  std::shared_ptr<Trigger<T>> trig;
  explicit Triggered(std::shared_ptr<Trigger<T>> t) : trig(std::move(t)) {}
  Poll<T> poll(Context& cx) {
    trig->polls.fetch_add(1);
    std::lock_guard lock(trig->mu);
    if (trig->value) return *trig->value;
    if (!trig->waker.will_wake(cx.waker())) trig->waker = cx.waker();
    return pending;
  }
};

// Counts live instances: proves that destructors ran on cancellation.
struct DropCounter {
  std::atomic<int>* counter;
  explicit DropCounter(std::atomic<int>* c) : counter(c) { counter->fetch_add(1); }
  DropCounter(const DropCounter& o) : counter(o.counter) { counter->fetch_add(1); }
  ~DropCounter() { counter->fetch_sub(1); }
};

// A future that never completes (stores the waker so that it is a proper pending future).
struct Never {
  Waker waker;
  Never() noexcept {}
  Poll<void> poll(Context& cx) {
    waker = cx.waker();
    return pending;
  }
};

}  // namespace strata::test
