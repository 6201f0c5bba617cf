// The runtime scheduler and the virtual-time TestScheduler (see strata/rx/scheduler.hpp).
#include "strata/rx/scheduler.hpp"

#include <mutex>

#include "strata/rt/runtime.hpp"
#include "strata/rx/observe_on.hpp"

namespace strata::rx {

namespace {

class RuntimeScheduler final : public Scheduler {
 public:
  Duration now() const override { return Clock::now() - epoch_; }

  Subscription schedule(Duration delay, std::function<void()> work) override {
    auto entry = std::make_shared<Entry>(std::move(work));
    // Detached: a JoinHandle kept in the teardown closed a cycle (teardown -> handle -> task ->
    // entry -> work -> the subscriber holding this teardown) that leaked the runtime under
    // LeakSanitizer. Cancelling drops the work (and what it captures) at once; the sleeping task
    // then finds nothing to do at its deadline, or goes with the runtime.
    (void)spawn(run_later(delay, entry));
    Subscription s;
    s.add([entry] {
      entry->cancelled = true;
      entry->work = nullptr;
    });
    return s;
  }

 private:
  struct Entry {
    explicit Entry(std::function<void()> w) : work(std::move(w)) {}
    std::function<void()> work;
    bool cancelled = false;
  };

  static Task<void> run_later(Duration delay, std::shared_ptr<Entry> entry) {
    if (delay > Duration::zero()) co_await sleep(delay);
    if (!entry->cancelled) {
      entry->cancelled = true;
      auto work = std::move(entry->work);
      work();
    }
  }

  Instant epoch_ = Clock::now();
};

// Like RuntimeScheduler, but spawning onto a given runtime from any thread: the entry is
// locked, since cancellation may run on another thread than the action.
class ExecutorScheduler final : public Scheduler {
 public:
  explicit ExecutorScheduler(Handle h) : target_(std::move(h)) {}

  Duration now() const override { return Clock::now() - epoch_; }

  Subscription schedule(Duration delay, std::function<void()> work) override {
    auto entry = std::make_shared<Entry>();
    entry->work = std::move(work);
    (void)target_.spawn(run_later(delay, entry));  // detached, as RuntimeScheduler's
    Subscription s;
    s.add([entry] {
      std::function<void()> drop;  // destroyed outside the lock
      std::lock_guard lock(entry->m);
      drop = std::move(entry->work);
      entry->work = nullptr;
    });
    return s;
  }

 private:
  struct Entry {
    std::mutex m;
    std::function<void()> work;  // guarded by m; empty once run or cancelled
  };

  static Task<void> run_later(Duration delay, std::shared_ptr<Entry> entry) {
    if (delay > Duration::zero()) co_await sleep(delay);
    std::function<void()> work;
    {
      std::lock_guard lock(entry->m);
      work = std::move(entry->work);
      entry->work = nullptr;
    }
    if (work) work();
  }

  Handle target_;
  Instant epoch_ = Clock::now();
};

}  // namespace

SchedulerRef executor_scheduler(Handle target) {
  return std::make_shared<ExecutorScheduler>(std::move(target));
}

SchedulerRef runtime_scheduler() {
  return std::make_shared<RuntimeScheduler>();
}

Subscription TestScheduler::schedule(Duration delay, std::function<void()> work) {
  if (delay < Duration::zero()) delay = Duration::zero();
  Key key{now_ + delay, seq_++};
  queue_->emplace(key, std::move(work));
  Subscription s;
  s.add([q = std::weak_ptr<Queue>(queue_), key] {
    if (auto queue = q.lock()) queue->erase(key);
  });
  return s;
}

bool TestScheduler::run_next(Duration limit) {
  if (queue_->empty()) return false;
  auto it = queue_->begin();
  if (it->first.first > limit) return false;
  now_ = it->first.first;
  auto work = std::move(it->second);
  queue_->erase(it);
  work();
  return true;
}

void TestScheduler::advance_to(Duration t) {
  while (run_next(t)) {
  }
  if (t > now_) now_ = t;
}

void TestScheduler::flush(Duration max_time) {
  while (run_next(max_time)) {
  }
}

}  // namespace strata::rx
