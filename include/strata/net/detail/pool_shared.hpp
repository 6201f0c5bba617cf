// The state behind Pool<M> and its guards (net/pool.hpp): idle stack, FIFO wait queue with
// direct hand-off, counters, and the global limit that a KeyedPool's per-key pools share.
//
// Locking: one std::mutex per pool guards everything here; critical sections are a few pointer
// moves. Objects are created, health-checked and destroyed outside the lock, and wakers are woken
// after it (a woken task may run on another worker at once). The limit of a KeyedPool has its own
// mutex, only for its member list; lock order is limit, then pool.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/sync/detail/wait_list.hpp"
#include "strata/rt/sync/notify.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::net {

// Limits of one pool (or of each key of a KeyedPool).
struct PoolConfig {
  std::size_t max_size = 16;  // live objects: idle + in use + being created
  std::size_t max_idle = 16;  // idle objects kept; an object returned beyond this is destroyed
  Duration idle_timeout = std::chrono::seconds(90);     // idle longer is destroyed; zero = never
  Duration acquire_timeout = std::chrono::seconds(30);  // wait for an object; zero = forever
};

// A snapshot of a pool's gauges and counters.
struct PoolMetrics {
  std::size_t size = 0;             // live objects (idle + in use + being created)
  std::size_t idle = 0;             // objects waiting in the pool
  std::size_t in_use = 0;           // objects held by guards
  std::size_t waiters = 0;          // acquires queued because the pool is at max_size
  std::uint64_t created = 0;        // objects made by the manager
  std::uint64_t reused = 0;         // checkouts served by an existing object
  std::uint64_t timed_out = 0;      // acquires that failed with Errc::timed_out
  std::uint64_t health_failed = 0;  // objects dropped because recycle() rejected them
  std::uint64_t create_failed = 0;  // manager create() errors
  std::uint64_t expired = 0;        // idle objects dropped after idle_timeout
  std::uint64_t discarded = 0;      // guards discard()ed or detach()ed
};

namespace detail {

// A pool that can give up one idle object to make room under a shared limit.
class PoolMember {
 public:
  virtual ~PoolMember() = default;
  // Destroys the oldest idle object, if any; true if one was destroyed.
  virtual bool evict_idle_one() = 0;
};

// The global cap of a KeyedPool: live objects across all keys.
class PoolLimit {
 public:
  explicit PoolLimit(std::size_t max) noexcept : max_(max) {}

  bool try_reserve() noexcept {
    std::size_t u = used_.load(std::memory_order_relaxed);
    while (u < max_) {
      if (used_.compare_exchange_weak(u, u + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }
  void release() noexcept {
    used_.fetch_sub(1, std::memory_order_acq_rel);
    freed_.notify_one();
  }
  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t max() const noexcept { return max_; }
  // Pools with objects to spare give them up (instead of keeping them idle) while anyone waits.
  bool has_waiters() const noexcept { return waiting_.load(std::memory_order_relaxed) != 0; }

  void add_member(std::weak_ptr<PoolMember> m) {
    std::lock_guard lk(mu_);
    members_.push_back(std::move(m));
  }
  // Destroys an idle object of another pool (freeing a global slot); false if none is idle.
  bool evict_one(const PoolMember* except) {
    std::lock_guard lk(mu_);
    std::erase_if(members_, [](const std::weak_ptr<PoolMember>& w) { return w.expired(); });
    for (auto& w : members_) {
      auto m = w.lock();
      if (m && m.get() != except && m->evict_idle_one()) return true;
    }
    return false;
  }

  // Waits for a global slot until `deadline` (nullopt = forever): true when reserved.
  static Task<bool> reserve(std::shared_ptr<PoolLimit> l, const PoolMember* self,
                            std::optional<Instant> deadline) {
    struct Waiting {  // counted while this acquire waits, so that returns skip the idle list
      PoolLimit* l;
      explicit Waiting(PoolLimit* p) noexcept : l(p) { l->waiting_.fetch_add(1); }
      ~Waiting() { l->waiting_.fetch_sub(1); }
    };
    std::optional<Waiting> waiting;
    for (;;) {
      if (l->try_reserve()) co_return true;
      if (l->evict_one(self)) continue;
      if (!waiting) waiting.emplace(l.get());
      const Instant now = Clock::now();
      if (deadline && now >= *deadline) co_return false;
      // Wake on a release, and re-check at least every 50 ms: Notify keeps one permit only, so
      // two releases before two waiters poll could leave one of them asleep.
      Instant until = now + std::chrono::milliseconds(50);
      if (deadline) until = std::min(until, *deadline);
      auto r = co_await timeout_at(until, l->freed_.notified());
      (void)r;
    }
  }

 private:
  const std::size_t max_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> waiting_{0};
  sync::Notify freed_;
  std::mutex mu_;
  std::vector<std::weak_ptr<PoolMember>> members_;
};

// One global slot, held by an object for its whole life in a KeyedPool.
class GlobalSlot {
 public:
  GlobalSlot() noexcept = default;
  explicit GlobalSlot(std::shared_ptr<PoolLimit> l) noexcept : l_(std::move(l)) {}
  GlobalSlot(GlobalSlot&&) noexcept = default;
  GlobalSlot& operator=(GlobalSlot&& o) noexcept {
    if (this != &o) {
      reset();
      l_ = std::move(o.l_);
    }
    return *this;
  }
  ~GlobalSlot() { reset(); }
  void reset() noexcept {
    if (auto l = std::move(l_)) l->release();
  }

 private:
  std::shared_ptr<PoolLimit> l_;
};

// A pooled object with its bookkeeping.
template <class T>
struct PoolEntry {
  T obj;
  Instant created;
  Instant idle_since{};
  GlobalSlot slot;
};

// What an acquire got: an object, the right to create one, or nothing (pool closed).
template <class T>
struct PoolGrant {
  enum class Kind : std::uint8_t { object, slot, closed, wait, timed_out };
  Kind kind = Kind::closed;
  std::optional<PoolEntry<T>> entry;
};

template <class M>
class PoolShared final : public PoolMember {
 public:
  using T = typename M::Object;
  using Entry = PoolEntry<T>;
  using Grant = PoolGrant<T>;

  // A queued acquire; lives in WaitTurn inside the acquiring coroutine's frame.
  struct Waiter : sync::detail::Link {
    Waker waker;
    Grant grant;
    bool granted = false;
  };

  PoolShared(M m, PoolConfig cfg, std::shared_ptr<PoolLimit> lim = {})
      : manager(std::move(m)), config(cfg), limit(std::move(lim)) {
    if (config.max_size == 0) config.max_size = 1;
  }
  ~PoolShared() override = default;

  M manager;
  PoolConfig config;
  const std::shared_ptr<PoolLimit> limit;

  // The first step of an acquire, under the lock: an idle object, a reserved slot, closed, or
  // (with `w` linked into the queue, atomically with the decision) wait.
  Grant checkout(Waiter* w) {
    std::vector<Entry> dead;
    Grant g;
    {
      std::lock_guard lk(mu_);
      if (closed_) return g;  // kind closed
      prune_locked(Clock::now(), dead);
      if (waiters_.empty() && !idle_.empty()) {
        g.kind = Grant::Kind::object;
        g.entry.emplace(std::move(idle_.back()));
        idle_.pop_back();
      } else if (waiters_.empty() && size_ < config.max_size) {
        ++size_;
        g.kind = Grant::Kind::slot;
      } else {
        waiters_.push_back(w);
        ++nwaiters_;
        g.kind = Grant::Kind::wait;
      }
    }
    return g;  // `dead` is destroyed here, outside the lock
  }

  // Polls a queued waiter: Ready with its grant once granted.
  bool poll_waiter(Waiter* w, Context& cx, Grant& out) {
    Waker old;
    {
      std::lock_guard lk(mu_);
      if (w->granted) {
        out = std::move(w->grant);
        w->granted = false;
        return true;
      }
      if (!w->waker.will_wake(cx.waker())) old = std::exchange(w->waker, cx.waker());
    }
    return false;
  }

  // Leaves the queue (timeout or cancellation). Returns the grant handed over meanwhile, if any.
  std::optional<Grant> leave(Waiter* w) {
    Waker old;
    std::optional<Grant> g;
    {
      std::lock_guard lk(mu_);
      if (w->linked()) {
        w->unlink();
        --nwaiters_;
      } else if (w->granted) {
        g.emplace(std::move(w->grant));
        w->granted = false;
      }
      old = std::move(w->waker);
    }
    return g;
  }

  // Gives back what a cancelled or timed-out waiter had been handed.
  void give_back(Grant g) {
    if (g.kind == Grant::Kind::object) {
      put_back(std::move(*g.entry), false);
    } else if (g.kind == Grant::Kind::slot) {
      release_slot();
    }
  }

  // A guard returns its object: to the first waiter, else to the idle stack, else destroyed.
  void put_back(Entry e, bool was_in_use = true) {
    std::optional<Entry> drop;
    Waker w;
    {
      std::lock_guard lk(mu_);
      if (was_in_use) --in_use_;
      const Instant now = Clock::now();
      if (closed_) {
        --size_;
        drop.emplace(std::move(e));
      } else if (Waiter* q = pop_waiter_locked()) {
        q->grant.kind = Grant::Kind::object;
        q->grant.entry.emplace(std::move(e));
        q->granted = true;
        w = std::move(q->waker);
      } else if (idle_.size() >= config.max_idle || (limit && limit->has_waiters())) {
        --size_;
        drop.emplace(std::move(e));
      } else {
        e.idle_since = now;
        idle_.push_back(std::move(e));
      }
    }
    if (w) std::move(w).wake();
  }

  // A slot is free again (object destroyed, creation failed): to the first waiter, or size - 1.
  void release_slot() {
    Waker w;
    {
      std::lock_guard lk(mu_);
      if (Waiter* q = pop_waiter_locked()) {
        q->grant.kind = Grant::Kind::slot;
        q->grant.entry.reset();
        q->granted = true;
        w = std::move(q->waker);
      } else {
        --size_;
      }
    }
    if (w) std::move(w).wake();
  }

  // An object left its guard for good (discard/detach).
  void forget_in_use(bool discarded) {
    {
      std::lock_guard lk(mu_);
      --in_use_;
      if (discarded) ++discarded_;
    }
    release_slot();
  }

  void count_checkout(bool reused) {
    std::lock_guard lk(mu_);
    ++in_use_;
    ++(reused ? reused_ : created_);
  }
  void count(std::uint64_t PoolMetrics::*field) {
    std::lock_guard lk(mu_);
    ++(counters_.*field);
  }

  // Drops idle objects older than idle_timeout; returns how many.
  std::size_t prune() {
    std::vector<Entry> dead;
    {
      std::lock_guard lk(mu_);
      prune_locked(Clock::now(), dead);
    }
    return dead.size();
  }

  bool is_closed() const {
    std::lock_guard lk(mu_);
    return closed_;
  }

  bool evict_idle_one() override {
    std::optional<Entry> e;
    {
      std::lock_guard lk(mu_);
      if (idle_.empty()) return false;
      e.emplace(std::move(idle_.front()));  // the coldest
      idle_.erase(idle_.begin());
      --size_;
    }
    return true;  // `e` (and its global slot) is released here
  }

  // Refuses new acquires, fails the queued ones with Errc::closed, destroys the idle objects;
  // guards still out destroy their objects when they finish.
  void close() {
    std::vector<Entry> dead;
    std::vector<Waker> wake;
    {
      std::lock_guard lk(mu_);
      closed_ = true;
      size_ -= idle_.size();
      dead = std::move(idle_);
      idle_.clear();
      while (Waiter* q = pop_waiter_locked()) {
        q->grant.kind = Grant::Kind::closed;
        q->granted = true;
        wake.push_back(std::move(q->waker));
      }
    }
    for (auto& w : wake) std::move(w).wake();
  }

  PoolMetrics metrics() const {
    std::lock_guard lk(mu_);
    PoolMetrics m = counters_;
    m.size = size_;
    m.idle = idle_.size();
    m.in_use = in_use_;
    m.created = created_;
    m.reused = reused_;
    m.discarded = discarded_;
    m.waiters = nwaiters_;
    return m;
  }

 private:
  void prune_locked(Instant now, std::vector<Entry>& dead) {
    if (config.idle_timeout <= Duration::zero()) return;
    // idle_ is oldest-first: stop at the first fresh entry.
    std::size_t n = 0;
    while (n < idle_.size() && now - idle_[n].idle_since >= config.idle_timeout) ++n;
    if (n == 0) return;
    for (std::size_t i = 0; i < n; ++i) dead.push_back(std::move(idle_[i]));
    idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(n));
    size_ -= n;
    counters_.expired += n;
  }
  Waiter* pop_waiter_locked() noexcept {
    Waiter* q = waiters_.pop_front();
    if (q) --nwaiters_;
    return q;
  }

  mutable std::mutex mu_;
  bool closed_ = false;
  std::size_t size_ = 0;
  std::size_t in_use_ = 0;
  std::uint64_t created_ = 0;
  std::uint64_t reused_ = 0;
  std::uint64_t discarded_ = 0;
  PoolMetrics counters_;     // timed_out, health_failed, create_failed, expired
  std::vector<Entry> idle_;  // oldest first; checkout takes the back (LIFO: hottest first)
  sync::detail::WaitList<Waiter> waiters_;
  std::size_t nwaiters_ = 0;
};

}  // namespace detail
}  // namespace strata::net
