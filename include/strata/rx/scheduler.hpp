// strata/rx/scheduler.hpp: where Observable time comes from (RxJS's SchedulerLike).
//
// Time-based operators (interval, timer, debounce_time, throttle_time, buffer_time, delay, ...)
// take a SchedulerRef. runtime_scheduler() runs delayed work on the current Strata runtime's
// timer wheel (1 ms ticks); TestScheduler is a virtual clock that makes those operators
// deterministic in tests, like RxJS's VirtualTimeScheduler.
//
//     auto sch = std::make_shared<TestScheduler>();
//     std::vector<long> seen;
//     auto sub = interval(10ms, sch).subscribe([&](long v) { seen.push_back(v); });
//     sch->advance_to(35ms);   // seen == {0, 1, 2}
//
// Same-instant work runs in the order it was scheduled (FIFO); work scheduled while running
// runs after everything scheduled earlier for that instant.
// Threads: a scheduler and the work it runs belong to one thread. runtime_scheduler() spawns a
// timer task per delayed action on the current runtime: use it on a current-thread runtime (or
// a one-worker one), where that task runs on the subscribing thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "strata/rt/time.hpp"
#include "strata/rx/subscription.hpp"

namespace strata::rx {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Time since the scheduler's epoch.
  virtual Duration now() const = 0;
  // Runs `work` once `delay` has passed (a negative delay counts as zero); unsubscribing the
  // returned subscription cancels it.
  virtual Subscription schedule(Duration delay, std::function<void()> work) = 0;
};

using SchedulerRef = std::shared_ptr<Scheduler>;

// A scheduler on the runtime driving the calling thread (throws std::logic_error outside one
// when work is scheduled). Its epoch is its creation.
SchedulerRef runtime_scheduler();

// A virtual clock. Nothing runs until flush() or advance_to().
class TestScheduler final : public Scheduler {
 public:
  Duration now() const override { return now_; }
  Subscription schedule(Duration delay, std::function<void()> work) override;

  // Runs everything due up to `t` in (time, creation) order, then sets the clock to `t`.
  void advance_to(Duration t);
  // Runs everything scheduled whose time is <= max_time (RxJS's maxFrames); the clock stays at
  // the last action run.
  void flush(Duration max_time = Duration::max());
  std::size_t pending() const noexcept { return queue_->size(); }
  // Drops every action not run yet: an endless source nobody unsubscribed (share without a
  // reset keeps its connection, as RxJS) holds the scheduler through its pending action.
  void clear() { std::exchange(*queue_, {}).clear(); }

 private:
  bool run_next(Duration limit);

  using Key = std::pair<Duration, std::uint64_t>;
  using Queue = std::map<Key, std::function<void()>>;
  // Shared with the cancel finalizers, which may outlive the scheduler.
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  Duration now_{0};
  std::uint64_t seq_ = 0;
};

}  // namespace strata::rx
