// The current-thread executor: every task runs on the thread that calls block_on().
//
// Queues: a local FIFO (intrusive, touched only by the driving thread) and an injection queue
// (locked) for wakes and spawns from other threads. Every `global_queue_interval` tasks the
// injection queue is served first, so remote work cannot starve; every `event_interval` tasks
// the reactor and the timers are polled without blocking. With nothing runnable the thread parks
// in the reactor until the next timer deadline; remote wakes unpark it through the reactor.
#include <mutex>

#include "strata/rt/blocking.hpp"
#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/detail/task_cell.hpp"
#include "strata/rt/reactor.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/time.hpp"
#include "task_queue.hpp"

namespace strata::detail {

namespace {

constexpr std::uint32_t kOwned = 1;

class CurrentThreadExecutor final : public Executor {
 public:
  explicit CurrentThreadExecutor(const RuntimeConfig& config)
      : config_(config),
        reactor_(make_default_reactor()),
        timers_(Clock::now()),
        blocking_(new BlockingPool(config.thread_name, config.max_blocking_threads,
                                   config.blocking_keep_alive)) {
    ctx_.scheduler = this;
    ctx_.timers = &timers_;
    ctx_.reactor = reactor_.get();
    ctx_.blocking = blocking_;
    reactor_ptr_ = reactor_.get();
    ctx_.worker_reactors = &reactor_ptr_;
    ctx_.workers = 1;
    ctx_.deferred = &deferred_;
  }

  // closed_ loads on the runtime's own thread are relaxed: shutdown_tasks() runs there too, or
  // (from another thread) is ordered by inject_mu_ for the remote paths.
  void schedule(TaskHeader* t) noexcept override {
    if (current_context() == &ctx_ && !closed_.load(std::memory_order_relaxed)) {
      local_.push(t);
      return;
    }
    push_remote(t);
  }

  bool bind(TaskHeader* t) noexcept override {
    if (current_context() == &ctx_) {
      if (closed_.load(std::memory_order_relaxed)) return false;
      own(t);
      local_.push(t);
      ++spawned_;
      return true;
    }
    return push_remote(t);
  }

  void block_on_task(TaskHeader* task) override {
    if (current_context() == &ctx_) {
      throw std::logic_error("block_on: the runtime is already running on this thread");
    }
    block_until(
        [](void* t) {
          // acquire: pairs with the release CAS of COMPLETE in complete() (task_cell.cpp).
          return (static_cast<TaskHeader*>(t)->state.load(std::memory_order_acquire) & kComplete) !=
                 0;
        },
        task);
  }

  RuntimeMetrics metrics() const override {
    RuntimeMetrics m;  // relaxed loads: statistics
    m.workers = 1;
    m.spawned = spawned_;
    m.remote_schedules = remote_schedules_.load(std::memory_order_relaxed);
    m.injection_queue_depth = inject_len_.load(std::memory_order_relaxed);
    m.blocking_threads = blocking_->threads();
    m.blocking_queue_depth = blocking_->queue_depth();
    WorkerMetrics w;
    w.polls = polls_;
    w.parks = parks_;
    w.local_queue_depth = static_cast<std::uint32_t>(local_.len);
    m.worker.push_back(w);
    return m;
  }

  BlockingPool& blocking_pool() noexcept override { return *blocking_; }

  void block_until(bool (*done)(void*), void* arg) {
    ContextGuard guard(&ctx_);
    std::uint32_t tick = 0;
    while (!done(arg)) {
      if (closed_.load(std::memory_order_relaxed)) return;
      bool ran = false;
      for (std::uint32_t i = 0; i < config_.event_interval; ++i, ++tick) {
        TaskHeader* t = next_task(tick);
        if (!t) break;
        ran = true;
        run(t);
        if (done(arg)) return;
      }
      // relaxed: a hint to poll instead of park; park() re-checks with seq_cst.
      if (!deferred_.empty() ||
          (ran && (local_.len || inject_len_.load(std::memory_order_relaxed)))) {
        reactor_->poll(std::chrono::nanoseconds(0));
        timers_.process(Clock::now());
        wake_deferred(deferred_);  // yielded tasks go after what the reactor just woke
      } else {
        park();
      }
    }
  }

  void shutdown(Instant deadline) noexcept override {
    shutdown_tasks();
    blocking_->shutdown(deadline);
  }

  void shutdown_tasks() noexcept {
    if (closed_.exchange(true)) return;
    ContextGuard guard(&ctx_);
    deferred_.clear();  // yielded tasks are shut down below like the others
    TaskQueue remote;
    {
      std::lock_guard lock(inject_mu_);
      remote.append(inject_);
      inject_len_.store(0, std::memory_order_relaxed);  // under inject_mu_: relaxed
    }
    // The injection queue holds tasks spawned from other threads (not owned yet) and owned tasks
    // woken or aborted from outside; owning the latter twice would corrupt the owned list (tasks
    // lost, others released twice). Same check as pop_remote().
    while (TaskHeader* t = remote.pop()) {
      if (!(t->owner & kOwned)) own(t);
    }
    local_ = {};
    // Destroying a future may wake or drop other tasks; wakes are ignored now (closed), and
    // every task still owned is visited until none is left.
    while (TaskHeader* t = owned_head_) {
      disown(t);
      task_shutdown(t);
      t->unref();
    }
  }

 private:
  ~CurrentThreadExecutor() override { blocking_->unref(); }

  bool push_remote(TaskHeader* t) noexcept {
    {
      std::lock_guard lock(inject_mu_);
      // relaxed: shutdown_tasks() sets closed_ before it takes inject_mu_ to drain the queue.
      if (closed_.load(std::memory_order_relaxed)) return false;
      inject_.push(t);
      // seq_cst, with the parked_ load below: the Dekker pair of park() (see there).
      inject_len_.fetch_add(1, std::memory_order_seq_cst);
    }
    remote_schedules_.fetch_add(1, std::memory_order_relaxed);  // a statistic
    if (parked_.load(std::memory_order_seq_cst)) reactor_->unpark();
    return true;
  }

  TaskHeader* next_task(std::uint32_t tick) noexcept {
    if (tick % config_.global_queue_interval == 0) {
      if (TaskHeader* t = pop_remote()) return t;
    }
    if (TaskHeader* t = local_.pop()) return t;
    return pop_remote();
  }

  TaskHeader* pop_remote() noexcept {
    // relaxed: an unlocked peek; inject_mu_ orders the queue, and park() re-checks with seq_cst.
    if (inject_len_.load(std::memory_order_relaxed) == 0) return nullptr;
    TaskHeader* t;
    {
      std::lock_guard lock(inject_mu_);
      t = inject_.pop();
      if (!t) return nullptr;
      inject_len_.fetch_sub(1, std::memory_order_relaxed);  // under inject_mu_: relaxed
    }
    if (!(t->owner & kOwned)) {  // spawned from another thread
      own(t);
      ++spawned_;
    }
    return t;
  }

  void run(TaskHeader* t) noexcept {
    ++polls_;
    switch (task_run(t)) {
      case RunResult::idle:
        break;
      case RunResult::reschedule:
        local_.push(t);
        break;
      case RunResult::complete:
        disown(t);
        t->unref();
        break;
    }
  }

  void park() {
    auto next = timers_.next_deadline();
    std::optional<std::chrono::nanoseconds> wait;
    if (next) {
      auto now = Clock::now();
      wait = *next > now ? std::chrono::duration_cast<std::chrono::nanoseconds>(*next - now)
                         : std::chrono::nanoseconds(0);
    }
    // Dekker with push_remote(): either we see the injected task, or it sees parked_ and unparks.
    // Both sides are seq_cst (store then load here, fetch_add then load there).
    ++parks_;
    parked_.store(true, std::memory_order_seq_cst);
    if (inject_len_.load(std::memory_order_seq_cst) != 0 || local_.len)
      wait = std::chrono::nanoseconds(0);
    reactor_->poll(wait);
    // relaxed: a late reader only sends one spare unpark().
    parked_.store(false, std::memory_order_relaxed);
    timers_.process(Clock::now());
  }

  void own(TaskHeader* t) noexcept {
    t->owner |= kOwned;
    t->owned_prev = nullptr;
    t->owned_next = owned_head_;
    if (owned_head_) owned_head_->owned_prev = t;
    owned_head_ = t;
  }
  void disown(TaskHeader* t) noexcept {
    if (t->owned_prev) {
      t->owned_prev->owned_next = t->owned_next;
    } else {
      owned_head_ = t->owned_next;
    }
    if (t->owned_next) t->owned_next->owned_prev = t->owned_prev;
    t->owned_prev = t->owned_next = nullptr;
  }

  RuntimeConfig config_;
  std::unique_ptr<Reactor> reactor_;
  Reactor* reactor_ptr_ = nullptr;  // ctx_.worker_reactors points here
  std::vector<Waker> deferred_;     // ctx_.deferred: tasks that yielded
  TimerDriver timers_;
  RuntimeContext ctx_;
  TaskQueue local_;
  TaskHeader* owned_head_ = nullptr;
  std::mutex inject_mu_;
  TaskQueue inject_;
  Atomic<std::size_t> inject_len_{0};
  Atomic<bool> parked_{false};
  Atomic<bool> closed_{false};
  BlockingPool* blocking_;
  std::uint64_t spawned_ = 0;  // written by the driving thread only
  std::uint64_t polls_ = 0;
  std::uint64_t parks_ = 0;
  Atomic<std::uint64_t> remote_schedules_{0};
};

}  // namespace

Executor* make_current_thread_executor(const RuntimeConfig& config) {
  return new CurrentThreadExecutor(config);
}

}  // namespace strata::detail
