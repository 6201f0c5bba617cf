// Pool<M>: a generic pool of reusable objects (connections), like bb8/deadpool or the idle pool
// of Go's http.Transport; KeyedPool<K, M>: one such pool per key ("host:port") under a global cap.
//
//   struct Conns {                                     // the manager: makes and checks objects
//     using Object = net::TcpStream;
//     net::SocketAddr addr;
//     net::ConnectFuture create() { return net::TcpStream::connect(addr); }
//     bool recycle(net::TcpStream& s) {                // idle: nothing to read, no EOF
//       std::array<std::byte, 1> b;
//       auto r = s.try_read(b);
//       return !r && r.error() == std::errc::operation_would_block;
//     }
//   };
//   auto addr = *net::SocketAddr::parse("127.0.0.1:6379");
//   net::Pool<Conns> pool(Conns{addr}, {.max_size = 8, .idle_timeout = 30s});
//   spawn(pool.reaper(10s));                                   // optional: prune idle objects
//   Result<net::Pooled<Conns>> c = co_await pool.acquire();   // Errc::timed_out when full
//   if (!c) co_return fail(c.error());
//   co_await io::write_all(**c, io::as_bytes("ping"));
//   // the guard returns the stream when it dies; c->discard() after a protocol error
//
// Manager (M): `using Object = T;` and `create()` returning a future (e.g. Task) of Result<T>.
// Optionally `recycle(T&)`: run on every checkout of an idle object, returning bool or
// Result<void>, or a future of either; a rejected object is destroyed and the acquire goes on
// transparently (another idle object or a new one). The manager is shared by every acquire, on
// any worker: its methods must be safe to call concurrently (usually it is just configuration).
//
// Semantics:
// - At most max_size live objects (idle + in use + being created). When full, acquires queue
//   FIFO and are served in order: a returned object, or the slot of a destroyed one, is handed
//   directly to the first waiter (so a newcomer never overtakes). A waiter gives up after
//   acquire_timeout with Errc::timed_out.
// - Idle objects are reused LIFO (the most recently returned first: its socket is the least
//   likely to have been closed by the peer). Objects idle for idle_timeout or longer are destroyed
//   at the next checkout, prune() or reaper() tick; at most max_idle stay idle.
// - Pooled<M> is the RAII guard. Destroying it returns the object; discard() destroys it (after a
//   protocol error); detach() takes it out of the pool. Guards may be dropped on any thread.
// - Destroying the Pool closes it: queued acquires fail with Errc::closed, idle objects are
//   destroyed, and guards still out destroy their objects when they die (shared state).
// - Cancellation: dropping a pending acquire leaves the queue; an object or slot already handed
//   to it passes to the next waiter.
// Thread-safe: one std::mutex per pool, held only for bookkeeping (never across create,
// recycle or an object's destructor).
#pragma once

#include <cassert>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "strata/net/detail/pool_shared.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::net {

// What a Pool needs from its manager.
template <class M>
concept PoolManager = std::movable<typename M::Object> && requires(M& m) {
  { m.create() } -> Future;
};

template <PoolManager M>
class Pool;

// An object checked out of a pool; returns it on destruction.
template <PoolManager M>
class [[nodiscard]] Pooled {
 public:
  using T = typename M::Object;

  Pooled(Pooled&& o) noexcept : shared_(std::move(o.shared_)), entry_(std::move(o.entry_)) {
    o.entry_.reset();
  }
  Pooled& operator=(Pooled&& o) noexcept {
    if (this != &o) {
      give_back();
      shared_ = std::move(o.shared_);
      entry_ = std::move(o.entry_);
      o.entry_.reset();
    }
    return *this;
  }
  ~Pooled() { give_back(); }

  // Access to the object (the guard must hold one).
  T& operator*() noexcept { return entry_->obj; }
  const T& operator*() const noexcept { return entry_->obj; }
  T* operator->() noexcept { return &entry_->obj; }
  const T* operator->() const noexcept { return &entry_->obj; }
  T& get() noexcept { return entry_->obj; }
  // When the manager created the object.
  Instant created_at() const noexcept { return entry_->created; }

  // Destroys the object instead of returning it (its slot frees up for a new one).
  void discard() noexcept {
    if (!entry_ || !shared_) return;
    entry_.reset();
    std::exchange(shared_, nullptr)->forget_in_use(true);
  }
  // Takes the object out of the pool for good (its slot frees up).
  // Precondition: the guard holds an object (it was not moved from, discarded or detached).
  T detach() && {
    assert(entry_ && shared_);
    T t = std::move(entry_->obj);
    entry_.reset();
    std::exchange(shared_, nullptr)->forget_in_use(true);
    return t;
  }

 private:
  friend class Pool<M>;
  using Shared = detail::PoolShared<M>;
  Pooled(std::shared_ptr<Shared> s, detail::PoolEntry<T> e) noexcept
      : shared_(std::move(s)), entry_(std::move(e)) {}
  void give_back() noexcept {
    if (shared_ && entry_) std::exchange(shared_, nullptr)->put_back(std::move(*entry_));
    entry_.reset();
  }

  std::shared_ptr<Shared> shared_;
  std::optional<detail::PoolEntry<T>> entry_;
};

namespace detail {

// Waits in a pool's queue until granted, closed, or `deadline`. Lives in the acquiring frame
// (never moves once queued); destroying it leaves the queue and passes on any grant.
template <class M>
class PoolWaitTurn {
 public:
  using Shared = PoolShared<M>;
  using Grant = typename Shared::Grant;

  PoolWaitTurn(Shared* s, std::optional<Instant> deadline) noexcept : s_(s) {
    if (deadline) sleep_.emplace(*deadline);
  }
  PoolWaitTurn(const PoolWaitTurn&) = delete;
  ~PoolWaitTurn() {
    if (!queued_ || done_) return;
    if (auto g = s_->leave(&node_)) s_->give_back(std::move(*g));
  }

  typename Shared::Waiter* node() noexcept { return &node_; }
  void mark_queued() noexcept { queued_ = true; }

  Poll<Grant> poll(Context& cx) {
    Grant g;
    if (s_->poll_waiter(&node_, cx, g)) {
      done_ = true;
      return g;
    }
    if (sleep_ && sleep_->poll(cx).is_ready()) {
      done_ = true;
      if (auto late = s_->leave(&node_)) return std::move(*late);  // granted meanwhile: take it
      Grant t;
      t.kind = Grant::Kind::timed_out;
      return t;
    }
    return pending;
  }

 private:
  Shared* s_;
  typename Shared::Waiter node_;
  std::optional<Sleep> sleep_;
  bool queued_ = false;
  bool done_ = false;
};

template <class R>
bool recycle_ok(const R& r) {
  if constexpr (std::is_same_v<R, bool>) {
    return r;
  } else {
    return r.has_value();
  }
}

template <class M>
concept AsyncRecycle = requires(M& m, typename M::Object& o) {
  { m.recycle(o) } -> Future;
};

// Runs a synchronous recycle() on `obj` (true without one): no coroutine frame on this path.
template <class M>
bool pool_recycle_now(M& m, typename M::Object& obj) {
  if constexpr (requires { m.recycle(obj); }) {
    return recycle_ok(m.recycle(obj));
  } else {
    return true;
  }
}

}  // namespace detail

template <PoolManager M>
class Pool {
 public:
  using T = typename M::Object;
  using Guard = Pooled<M>;

  explicit Pool(M manager, PoolConfig config = {})
      : shared_(std::make_shared<detail::PoolShared<M>>(std::move(manager), config)) {}
  Pool(Pool&&) noexcept = default;
  Pool& operator=(Pool&&) = delete;
  ~Pool() {
    if (shared_) shared_->close();
  }

  // An idle object (health-checked), a new one, or a place in the queue (see the top).
  // Errors: Errc::timed_out, Errc::closed, or the manager's create() error.
  Task<Result<Guard>> acquire() { return acquire_from(shared_); }

  PoolMetrics metrics() const { return shared_->metrics(); }
  const PoolConfig& config() const noexcept { return shared_->config; }
  M& manager() noexcept { return shared_->manager; }
  // Destroys idle objects older than idle_timeout now.
  std::size_t prune() { return shared_->prune(); }
  // A task that calls prune() every `period` until the pool is closed or destroyed (it holds no
  // reference that keeps the pool alive):  spawn(pool.reaper(10s));
  Task<void> reaper(Duration period) { return reap(shared_, period); }
  // Closes the pool now (the destructor does it too).
  void close() { shared_->close(); }

 private:
  template <class K, class KM, class H>
  friend class KeyedPool;
  explicit Pool(std::shared_ptr<detail::PoolShared<M>> s) noexcept : shared_(std::move(s)) {}

  static Task<Result<Guard>> acquire_from(std::shared_ptr<detail::PoolShared<M>> s);
  static Task<void> reap(std::weak_ptr<detail::PoolShared<M>> w, Duration period) {
    for (;;) {
      co_await sleep(period);
      auto s = w.lock();
      if (!s || s->is_closed()) co_return;
      s->prune();
    }
  }

  std::shared_ptr<detail::PoolShared<M>> shared_;
};

template <PoolManager M>
Task<Result<Pooled<M>>> Pool<M>::acquire_from(std::shared_ptr<detail::PoolShared<M>> s) {
  using Grant = typename detail::PoolShared<M>::Grant;
  using Kind = typename Grant::Kind;
  std::optional<Instant> deadline;
  if (s->config.acquire_timeout > Duration::zero()) {
    deadline = Clock::now() + s->config.acquire_timeout;
  }
  for (;;) {
    detail::PoolWaitTurn<M> turn(s.get(), deadline);
    Grant g = s->checkout(turn.node());
    if (g.kind == Kind::wait) {
      turn.mark_queued();
      g = co_await turn;
    }
    if (g.kind == Kind::closed) co_return fail(Errc::closed, "pool acquire");
    if (g.kind == Kind::timed_out) {
      s->count(&PoolMetrics::timed_out);
      co_return fail(Errc::timed_out, "pool acquire");
    }
    if (g.kind == Kind::object) {
      bool healthy;
      if constexpr (detail::AsyncRecycle<M>) {
        auto r = co_await s->manager.recycle(g.entry->obj);
        healthy = detail::recycle_ok(r);
      } else {
        healthy = detail::pool_recycle_now(s->manager, g.entry->obj);
      }
      if (healthy) {
        s->count_checkout(true);
        co_return Pooled<M>(s, std::move(*g.entry));
      }
      s->count(&PoolMetrics::health_failed);
      g.entry.reset();
      s->release_slot();  // to a waiter, if any; then look again (in turn)
      continue;
    }
    // A slot: make a new object (after a global slot, for a KeyedPool).
    detail::GlobalSlot global;
    if (s->limit) {
      const bool reserved = co_await detail::PoolLimit::reserve(s->limit, s.get(), deadline);
      if (!reserved) {
        s->release_slot();
        s->count(&PoolMetrics::timed_out);
        co_return fail(Errc::timed_out, "pool acquire");
      }
      global = detail::GlobalSlot(s->limit);
    }
    auto created = co_await s->manager.create();
    if (!created) {
      global.reset();
      s->release_slot();
      s->count(&PoolMetrics::create_failed);
      co_return fail(std::move(created.error()));
    }
    s->count_checkout(false);
    co_return Pooled<M>(
        s, detail::PoolEntry<T>{std::move(*created), Clock::now(), Instant{}, std::move(global)});
  }
}

// Limits of a KeyedPool.
struct KeyedPoolConfig {
  PoolConfig per_key{};        // each key's pool (max_size is the per-key max)
  std::size_t max_total = 64;  // live objects across all keys
};

namespace detail {

// Adapts a keyed manager (create(const K&), optional recycle(const K&, T&)) to one key.
template <class K, class M>
struct KeyedManager {
  using Object = typename M::Object;
  std::shared_ptr<M> m;
  K key;
  auto create() { return m->create(key); }
  auto recycle(Object& o) requires requires(M& mm, const K& k, Object& oo) { mm.recycle(k, oo); }
  { return m->recycle(key, o); }
};

}  // namespace detail

// One Pool per key, created on first use, with a per-key max (per_key.max_size) and a global max
// (max_total). When the global max is reached, an acquire for a key destroys an idle object of
// another key to make room, or waits (up to acquire_timeout) for one to be freed; while anyone
// waits for a global slot, returned objects are destroyed rather than kept idle.
template <class K, class M, class Hash = std::hash<K>>
class KeyedPool {
 public:
  using KM = detail::KeyedManager<K, M>;
  using T = typename M::Object;
  using Guard = Pooled<KM>;

  explicit KeyedPool(M manager, KeyedPoolConfig config = {})
      : manager_(std::make_shared<M>(std::move(manager))),
        config_(config),
        limit_(std::make_shared<detail::PoolLimit>(config.max_total)) {}
  KeyedPool(const KeyedPool&) = delete;
  ~KeyedPool() {
    std::lock_guard lk(mu_);
    for (auto& [k, p] : pools_) p->close();
  }

  Task<Result<Guard>> acquire(const K& key) { return Pool<KM>::acquire_from(pool_for(key)); }

  // Metrics of one key (zeros for a key never used).
  PoolMetrics metrics(const K& key) const {
    std::lock_guard lk(mu_);
    auto it = pools_.find(key);
    return it == pools_.end() ? PoolMetrics{} : it->second->metrics();
  }
  // Live objects across all keys.
  std::size_t total_size() const noexcept { return limit_->used(); }
  std::size_t key_count() const {
    std::lock_guard lk(mu_);
    return pools_.size();
  }
  std::size_t prune() {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    for (auto& [k, p] : pools_) n += p->prune();
    return n;
  }

 private:
  std::shared_ptr<detail::PoolShared<KM>> pool_for(const K& key) {
    std::lock_guard lk(mu_);
    auto it = pools_.find(key);
    if (it != pools_.end()) return it->second;
    auto p = std::make_shared<detail::PoolShared<KM>>(KM{manager_, key}, config_.per_key, limit_);
    limit_->add_member(p);
    pools_.emplace(key, p);
    return p;
  }

  std::shared_ptr<M> manager_;
  KeyedPoolConfig config_;
  std::shared_ptr<detail::PoolLimit> limit_;
  mutable std::mutex mu_;
  std::unordered_map<K, std::shared_ptr<detail::PoolShared<KM>>, Hash> pools_;
};

}  // namespace strata::net
