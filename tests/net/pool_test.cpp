// net::Pool and net::KeyedPool: limits, FIFO waiters, timeouts, idle expiry, health checks,
// discard/detach, metrics, pool destruction with guards out, cancellation, a multi-thread stress
// test (also run under TSan), and real TcpStreams to a loopback echo server.
#include "strata/net/pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net_test_util.hpp"

namespace strata::test {
namespace {

using net::KeyedPool;
using net::Pool;
using net::PoolConfig;

// Counts live objects, so that tests see every destruction.
struct Probe {
  std::atomic<int> alive{0};
  std::atomic<int> created{0};
  std::atomic<bool> fail_create{false};
};

struct Obj {
  Obj(int i, Probe* p) : id(i), probe(p) { probe->alive.fetch_add(1); }
  Obj(Obj&& o) noexcept : id(o.id), healthy(o.healthy), probe(std::exchange(o.probe, nullptr)) {}
  Obj& operator=(Obj&& o) noexcept {
    if (this != &o) {
      release();
      id = o.id;
      healthy = o.healthy;
      probe = std::exchange(o.probe, nullptr);
    }
    return *this;
  }
  ~Obj() { release(); }
  void release() noexcept {
    if (probe) std::exchange(probe, nullptr)->alive.fetch_sub(1);
  }

  int id;
  bool healthy = true;
  std::atomic<int> users{0};  // > 1 would mean two holders at once
  Probe* probe;
};

Task<Result<Obj>> make_obj(Probe* p, Duration delay) {
  if (delay > Duration::zero()) co_await sleep(delay);
  if (p->fail_create.load()) co_return fail(Error::from_errno(ECONNREFUSED, "create"));
  co_return Obj(p->created.fetch_add(1) + 1, p);
}

struct TestManager {
  using Object = Obj;
  Probe* probe;
  Duration delay{};
  Task<Result<Obj>> create() { return make_obj(probe, delay); }
  bool recycle(Obj& o) { return o.healthy; }
};

PoolConfig cfg(std::size_t max_size, Duration acquire_timeout = 2s) {
  PoolConfig c;
  c.max_size = max_size;
  c.max_idle = max_size;
  c.acquire_timeout = acquire_timeout;
  return c;
}

TEST(Pool, reuses_idle_objects_lifo_and_counts) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<TestManager> pool(TestManager{&probe}, cfg(4));
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    EXPECT_EQ((*a)->id, 1);
    EXPECT_EQ((*b)->id, 2);
    auto m = pool.metrics();
    EXPECT_EQ(m.size, 2u);
    EXPECT_EQ(m.in_use, 2u);
    EXPECT_EQ(m.idle, 0u);
    { auto drop = std::move(*a); }  // 1 returned first
    { auto drop = std::move(*b); }  // 2 returned last: the hottest
    m = pool.metrics();
    EXPECT_EQ(m.idle, 2u);
    EXPECT_EQ(m.in_use, 0u);
    auto c = co_await pool.acquire();
    CO_ASSERT_OK(c);
    EXPECT_EQ((*c)->id, 2);
    m = pool.metrics();
    EXPECT_EQ(m.created, 2u);
    EXPECT_EQ(m.reused, 1u);
    EXPECT_EQ(m.size, 2u);
    EXPECT_EQ(probe.alive.load(), 2);
  }());
}

Task<void> wait_and_record(Pool<TestManager>& pool, int who, std::vector<int>& order) {
  auto g = co_await pool.acquire();
  CO_ASSERT_OK(g);
  order.push_back(who);
  co_await sleep(1ms);
}

TEST(Pool, max_size_is_enforced_and_waiters_are_served_fifo) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<TestManager> pool(TestManager{&probe}, cfg(2));
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    std::vector<int> order;
    std::vector<JoinHandle<void>> hs;
    for (int i = 1; i <= 4; ++i) {
      hs.push_back(spawn(wait_and_record(pool, i, order)));
      co_await sleep(2ms);  // queue them in this order
    }
    EXPECT_EQ(pool.metrics().waiters, 4u);
    EXPECT_EQ(pool.metrics().size, 2u);
    { auto drop = std::move(*a); }
    { auto drop = std::move(*b); }
    for (auto& h : hs) co_await h;
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
    auto m = pool.metrics();
    EXPECT_EQ(m.created, 2u);  // never more than max_size
    EXPECT_EQ(m.reused, 4u);
    EXPECT_EQ(m.waiters, 0u);
    EXPECT_EQ(m.idle, 2u);
  }());
}

TEST(Pool, acquire_times_out_when_full) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<TestManager> pool(TestManager{&probe}, cfg(1, 50ms));
    auto a = co_await pool.acquire();
    CO_ASSERT_OK(a);
    const Instant start = Clock::now();
    auto b = co_await pool.acquire();
    CO_ASSERT_TRUE(!b);
    EXPECT_EQ(b.error(), Errc::timed_out);
    EXPECT_GE(Clock::now() - start, 50ms);
    auto m = pool.metrics();
    EXPECT_EQ(m.timed_out, 1u);
    EXPECT_EQ(m.waiters, 0u);
    EXPECT_EQ(m.size, 1u);
    // The queue is consistent afterwards: the object returns and is reused.
    { auto drop = std::move(*a); }
    auto c = co_await pool.acquire();
    CO_ASSERT_OK(c);
    EXPECT_EQ((*c)->id, 1);
  }());
}

TEST(Pool, idle_objects_expire_after_idle_timeout) {
  run_current([]() -> Task<void> {
    Probe probe;
    PoolConfig c = cfg(4);
    c.idle_timeout = 30ms;
    Pool<TestManager> pool(TestManager{&probe}, c);
    { auto a = co_await pool.acquire(); }
    co_await sleep(60ms);
    auto b = co_await pool.acquire();  // the expired one is dropped, a new one made
    CO_ASSERT_OK(b);
    EXPECT_EQ((*b)->id, 2);
    EXPECT_EQ(pool.metrics().expired, 1u);
    EXPECT_EQ(probe.alive.load(), 1);
    { auto drop = std::move(*b); }
    co_await sleep(60ms);
    EXPECT_EQ(pool.prune(), 1u);  // a reaper's job
    EXPECT_EQ(probe.alive.load(), 0);
    EXPECT_EQ(pool.metrics().size, 0u);
  }());
}

TEST(Pool, reaper_prunes_idle_objects_and_stops_with_the_pool) {
  run_current([]() -> Task<void> {
    Probe probe;
    PoolConfig c = cfg(4);
    c.idle_timeout = 20ms;
    auto pool = std::make_unique<Pool<TestManager>>(TestManager{&probe}, c);
    auto reaper = spawn(pool->reaper(10ms));
    { auto a = co_await pool->acquire(); }
    EXPECT_EQ(probe.alive.load(), 1);
    co_await sleep(80ms);
    EXPECT_EQ(probe.alive.load(), 0);  // pruned without any checkout
    EXPECT_EQ(pool->metrics().expired, 1u);
    pool.reset();
    auto done = co_await timeout(200ms, std::move(reaper));
    EXPECT_TRUE(done.has_value());  // the reaper ended with the pool
  }());
}

// recycle() may be asynchronous (e.g. a PING round trip) and return Result<void>.
Task<Result<void>> check_later(Obj& o) {
  co_await sleep(1ms);
  if (!o.healthy) co_return fail(Errc::closed, "ping");
  co_return Result<void>{};
}
struct AsyncCheckManager {
  using Object = Obj;
  Probe* probe;
  Task<Result<Obj>> create() { return make_obj(probe, Duration::zero()); }
  Task<Result<void>> recycle(Obj& o) { return check_later(o); }
};

TEST(Pool, asynchronous_recycle_checks) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<AsyncCheckManager> pool(AsyncCheckManager{&probe}, cfg(2));
    { auto a = co_await pool.acquire(); }
    {
      auto b = co_await pool.acquire();
      CO_ASSERT_OK(b);
      EXPECT_EQ((*b)->id, 1);  // passed the check: reused
      (*b)->healthy = false;
    }
    auto c = co_await pool.acquire();
    CO_ASSERT_OK(c);
    EXPECT_EQ((*c)->id, 2);
    EXPECT_EQ(pool.metrics().health_failed, 1u);
    EXPECT_EQ(pool.metrics().reused, 1u);
  }());
}

TEST(Pool, unhealthy_idle_objects_are_replaced_transparently) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<TestManager> pool(TestManager{&probe}, cfg(2));
    {
      auto a = co_await pool.acquire();
      CO_ASSERT_OK(a);
      (*a)->healthy = false;  // e.g. the peer closed the connection while it was idle
    }
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(b);
    EXPECT_EQ((*b)->id, 2);
    auto m = pool.metrics();
    EXPECT_EQ(m.health_failed, 1u);
    EXPECT_EQ(m.size, 1u);
    EXPECT_EQ(probe.alive.load(), 1);
  }());
}

TEST(Pool, discard_and_detach_free_the_slot) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<TestManager> pool(TestManager{&probe}, cfg(1));
    auto a = co_await pool.acquire();
    CO_ASSERT_OK(a);
    a->discard();
    EXPECT_EQ(probe.alive.load(), 0);
    EXPECT_EQ(pool.metrics().size, 0u);
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(b);
    Obj kept = std::move(*b).detach();
    EXPECT_EQ(kept.id, 2);
    EXPECT_EQ(probe.alive.load(), 1);
    auto m = pool.metrics();
    EXPECT_EQ(m.size, 0u);
    EXPECT_EQ(m.in_use, 0u);
    EXPECT_EQ(m.discarded, 2u);
    auto c = co_await pool.acquire();  // the slot is free again
    CO_ASSERT_OK(c);
    EXPECT_EQ((*c)->id, 3);
  }());
}

TEST(Pool, max_idle_bounds_the_idle_list) {
  run_current([]() -> Task<void> {
    Probe probe;
    PoolConfig c = cfg(3);
    c.max_idle = 1;
    Pool<TestManager> pool(TestManager{&probe}, c);
    {
      auto a = co_await pool.acquire();
      auto b = co_await pool.acquire();
      auto d = co_await pool.acquire();
      CO_ASSERT_OK(d);
    }
    EXPECT_EQ(pool.metrics().idle, 1u);
    EXPECT_EQ(pool.metrics().size, 1u);
    EXPECT_EQ(probe.alive.load(), 1);
  }());
}

TEST(Pool, create_errors_propagate_and_free_the_slot) {
  run_current([]() -> Task<void> {
    Probe probe;
    probe.fail_create = true;
    Pool<TestManager> pool(TestManager{&probe}, cfg(1));
    auto a = co_await pool.acquire();
    CO_ASSERT_TRUE(!a);
    EXPECT_EQ(a.error(), std::errc::connection_refused);
    EXPECT_EQ(pool.metrics().create_failed, 1u);
    EXPECT_EQ(pool.metrics().size, 0u);
    probe.fail_create = false;
    auto b = co_await pool.acquire();
    CO_ASSERT_OK(b);
  }());
}

Task<void> expect_closed(Pool<TestManager>& pool) {
  auto r = co_await pool.acquire();
  CO_ASSERT_TRUE(!r);
  EXPECT_EQ(r.error(), Errc::closed);
}

TEST(Pool, pool_destroyed_before_its_guards) {
  run_current([]() -> Task<void> {
    Probe probe;
    auto pool = std::make_unique<Pool<TestManager>>(TestManager{&probe}, cfg(1));
    auto a = co_await pool->acquire();
    CO_ASSERT_OK(a);
    auto waiter = spawn(expect_closed(*pool));
    co_await sleep(2ms);
    EXPECT_EQ(pool->metrics().waiters, 1u);
    pool.reset();  // the waiter fails with Errc::closed; the guard stays valid
    co_await waiter;
    EXPECT_EQ((*a)->id, 1);
    EXPECT_EQ(probe.alive.load(), 1);
    { auto drop = std::move(*a); }  // destroyed, not pooled
    EXPECT_EQ(probe.alive.load(), 0);
  }());
}

TEST(Pool, cancelled_waiters_leave_the_queue) {
  run_current([]() -> Task<void> {
    Probe probe;
    Pool<TestManager> pool(TestManager{&probe}, cfg(1, Duration::zero()));  // wait forever
    auto a = co_await pool.acquire();
    CO_ASSERT_OK(a);
    auto r = co_await timeout(20ms, pool.acquire());
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(pool.metrics().waiters, 0u);
    // A waiter handed the object and then aborted before running passes it on.
    auto w1 = spawn(pool.acquire());
    co_await sleep(2ms);
    auto w2 = spawn(pool.acquire());
    co_await sleep(2ms);
    EXPECT_EQ(pool.metrics().waiters, 2u);
    { auto drop = std::move(*a); }  // handed to w1 ...
    w1.abort();                     // ... which is cancelled before it runs
    auto got = co_await w2;
    CO_ASSERT_OK(got);
    CO_ASSERT_OK(*got);
    EXPECT_EQ((**got)->id, 1);
    EXPECT_EQ(pool.metrics().size, 1u);
  }());
}

Task<void> hammer(Pool<TestManager>& pool, int rounds, std::atomic<int>& errors) {
  for (int i = 0; i < rounds; ++i) {
    auto g = co_await pool.acquire();
    if (!g) {
      errors.fetch_add(1);
      continue;
    }
    if ((*g)->users.fetch_add(1) != 0) errors.fetch_add(1);  // exclusive use
    if (i % 3 == 0) co_await yield_now();
    (*g)->users.fetch_sub(1);
    if (i % 17 == 0) g->discard();
  }
}

TEST(Pool, stress_on_the_multi_thread_runtime) {
  Probe probe;
  std::atomic<int> errors{0};
  {
    Pool<TestManager> pool(TestManager{&probe}, cfg(4, 10s));
    run_multi(
        [](Pool<TestManager>& p, std::atomic<int>& errs) -> Task<void> {
          std::vector<JoinHandle<void>> hs;
          for (int t = 0; t < 32; ++t) hs.push_back(spawn(hammer(p, 300, errs)));
          for (auto& h : hs) co_await h;
        }(pool, errors),
        2, 60s);
    auto m = pool.metrics();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(m.in_use, 0u);
    EXPECT_EQ(m.waiters, 0u);
    EXPECT_LE(m.size, 4u);
    EXPECT_EQ(m.size, m.idle);
    EXPECT_EQ(m.created + m.reused, 32u * 300u);
    EXPECT_EQ(static_cast<std::size_t>(probe.alive.load()), m.size);
  }
  EXPECT_EQ(probe.alive.load(), 0);
}

// A keyed manager: the key is the object id's hundreds.
struct KeyedManagerT {
  using Object = Obj;
  Probe* probe;
  Task<Result<Obj>> create(const int& key) { return make_keyed(probe, key); }
  static Task<Result<Obj>> make_keyed(Probe* p, int key) {
    p->created.fetch_add(1);
    co_return Obj(key * 100 + p->created.load(), p);
  }
};

Task<void> acquire_key_and_hold(KeyedPool<int, KeyedManagerT>& pool, int key, bool& got) {
  auto g = co_await pool.acquire(key);
  CO_ASSERT_OK(g);
  got = true;
}

TEST(KeyedPool, per_key_and_global_limits) {
  run_current([]() -> Task<void> {
    Probe probe;
    net::KeyedPoolConfig c;
    c.per_key = cfg(2, 100ms);
    c.max_total = 3;
    KeyedPool<int, KeyedManagerT> pool(KeyedManagerT{&probe}, c);
    auto a1 = co_await pool.acquire(1);
    auto a2 = co_await pool.acquire(1);
    CO_ASSERT_OK(a2);
    auto a3 = co_await pool.acquire(1);  // per-key max 2
    CO_ASSERT_TRUE(!a3);
    EXPECT_EQ(a3.error(), Errc::timed_out);
    auto b1 = co_await pool.acquire(2);
    CO_ASSERT_OK(b1);
    EXPECT_EQ((*b1)->id / 100, 2);
    EXPECT_EQ(pool.total_size(), 3u);
    auto b2 = co_await pool.acquire(2);  // global max 3, nothing idle to evict
    CO_ASSERT_TRUE(!b2);
    EXPECT_EQ(b2.error(), Errc::timed_out);
    EXPECT_EQ(pool.metrics(2).timed_out, 1u);
    // Key 1 returns an object while key 2 waits for a global slot: it is freed for key 2.
    bool got = false;
    auto h = spawn(acquire_key_and_hold(pool, 2, got));
    co_await sleep(5ms);
    { auto drop = std::move(*a1); }
    co_await h;
    EXPECT_TRUE(got);
    EXPECT_LE(pool.total_size(), 3u);
    // An idle object of another key is evicted to make room.
    { auto drop = std::move(*a2); }  // key 1: idle
    auto b3 = co_await pool.acquire(2);
    CO_ASSERT_OK(b3);
    auto b4 = co_await pool.acquire(3);  // full: evicts key 1's idle object
    CO_ASSERT_OK(b4);
    EXPECT_EQ(pool.metrics(1).size, 0u);
    EXPECT_EQ(pool.total_size(), 3u);
    EXPECT_EQ(pool.key_count(), 3u);
    EXPECT_EQ(probe.alive.load(), 3);
  }());
}

// Real connections: a pool of TcpStreams to a loopback echo server.
struct EchoConns {
  using Object = net::TcpStream;
  net::SocketAddr addr;
  net::ConnectFuture create() { return net::TcpStream::connect(addr); }
  bool recycle(net::TcpStream& s) {
    // An idle connection must have nothing to read: data or EOF means it is unusable.
    std::array<std::byte, 1> b;
    auto r = s.try_read(b);
    return !r && r.error() == std::errc::operation_would_block;
  }
};

Task<void> ping(net::TcpStream& s, std::string msg) {
  CO_ASSERT_OK(co_await io::write_all(s, io::as_bytes(msg)));
  std::string back(msg.size(), '\0');
  CO_ASSERT_OK(co_await io::read_exact(s, std::as_writable_bytes(std::span(back))));
  EXPECT_EQ(back, msg);
}

TEST(Pool, pools_real_tcp_streams) {
  run_current([]() -> Task<void> {
    auto l = net::TcpListener::bind(loopback());
    CO_ASSERT_OK(l);
    auto server = spawn(echo_server(*l, 2));
    Pool<EchoConns> pool(EchoConns{*l->local_addr()}, cfg(2));
    net::SocketAddr first_local;
    {
      auto c = co_await pool.acquire();
      CO_ASSERT_OK(c);
      first_local = *(*c)->local_addr();
      co_await ping(**c, "one");
    }
    {
      auto c = co_await pool.acquire();  // the same connection
      CO_ASSERT_OK(c);
      EXPECT_EQ(*(*c)->local_addr(), first_local);
      co_await ping(**c, "two");
      CO_ASSERT_OK((*c)->shutdown_write_now());  // the server echoes EOF and closes
      co_await sleep(20ms);
    }
    {
      auto c = co_await pool.acquire();  // the closed one fails recycle(): a new connection
      CO_ASSERT_OK(c);
      EXPECT_NE(*(*c)->local_addr(), first_local);
      co_await ping(**c, "three");
      CO_ASSERT_OK((*c)->shutdown_write_now());
    }
    auto m = pool.metrics();
    EXPECT_EQ(m.created, 2u);
    EXPECT_EQ(m.reused, 1u);
    EXPECT_EQ(m.health_failed, 1u);
    co_await server;
  }());
}

}  // namespace
}  // namespace strata::test
