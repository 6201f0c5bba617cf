// Time: Instant and Duration, sleep(), sleep_until(), interval() and timeout().
//
//   co_await sleep(10ms);
//   auto tick = interval(100ms);            // first tick completes at once
//   for (int i = 0; i < 3; ++i) { Instant t = co_await tick.tick(); use(t); }
//   Result<int> r = co_await timeout(1s, fetch(1));   // Errc::timed_out, fetch() cancelled
//
// Timers live in the runtime's hierarchical timer wheel (1 ms resolution; a timer never fires
// early). They must be polled on a thread that runs a Strata runtime. Destroying a pending Sleep
// cancels it in O(1).
#pragma once

#include <chrono>
#include <optional>

#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/timer_wheel.hpp"

namespace strata {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;

namespace detail {

struct SleepEntry : TimerEntry {
  bool fired = false;  // first: it fits in TimerEntry's tail padding (48 bytes, not 56)
  Waker waker;
};

// A runtime's timers: a locked TimerWheel whose tick 0 is the runtime's start instant.
class TimerDriver {
 public:
  explicit TimerDriver(Instant start) : start_(start) {}

  // Arms the entry for `deadline`; returns false when that tick has already been processed.
  bool arm(SleepEntry* e, Instant deadline, const Waker& w);
  // Returns true if fired; otherwise refreshes the stored waker.
  bool poll_fired(SleepEntry* e, const Waker& w);
  void disarm(SleepEntry* e) noexcept;
  // Fires every entry due at `now`; returns how many fired.
  std::size_t process(Instant now);
  // The instant of the earliest pending expiration (possibly a cascade), if any.
  std::optional<Instant> next_deadline();
  std::size_t pending() const noexcept { return wheel_.size(); }

 private:
  std::uint64_t tick_ceil(Instant t) const noexcept;
  std::uint64_t tick_floor(Instant t) const noexcept;

  Instant start_;
  SpinLock lock_;
  TimerWheel wheel_;
};

}  // namespace detail

// A future that completes at a deadline. Not movable once polled.
class [[nodiscard]] Sleep {
 public:
  explicit Sleep(Instant deadline) noexcept : deadline_(deadline) {}
  Sleep(Sleep&& o) noexcept : deadline_(o.deadline_) {}  // only before the first poll
  Sleep& operator=(Sleep&&) = delete;
  ~Sleep() { disarm(); }

  Poll<void> poll(Context& cx);
  Instant deadline() const noexcept { return deadline_; }
  bool is_elapsed() const noexcept { return done_; }
  // Moves the deadline; the sleep is pending again until then.
  void reset(Instant deadline) noexcept;

 private:
  void disarm() noexcept;

  Instant deadline_;
  detail::TimerDriver* driver_ = nullptr;
  detail::SleepEntry entry_;
  bool done_ = false;
};

inline Sleep sleep_until(Instant deadline) noexcept {
  return Sleep(deadline);
}
inline Sleep sleep(Duration d) noexcept {
  return Sleep(Clock::now() + d);
}

// What an Interval does when ticks were missed because the task ran late.
enum class MissedTickBehavior {
  burst,  // fire the missed ticks back to back, then keep the original schedule (tokio default)
  delay,  // next tick one period after the late tick
  skip,   // skip the missed ticks, stay aligned to the original schedule
};

// Periodic ticks: `co_await iv.tick()` completes at start, start + period, ...
class Interval {
 public:
  Interval(Instant start, Duration period, MissedTickBehavior b = MissedTickBehavior::burst);
  Interval(Interval&&) noexcept = default;

  struct TickFuture {
    Interval& iv;
    Poll<Instant> poll(Context& cx) { return iv.poll_tick(cx); }
  };
  // A future for the next tick; completes with the tick's scheduled instant.
  TickFuture tick() noexcept { return {*this}; }
  Poll<Instant> poll_tick(Context& cx);
  // Restarts the schedule: the next tick is one period from now.
  void reset();
  Duration period() const noexcept { return period_; }
  void set_missed_tick_behavior(MissedTickBehavior b) noexcept { behavior_ = b; }

 private:
  Duration period_;
  MissedTickBehavior behavior_;
  Sleep sleep_;
};

inline Interval interval(Duration period) {
  return Interval(Clock::now(), period);
}
inline Interval interval_at(Instant start, Duration period) {
  return Interval(start, period);
}

// Runs `fut` with a deadline: Ready(value) if it finishes first, Errc::timed_out otherwise. On
// timeout the inner future is destroyed at once (cancelled at its suspension point).
//
// timeout(d, fut) starts counting `d` at the first poll that finds `fut` pending, so a future
// that is ready at once (a socket write with room, a read with bytes waiting) costs no clock
// read and no timer: the common case on hot paths. timeout_at() uses its fixed deadline.
template <Future F>
class [[nodiscard]] Timeout {
 public:
  using Out = FutureOutput<F>;
  Timeout(F fut, Instant deadline) : inner_(std::move(fut)), sleep_(deadline) {}
  Timeout(F fut, Duration d)
      : inner_(std::move(fut)), sleep_(Instant::max()), duration_(d), lazy_(true) {}

  Poll<Result<Out>> poll(Context& cx) {
    if (inner_) {
      auto p = inner_->poll(cx);
      if (p.is_ready()) {
        if constexpr (std::is_void_v<Out>) {
          return Result<void>{};
        } else {
          return Result<Out>(p.take());
        }
      }
    }
    if (lazy_) {
      lazy_ = false;
      sleep_.reset(Clock::now() + duration_);
    }
    if (sleep_.poll(cx).is_pending()) return pending;
    inner_.reset();
    return Result<Out>(fail(Errc::timed_out, "timeout"));
  }

 private:
  std::optional<F> inner_;
  Sleep sleep_;
  Duration duration_{};
  bool lazy_ = false;
};

template <Future F>
Timeout<F> timeout(Duration d, F fut) {
  return Timeout<F>(std::move(fut), d);
}
template <Future F>
Timeout<F> timeout_at(Instant deadline, F fut) {
  return Timeout<F>(std::move(fut), deadline);
}

}  // namespace strata
