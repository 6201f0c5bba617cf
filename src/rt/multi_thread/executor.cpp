// The multi-thread work-stealing executor.
//
// Each worker thread owns: a bounded lock-free run queue (local_queue.hpp) plus a LIFO slot for
// the task it woke most recently (message-passing pairs stay hot in cache), a reactor (its own
// epoll instance: sockets registered on a worker are polled by that worker, so an accepted
// connection stays where it was accepted) and a timer wheel. Shared: the injection queue (for
// spawns and wakes from outside the workers, and for local-queue overflow), the idle protocol
// (idle.hpp) and the list of live tasks (sharded, for shutdown).
//
// Worker loop: every `global_queue_interval` ticks the injection queue is served first, else the
// LIFO slot (at most 3 times in a row, so two tasks waking each other cannot starve the queue),
// then the local queue, then the injection queue; with nothing to do the worker turns
// "searching" and steals half of a random victim's queue; failing that it parks in its reactor
// (epoll_wait with its next timer deadline as timeout). Every `event_interval` ticks it polls its
// reactor and timers without blocking.
//
// Shutdown protocol: shutdown() closes the injection queue (spawns are refused from then on) and
// unparks every worker. A worker checks the flag before each task, so running tasks finish their
// current poll and stop at their next suspension point. The last worker to leave its loop
// destroys every remaining task (owned lists), on its own thread, with the runtime context still
// installed so that destructors may use timers and registrations. shutdown(deadline) waits for
// that up to the deadline and joins the threads; shutdown_background() does not wait.
#include <pthread.h>
#include <sched.h>

#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "../task_queue.hpp"
#include "idle.hpp"
#include "local_queue.hpp"
#include "strata/rt/blocking.hpp"
#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/reactor.hpp"
#include "strata/rt/runtime.hpp"

namespace strata::detail {

namespace {

constexpr std::uint32_t kMaxLifoPolls = 3;
constexpr std::uint32_t kOwnedShards = 64;
constexpr std::uint32_t kOwnedFlag = 1u << 31;

class MultiThreadExecutor;

struct alignas(64) Worker {
  MultiThreadExecutor* rt = nullptr;
  std::uint32_t index = 0;
  LocalQueue queue;
  TaskHeader* lifo = nullptr;
  std::unique_ptr<Reactor> reactor;
  std::unique_ptr<TimerDriver> timers;
  RuntimeContext ctx;
  std::vector<Waker> deferred;  // ctx.deferred: tasks that yielded, woken after a reactor poll
  pthread_t thread{};
  bool joinable = false;
  std::uint32_t tick = 0;
  std::uint32_t lifo_streak = 0;
  bool searching = false;
  bool parked = false;
  std::minstd_rand rng;

  // Core hand-off (block_in_place). The "core" is this struct: queue, LIFO slot, reactor, timers.
  // Exactly one thread at a time runs a worker loop on it: the one that set `held`.
  std::mutex handoff_mu;
  std::condition_variable handoff_cv;
  bool held = true;                    // guarded by handoff_mu
  std::uint32_t lenders = 0;           // threads inside block_in_place; changed by the holder
  Atomic<std::uint32_t> returning{0};  // lenders whose function returned, waiting for it

  // Written by the worker only; read relaxed by metrics().
  Atomic<std::uint64_t> polls{0};
  Atomic<std::uint64_t> steals{0};
  Atomic<std::uint64_t> steal_operations{0};
  Atomic<std::uint64_t> parks{0};
  Atomic<std::uint64_t> overflows{0};

  // relaxed: a single writer (load + store, no RMW needed) and readers that want a number, not
  // an ordering.
  void bump(Atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

thread_local Worker* tls_worker = nullptr;

struct OwnedShard {
  SpinLock lock;
  TaskHeader* head = nullptr;
};

class MultiThreadExecutor final : public Executor {
 public:
  explicit MultiThreadExecutor(const RuntimeConfig& config)
      : config_(config),
        num_workers_(config.resolved_workers()),
        idle_(num_workers_),
        blocking_(new BlockingPool(config.thread_name, config.max_blocking_threads,
                                   config.blocking_keep_alive)),
        lent_ctx_{this, nullptr, nullptr, blocking_},
        shards_(new OwnedShard[kOwnedShards]) {
    const Instant start = Clock::now();
    workers_.reserve(num_workers_);
    for (std::uint32_t i = 0; i < num_workers_; ++i) {
      auto w = std::make_unique<Worker>();
      w->rt = this;
      w->index = i;
      w->reactor = make_default_reactor();
      w->timers = std::make_unique<TimerDriver>(start);
      w->rng.seed(0x9e3779b9u * (i + 1));
      reactors_.push_back(w->reactor.get());
      workers_.push_back(std::move(w));
    }
    for (auto& w : workers_) {
      w->ctx = RuntimeContext{this,        w->timers.get(),  w->reactor.get(),
                              blocking_,   reactors_.data(), num_workers_,
                              &w->deferred};
    }
    lent_ctx_.worker_reactors = reactors_.data();
    lent_ctx_.workers = num_workers_;
  }

  // Starts the worker threads. If one cannot be started (pthread_create fails: thread or
  // memory limits), the ones already running are shut down and joined before the error
  // propagates, so nothing is left running against a runtime that never existed.
  void start() {
    running_ = num_workers_;
    std::uint32_t started = 0;
    try {
      for (auto& w : workers_) {
        start_thread(*w);
        ++started;
      }
    } catch (...) {
      if (started == 0) {
        std::lock_guard lock(exit_mu_);
        cleaned_ = true;
      }
      // acq_rel: the same counter the workers decrement when they leave (see run_core()).
      running_.fetch_sub(num_workers_ - started, std::memory_order_acq_rel);
      shutdown(Instant::max());
      throw;
    }
  }

  // ---- Scheduler ----

  void schedule(TaskHeader* t) noexcept override {
    Worker* w = tls_worker;
    if (w && w->rt == this) {
      schedule_local(*w, t);
      return;
    }
    schedule_remote(t);
  }

  bool bind(TaskHeader* t) noexcept override {
    if (!own(t)) return false;
    spawned_.fetch_add(1, std::memory_order_relaxed);  // a statistic: relaxed
    schedule(t);
    return true;
  }

  // ---- Executor ----

  void block_on_task(TaskHeader* t) override {
    if (tls_worker && tls_worker->rt == this) {
      throw std::logic_error("block_on: cannot block a worker thread of the same runtime");
    }
    struct Parker {
      std::mutex mu;
      std::condition_variable cv;
      bool woken = false;
      Atomic<int> refs{1};
    };
    // The parker is reference counted: the join waker may be dropped after block_on returned.
    static constexpr WakerVTable vt{
        [](const void* p) { static_cast<Parker*>(const_cast<void*>(p))->refs.fetch_add(1); },
        [](const void* p) {
          auto* k = static_cast<Parker*>(const_cast<void*>(p));
          {
            std::lock_guard lock(k->mu);
            k->woken = true;
          }
          k->cv.notify_one();
          if (k->refs.fetch_sub(1) == 1) delete k;
        },
        [](const void* p) {
          auto* k = static_cast<Parker*>(const_cast<void*>(p));
          {
            std::lock_guard lock(k->mu);
            k->woken = true;
          }
          k->cv.notify_one();
        },
        [](const void* p) {
          auto* k = static_cast<Parker*>(const_cast<void*>(p));
          if (k->refs.fetch_sub(1) == 1) delete k;
        }};
    auto* parker = new Parker;
    Waker waker(parker, &vt);  // owns the initial reference
    for (;;) {
      {
        std::lock_guard lock(t->join_lock);
        // acquire: pairs with the release CAS of COMPLETE in complete() (task_cell.cpp): the
        // output written before it is visible.
        if (t->state.load(std::memory_order_acquire) & kComplete) break;
        if (!t->join_waker.will_wake(waker)) t->join_waker = waker;
      }
      std::unique_lock lock(parker->mu);
      parker->cv.wait(lock, [&] { return parker->woken; });
      parker->woken = false;
    }
  }

  void shutdown(Instant deadline) noexcept override {
    begin_shutdown();
    {
      std::unique_lock lock(exit_mu_);
      if (deadline == Instant::max()) {
        exit_cv_.wait(lock, [&] { return cleaned_; });
      } else {
        exit_cv_.wait_until(lock, deadline, [&] { return cleaned_; });
      }
    }
    std::lock_guard lock(join_mu_);
    bool done;
    {
      std::lock_guard l(exit_mu_);
      done = cleaned_;
    }
    // Threads that finished are joined; after a missed deadline (or from a worker itself) they
    // are detached and finish in the background, each holding a reference to the executor.
    for (auto& w : workers_) {
      if (!w->joinable) continue;
      w->joinable = false;
      if (done && !pthread_equal(w->thread, pthread_self())) {
        pthread_join(w->thread, nullptr);
      } else {
        pthread_detach(w->thread);
      }
    }
    blocking_->shutdown(deadline);
  }

  RuntimeMetrics metrics() const override {
    // relaxed throughout: statistics, each read on its own.
    RuntimeMetrics m;
    m.workers = num_workers_;
    m.spawned = spawned_.load(std::memory_order_relaxed);
    m.remote_schedules = remote_schedules_.load(std::memory_order_relaxed);
    m.injection_queue_depth = inject_len_.load(std::memory_order_relaxed);
    m.blocking_threads = blocking_->threads();
    m.blocking_queue_depth = blocking_->queue_depth();
    for (auto& w : workers_) {
      WorkerMetrics wm;
      wm.polls = w->polls.load(std::memory_order_relaxed);
      wm.steals = w->steals.load(std::memory_order_relaxed);
      wm.steal_operations = w->steal_operations.load(std::memory_order_relaxed);
      wm.parks = w->parks.load(std::memory_order_relaxed);
      wm.overflows = w->overflows.load(std::memory_order_relaxed);
      wm.local_queue_depth = w->queue.len();
      m.worker.push_back(wm);
    }
    return m;
  }

  BlockingPool& blocking_pool() noexcept override { return *blocking_; }

  // block_in_place on worker `w` (the calling thread holds it): lends the core to a blocking-pool
  // thread, runs `call(arg)`, then takes the core back (waiting for its current holder to finish
  // the poll in progress).
  void block_in_place(Worker& w, void (*call)(void*), void* arg) {
    {
      std::lock_guard lock(w.handoff_mu);
      w.held = false;
      ++w.lenders;
    }
    tls_worker = nullptr;
    ref();  // the core job's reference
    // Dropped at once: the job runs detached. If the pool refuses it (shutting down), nobody
    // takes the core while `call` runs; it is taken back below as usual.
    (void)JoinHandle<void>(spawn_cell(blocking_, CoreJob(this, &w)));
    struct TakeBack {
      MultiThreadExecutor* rt;
      Worker& w;
      ~TakeBack() { rt->take_back_core(w); }
    } take_back{this, w};
    ContextGuard guard(&lent_ctx_);
    call(arg);
  }

  void take_back_core(Worker& w) noexcept {
    // seq_cst: pairs with the seq_cst load in park(): either the holder sees the count before it
    // sleeps, or it sleeps and the unpark() below wakes it.
    w.returning.fetch_add(1, std::memory_order_seq_cst);
    w.reactor->unpark();  // the holder may be parked in epoll_wait
    {
      std::unique_lock lock(w.handoff_mu);
      w.handoff_cv.wait(lock, [&] { return !w.held; });
      w.held = true;
    }
    // relaxed: we hold the core (handoff_mu ordered the hand-over); the count only asks holders
    // to leave.
    w.returning.fetch_sub(1, std::memory_order_relaxed);
    --w.lenders;
    tls_worker = &w;
  }

  void begin_shutdown() noexcept {
    {
      std::lock_guard lock(inject_mu_);
      // The load is relaxed: closed_ is only stored under inject_mu_. The store is seq_cst:
      // pairs with the seq_cst loads in park() (before a worker sleeps; the unpark() calls
      // below cover the rest) and in own().
      if (closed_.load(std::memory_order_relaxed)) return;
      closed_.store(true, std::memory_order_seq_cst);
    }
    for (auto& w : workers_) w->reactor->unpark();
  }

 private:
  ~MultiThreadExecutor() override {
    blocking_->unref();
    delete[] shards_;
  }

  void start_thread(Worker& w) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (config_.thread_stack_size) pthread_attr_setstacksize(&attr, config_.thread_stack_size);
    ref();  // released when the thread exits
    int err = pthread_create(
        &w.thread, &attr,
        [](void* p) -> void* {
          auto* wk = static_cast<Worker*>(p);
          MultiThreadExecutor* rt = wk->rt;
          rt->run_worker(*wk);
          rt->unref();
          return nullptr;
        },
        &w);
    pthread_attr_destroy(&attr);
    if (err != 0) {
      unref();
      throw std::system_error(err, std::system_category(), "pthread_create(worker)");
    }
    w.joinable = true;
  }

  // ---- the worker loop ----

  void run_worker(Worker& w) {
    {
      std::string name = config_.thread_name.substr(0, 11) + "-" + std::to_string(w.index);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    }
    if (!config_.worker_cpus.empty()) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(config_.worker_cpus[w.index % config_.worker_cpus.size()], &set);
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    run_core(w);
  }

  // Runs the worker loop on core `w`, which the calling thread holds. Returns when the runtime
  // shuts down, or when a thread that lent the core (block_in_place) wants it back: the core is
  // then released and this thread leaves the loop.
  void run_core(Worker& w) {
    tls_worker = &w;
    bool released = false;
    {
      ContextGuard guard(&w.ctx);
      for (;;) {
        // relaxed (both checks): per-task hints; park() re-checks with seq_cst before sleeping,
        // and the writers unpark the reactor after their stores.
        if (w.returning.load(std::memory_order_relaxed) != 0) {
          released = true;
          break;
        }
        if (closed_.load(std::memory_order_relaxed)) {
          // A lender is still inside block_in_place: it takes the core back, finishes its poll
          // and does the final bookkeeping.
          released = w.lenders != 0;
          break;
        }
        ++w.tick;
        if (w.tick % config_.event_interval == 0) maintenance(w);
        TaskHeader* t = next_task(w);
        if (!t) t = steal_work(w);
        if (t) {
          run_task(w, t);
          continue;
        }
        if (!w.deferred.empty()) {  // only yielded tasks left: poll I/O, then run them again
          maintenance(w);
          continue;
        }
        park(w);
      }
      // acq_rel: each worker releases its last queue accesses; the last one acquires them all
      // before final_cleanup() touches every queue.
      if (!released && running_.fetch_sub(1, std::memory_order_acq_rel) == 1) final_cleanup(w);
    }
    tls_worker = nullptr;
    if (released) {
      {
        std::lock_guard lock(w.handoff_mu);
        w.held = false;
      }
      w.handoff_cv.notify_all();
    }
  }

  // The blocking-pool job that runs a lent core. It takes the core only if it is still free (a
  // short block_in_place may have taken it back before the job started).
  class CoreJob {
   public:
    CoreJob(MultiThreadExecutor* rt, Worker* w) noexcept : rt_(rt), w_(w) {}
    CoreJob(CoreJob&& o) noexcept : rt_(std::exchange(o.rt_, nullptr)), w_(o.w_) {}
    CoreJob& operator=(CoreJob&&) = delete;
    ~CoreJob() {
      if (rt_) rt_->unref();
    }
    Poll<void> poll(Context&) {
      {
        std::lock_guard lock(w_->handoff_mu);
        if (w_->held) return ready;
        w_->held = true;
      }
      rt_->run_core(*w_);
      return ready;
    }

   private:
    MultiThreadExecutor* rt_;
    Worker* w_;
  };

  void maintenance(Worker& w) {
    w.reactor->poll(std::chrono::nanoseconds(0));
    w.timers->process(Clock::now());
    wake_deferred(w.deferred);  // after what the reactor woke
  }

  TaskHeader* next_task(Worker& w) noexcept {
    if (w.tick % config_.global_queue_interval == 0) {
      if (TaskHeader* t = pop_inject()) return t;
    }
    if (w.lifo) {
      if (w.lifo_streak < kMaxLifoPolls) {
        ++w.lifo_streak;
        return std::exchange(w.lifo, nullptr);
      }
      // Fairness: the LIFO task goes behind the queue.
      push_local(w, std::exchange(w.lifo, nullptr));
    }
    w.lifo_streak = 0;
    if (TaskHeader* t = w.queue.pop()) return t;
    return pop_inject();
  }

  TaskHeader* steal_work(Worker& w) noexcept {
    if (!w.searching) {
      if (!idle_.transition_to_searching()) return nullptr;
      w.searching = true;
    }
    const std::uint32_t n = num_workers_;
    const std::uint32_t start = n > 1 ? static_cast<std::uint32_t>(w.rng() % n) : 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      Worker& victim = *workers_[(start + i) % n];
      if (&victim == &w) continue;
      std::uint32_t before = w.queue.len();
      if (TaskHeader* t = victim.queue.steal_into(w.queue)) {
        w.bump(w.steal_operations);
        w.bump(w.steals, 1 + w.queue.len() - before);
        return t;
      }
    }
    return pop_inject();
  }

  void run_task(Worker& w, TaskHeader* t) {
    if (w.searching) {
      w.searching = false;
      // The last searcher found work: wake another worker to look for more.
      if (idle_.transition_from_searching()) notify_parked();
    }
    w.bump(w.polls);
    switch (task_run(t)) {
      case RunResult::idle:
        break;
      case RunResult::reschedule:
        // Woken during its own poll (yield_now or a self-wake): behind everything else.
        push_local(w, t);
        notify_parked();
        break;
      case RunResult::complete:
        disown(t);
        t->unref();
        break;
    }
  }

  void park(Worker& w) {
    // Never park with local work.
    if (w.lifo || w.queue.has_tasks()) return;
    const bool last_searcher = idle_.transition_to_parked(w.index, w.searching);
    w.searching = false;
    if (last_searcher) notify_if_work_pending();
    w.bump(w.parks);
    for (;;) {
      // seq_cst: pair with the seq_cst store in begin_shutdown() and the seq_cst fetch_add in
      // take_back_core(); a store that misses these loads is followed by an unpark().
      if (closed_.load(std::memory_order_seq_cst)) return;
      if (w.returning.load(std::memory_order_seq_cst) != 0) {
        w.searching = !idle_.unpark_worker_by_id(w.index);
        return;
      }
      std::optional<std::chrono::nanoseconds> wait;
      if (auto next = w.timers->next_deadline()) {
        auto now = Clock::now();
        wait = *next > now ? std::chrono::duration_cast<std::chrono::nanoseconds>(*next - now)
                           : std::chrono::nanoseconds(0);
      }
      w.parked = true;
      w.reactor->poll(wait);
      w.parked = false;
      w.timers->process(Clock::now());
      if (w.lifo || w.queue.has_tasks()) {
        // Woken by our own I/O or timers: take ourselves off the sleepers list. If a notifier
        // already did, it counted us as searching.
        w.searching = !idle_.unpark_worker_by_id(w.index);
        return;
      }
      if (!idle_.is_parked(w.index)) {
        w.searching = true;  // notified
        return;
      }
    }
  }

  // ---- queues ----

  void schedule_local(Worker& w, TaskHeader* t) noexcept {
    // relaxed: an early out only; a task queued after the flag is dropped by final_cleanup()
    // (it is still owned).
    if (closed_.load(std::memory_order_relaxed)) return;  // shutting down: the task is destroyed
    TaskHeader* prev = std::exchange(w.lifo, t);
    if (prev) {
      push_local(w, prev);
      // Work others can steal appeared; while parked, this worker runs it itself.
      if (!w.parked) notify_parked();
    }
  }

  void push_local(Worker& w, TaskHeader* t) noexcept {
    TaskQueue overflow;
    if (w.queue.push_back(t, overflow)) {
      w.bump(w.overflows);
      push_inject_batch(overflow);
    }
  }

  void schedule_remote(TaskHeader* t) noexcept {
    remote_schedules_.fetch_add(1, std::memory_order_relaxed);  // a statistic
    {
      std::lock_guard lock(inject_mu_);
      if (closed_.load(std::memory_order_relaxed)) return;  // stored under inject_mu_: relaxed
      inject_.push(t);
      // seq_cst: pairs with the seq_cst load in notify_if_work_pending() (with Idle's seq_cst
      // state): a worker going to sleep sees the task, or we see it asleep and notify.
      inject_len_.fetch_add(1, std::memory_order_seq_cst);
    }
    notify_parked();
  }

  void push_inject_batch(TaskQueue& batch) noexcept {
    std::size_t n = batch.len;
    {
      std::lock_guard lock(inject_mu_);
      inject_.append(batch);
      inject_len_.fetch_add(n, std::memory_order_seq_cst);  // as in schedule_remote()
    }
  }

  TaskHeader* pop_inject() noexcept {
    // An unlocked peek; inject_mu_ orders the queue itself, so acquire (pairing with the
    // fetch_adds above) is more than needed, and the fetch_sub under the lock is relaxed.
    if (inject_len_.load(std::memory_order_acquire) == 0) return nullptr;
    std::lock_guard lock(inject_mu_);
    TaskHeader* t = inject_.pop();
    if (t) inject_len_.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }

  void notify_parked() noexcept {
    if (auto idx = idle_.worker_to_notify()) workers_[*idx]->reactor->unpark();
  }

  void notify_if_work_pending() noexcept {
    for (auto& w : workers_) {
      if (w->queue.has_tasks()) {
        notify_parked();
        return;
      }
    }
    // seq_cst: pairs with the seq_cst fetch_adds in schedule_remote()/push_inject_batch().
    if (inject_len_.load(std::memory_order_seq_cst) != 0) notify_parked();
  }

  // ---- owned tasks (for shutdown) ----

  bool own(TaskHeader* t) noexcept {
    // relaxed: only spreads tasks over shards.
    std::uint32_t shard = next_shard_.fetch_add(1, std::memory_order_relaxed) % kOwnedShards;
    OwnedShard& s = shards_[shard];
    std::lock_guard lock(s.lock);
    // Checked under the shard lock: final_cleanup() empties every shard after setting closed_.
    // seq_cst pairs with the store in begin_shutdown() (acquire would do: the shard lock and
    // running_'s acq_rel chain order that store before final_cleanup()'s shard sweeps).
    if (closed_.load(std::memory_order_seq_cst)) return false;
    t->owner = kOwnedFlag | shard;
    t->owned_prev = nullptr;
    t->owned_next = s.head;
    if (s.head) s.head->owned_prev = t;
    s.head = t;
    return true;
  }

  void disown(TaskHeader* t) noexcept {
    OwnedShard& s = shards_[t->owner & ~kOwnedFlag];
    std::lock_guard lock(s.lock);
    if (!(t->owner & kOwnedFlag)) return;
    unlink(s, t);
  }

  static void unlink(OwnedShard& s, TaskHeader* t) noexcept {
    if (t->owned_prev) {
      t->owned_prev->owned_next = t->owned_next;
    } else {
      s.head = t->owned_next;
    }
    if (t->owned_next) t->owned_next->owned_prev = t->owned_prev;
    t->owned_prev = t->owned_next = nullptr;
    t->owner &= ~kOwnedFlag;
  }

  void final_cleanup(Worker& self) noexcept {
    (void)self;
    // Every worker has left its loop: nothing runs tasks any more. Drop queue entries (the tasks
    // are all still owned) and destroy every task.
    {
      std::lock_guard lock(inject_mu_);
      inject_ = {};
      inject_len_.store(0, std::memory_order_relaxed);  // under inject_mu_: relaxed
    }
    for (auto& w : workers_) {
      w->lifo = nullptr;
      w->deferred.clear();  // yielded tasks are destroyed below like the others
      while (w->queue.pop()) {
      }
    }
    for (std::uint32_t i = 0; i < kOwnedShards; ++i) {
      OwnedShard& s = shards_[i];
      for (;;) {
        TaskHeader* t;
        {
          std::lock_guard lock(s.lock);
          t = s.head;
          if (!t) break;
          unlink(s, t);
        }
        task_shutdown(t);
        t->unref();
      }
    }
    {
      std::lock_guard lock(exit_mu_);
      cleaned_ = true;
    }
    exit_cv_.notify_all();
  }

  RuntimeConfig config_;
  const std::uint32_t num_workers_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Reactor*> reactors_;  // workers_[i]->reactor, for WorkerAffinity
  Idle idle_;
  BlockingPool* blocking_;
  RuntimeContext lent_ctx_;  // installed while a worker's thread runs block_in_place's function
  OwnedShard* shards_;
  Atomic<std::uint32_t> next_shard_{0};

  alignas(64) std::mutex inject_mu_;
  TaskQueue inject_;
  Atomic<std::size_t> inject_len_{0};
  Atomic<bool> closed_{false};

  Atomic<std::uint64_t> spawned_{0};
  Atomic<std::uint64_t> remote_schedules_{0};

  Atomic<std::uint32_t> running_{0};
  std::mutex exit_mu_;
  std::condition_variable exit_cv_;
  bool cleaned_ = false;
  std::mutex join_mu_;
};

}  // namespace

void block_in_place_erased(void (*call)(void*), void* arg) {
  if (Worker* w = tls_worker) {
    w->rt->block_in_place(*w, call, arg);
    return;
  }
  if (RuntimeContext* ctx = current_context(); ctx && ctx->timers) {
    // A current-thread runtime: no other thread could run its tasks meanwhile.
    throw std::logic_error(
        "block_in_place: not available on the current-thread runtime (use spawn_blocking)");
  }
  call(arg);  // outside a runtime, on a blocking-pool thread, or nested in block_in_place
}

Executor* make_multi_thread_executor(const RuntimeConfig& config) {
  auto* e = new MultiThreadExecutor(config);
  try {
    e->start();
  } catch (...) {
    e->unref();
    throw;
  }
  return e;
}

}  // namespace strata::detail
