#include "strata/rt/time.hpp"

#include <mutex>
#include <stdexcept>
#include <vector>

#include "strata/rt/detail/runtime_context.hpp"

namespace strata {

namespace detail {

namespace {
constexpr std::int64_t kTickNs = 1'000'000;  // 1 ms
// Wakers collected under the driver lock and woken after it; per thread so that concurrent
// drivers never share it, and reused so that steady state allocates nothing.
thread_local std::vector<Waker> tls_due;
}  // namespace

std::uint64_t TimerDriver::tick_ceil(Instant t) const noexcept {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
  if (ns <= 0) return 0;
  return static_cast<std::uint64_t>((ns + kTickNs - 1) / kTickNs);
}

std::uint64_t TimerDriver::tick_floor(Instant t) const noexcept {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
  if (ns <= 0) return 0;
  return static_cast<std::uint64_t>(ns / kTickNs);
}

bool TimerDriver::arm(SleepEntry* e, Instant deadline, const Waker& w) {
  std::lock_guard lock(lock_);
  e->deadline = tick_ceil(deadline);
  e->fired = false;
  if (!wheel_.insert(e)) return false;
  e->waker = w;
  return true;
}

bool TimerDriver::poll_fired(SleepEntry* e, const Waker& w) {
  std::lock_guard lock(lock_);
  if (e->fired) return true;
  if (!e->waker.will_wake(w)) e->waker = w;
  return false;
}

void TimerDriver::disarm(SleepEntry* e) noexcept {
  Waker drop;
  {
    std::lock_guard lock(lock_);
    wheel_.remove(e);
    drop = std::move(e->waker);
  }
}

std::size_t TimerDriver::process(Instant now) {
  std::size_t fired = 0;
  {
    std::lock_guard lock(lock_);
    std::uint64_t tick = tick_floor(now);
    if (tick <= wheel_.elapsed() || wheel_.empty()) {
      if (tick > wheel_.elapsed()) wheel_.advance(tick, [](TimerEntry*) {});
      return 0;
    }
    wheel_.advance(tick, [&](TimerEntry* te) {
      auto* e = static_cast<SleepEntry*>(te);
      e->fired = true;
      tls_due.push_back(std::move(e->waker));
      ++fired;
    });
  }
  // Wake outside the lock; the vector keeps its capacity, so steady state allocates nothing.
  for (Waker& w : tls_due) std::move(w).wake();
  tls_due.clear();
  return fired;
}

std::optional<Instant> TimerDriver::next_deadline() {
  std::lock_guard lock(lock_);
  auto t = wheel_.next_expiration();
  if (!t) return std::nullopt;
  return start_ + std::chrono::milliseconds(*t);
}

}  // namespace detail

Poll<void> Sleep::poll(Context& cx) {
  if (done_) return ready;
  if (!driver_) {
    if (Clock::now() >= deadline_) {
      done_ = true;
      return ready;
    }
    detail::TimerDriver& timers = detail::require_timers("sleep");
    if (!timers.arm(&entry_, deadline_, cx.waker())) {
      done_ = true;
      return ready;
    }
    driver_ = &timers;
    return pending;
  }
  if (driver_->poll_fired(&entry_, cx.waker())) {
    done_ = true;
    driver_ = nullptr;
    return ready;
  }
  return pending;
}

void Sleep::disarm() noexcept {
  if (driver_) {
    driver_->disarm(&entry_);
    driver_ = nullptr;
  }
}

void Sleep::reset(Instant deadline) noexcept {
  disarm();
  deadline_ = deadline;
  done_ = false;
}

Interval::Interval(Instant start, Duration period, MissedTickBehavior b)
    : period_(period), behavior_(b), sleep_(start) {
  if (period <= Duration::zero()) throw std::invalid_argument("interval: period must be positive");
}

Poll<Instant> Interval::poll_tick(Context& cx) {
  if (sleep_.poll(cx).is_pending()) return pending;
  const Instant scheduled = sleep_.deadline();
  const Instant now = Clock::now();
  Instant next = scheduled + period_;
  // A tick counts as missed only when we are noticeably late (timer resolution is 1 ms).
  if (now > scheduled + std::chrono::milliseconds(5)) {
    switch (behavior_) {
      case MissedTickBehavior::burst:
        break;
      case MissedTickBehavior::delay:
        next = now + period_;
        break;
      case MissedTickBehavior::skip:
        next = now + period_ - (now - scheduled) % period_;
        break;
    }
  }
  sleep_.reset(next);
  return scheduled;
}

void Interval::reset() {
  sleep_.reset(Clock::now() + period_);
}

}  // namespace strata
