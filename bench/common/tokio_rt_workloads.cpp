// The tokio-rt workloads on Strata's runtime, one for one (shared/bench/tokio-rt/README.md,
// "The benchmarks"): same sizes, same clock reads, same completion signalling.
//
// Rust async blocks become strata::Task coroutines (free functions: coroutine lambdas must not
// capture); tokio::spawn is strata::spawn (inside the runtime) or Runtime/Handle::spawn (from the
// main thread); a dropped JoinHandle is detach(); tokio::sync::{Notify, oneshot, mpsc} are
// strata::sync::{Notify, oneshot, mpsc}.
#include <pthread.h>
#include <sched.h>

#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "strata/rt/sync/mpsc.hpp"
#include "strata/rt/sync/oneshot.hpp"
#include "strata/rt/task.hpp"
#include "tokio_rt_workloads.hpp"

namespace strata_rt_bench {

using strata::Context;
using strata::JoinHandle;
using strata::Poll;
using strata::Runtime;
using strata::Task;
using strata::sync::Notify;

SteadyClock::time_point g_base = SteadyClock::now();

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "strata-rt-bench: check failed: %s\n", what);
    std::abort();
  }
}

namespace {

// Objects shared with tasks that may still touch them after the main thread has seen the result
// (tokio-rt leaks them): kept here until exit, so that they stay reachable and leak checkers quiet.
template <class T>
T* leak_reachable() {
  static std::mutex mu;
  static std::vector<std::unique_ptr<T>>* kept = new std::vector<std::unique_ptr<T>>;
  auto p = std::make_unique<T>();
  T* raw = p.get();
  std::lock_guard lock(mu);
  kept->push_back(std::move(p));
  return raw;
}

}  // namespace

Done* Done::leak() {
  return leak_reachable<Done>();
}

namespace {

// tokio-rt's COUNTER: "trivial task" = COUNTER.fetch_add(1, Relaxed); checked after each sample.
std::atomic<std::size_t> g_counter{0};

Task<void> trivial() {
  g_counter.fetch_add(1, std::memory_order_relaxed);
  co_return;
}

Task<void> trivial_count_down(Done* st) {
  g_counter.fetch_add(1, std::memory_order_relaxed);
  st->count_down();
  co_return;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// clock_now: 1,000,000 back-to-back clock reads. ns per call.

double bench_clock_now() {
  const auto start = SteadyClock::now();
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < kClockCalls; ++i) {
    acc += static_cast<std::uint64_t>(black_box(SteadyClock::now() - start).count());
  }
  black_box(acc);
  return elapsed_ns(start) / static_cast<double>(kClockCalls);
}

// ---------------------------------------------------------------------------------------------
// c2c_roundtrip: environment probe, no runtime. Two new threads pinned to cpu_a and cpu_b bounce
// one 128-byte-aligned cache line (store-release / spin-load-acquire). ns per round trip.

double bench_c2c_roundtrip(int cpu_a, int cpu_b, std::uint64_t round_trips) {
  return bench_env::c2c_roundtrip(cpu_a, cpu_b, round_trips);
}

// ---------------------------------------------------------------------------------------------
// spawn_many_local: the root task spawns 10,000 trivial tasks, then awaits the JoinHandles in
// spawn order (each dropped after its await, as Rust's `for h in handles`). Timed in-runtime.
// ns per task.

namespace {
Task<std::uint64_t> spawn_many_local_root() {
  const auto start = SteadyClock::now();
  std::vector<JoinHandle<void>> handles;
  handles.reserve(kSpawnN);
  for (std::size_t i = 0; i < kSpawnN; ++i) handles.push_back(strata::spawn(trivial()));
  for (auto& slot : handles) {
    JoinHandle<void> h = std::move(slot);
    auto r = co_await h;
    check(r.has_value(), "spawn_many_local: task failed");
  }
  std::vector<JoinHandle<void>>().swap(handles);
  co_return static_cast<std::uint64_t>(elapsed_ns(start));
}
}  // namespace

double bench_spawn_many_local(Runtime& rt) {
  g_counter.store(0, std::memory_order_relaxed);
  auto r = rt.block_on(rt.spawn(spawn_many_local_root()));
  check(r.has_value(), "spawn_many_local: root failed");
  check(g_counter.load(std::memory_order_relaxed) == kSpawnN, "spawn_many_local: counter");
  return static_cast<double>(*r) / kSpawnN;
}

// ---------------------------------------------------------------------------------------------
// spawn_many_remote: the main thread (not a runtime thread) spawns 10,000 detached trivial tasks
// through the runtime handle, then waits for the last count-down. Timed on the main thread.

double bench_spawn_many_remote(Runtime& rt, Done* st) {
  g_counter.store(0, std::memory_order_relaxed);
  st->arm(kSpawnN);
  strata::Handle handle = rt.handle();
  const auto start = SteadyClock::now();
  for (std::size_t i = 0; i < kSpawnN; ++i) handle.spawn(trivial_count_down(st)).detach();
  st->wait(rt);
  const double el = elapsed_ns(start);
  check(g_counter.load(std::memory_order_relaxed) == kSpawnN, "spawn_many_remote: counter");
  return el / kSpawnN;
}

// ---------------------------------------------------------------------------------------------
// yield_many: the main thread spawns 200 tasks; each yields 1,000 times, then counts down.
// Timed on the main thread. ns per yield.

namespace {
Task<void> yield_task(Done* st) {
  for (std::size_t i = 0; i < kYieldsPerTask; ++i) co_await strata::yield_now();
  st->count_down();
}
}  // namespace

double bench_yield_many(Runtime& rt, Done* st) {
  st->arm(kYieldTasks);
  strata::Handle handle = rt.handle();
  const auto start = SteadyClock::now();
  for (std::size_t i = 0; i < kYieldTasks; ++i) handle.spawn(yield_task(st)).detach();
  st->wait(rt);
  return elapsed_ns(start) / static_cast<double>(kYieldTasks * kYieldsPerTask);
}

// ---------------------------------------------------------------------------------------------
// ping_pong (tokio's benches/rt_multi_threaded.rs): a root task spawns 1,000 ping tasks and
// returns; each ping creates two oneshots, spawns a pong (awaits rx1, sends on tx2), sends on
// tx1, awaits rx2 and counts down. Timed in-runtime (root start .. last count-down). ns per pair.

namespace {
// tokio-rt sends `()`. Not empty: with an empty T, g++ 12 (-O1, sanitizers) warns that
// oneshot::Receiver<T>::poll may move an uninitialised Error (a false positive; -Werror).
struct Unit {
  bool unused = false;
};
namespace oneshot = strata::sync::oneshot;

Task<void> pong(oneshot::Receiver<Unit> rx1, oneshot::Sender<Unit> tx2) {
  strata::Result<Unit> v = co_await rx1;
  check(v.has_value(), "ping_pong: rx1 closed");
  auto sent = tx2.send(Unit{});
  check(sent.has_value(), "ping_pong: rx2 dropped");
}

Task<void> ping(Done* st) {
  auto [tx1, rx1] = oneshot::channel<Unit>();
  auto [tx2, rx2] = oneshot::channel<Unit>();
  strata::spawn(pong(std::move(rx1), std::move(tx2))).detach();
  auto sent = tx1.send(Unit{});
  check(sent.has_value(), "ping_pong: rx1 dropped");
  strata::Result<Unit> v = co_await rx2;
  check(v.has_value(), "ping_pong: rx2 closed");
  st->count_down();
}

Task<void> ping_pong_root(Done* st) {
  st->start();
  for (std::size_t i = 0; i < kPingPongPairs; ++i) strata::spawn(ping(st)).detach();
  co_return;
}
}  // namespace

double bench_ping_pong(Runtime& rt, Done* st) {
  st->arm(kPingPongPairs);
  rt.spawn(ping_pong_root(st)).detach();
  st->wait(rt);
  return static_cast<double>(st->elapsed.load(std::memory_order_acquire)) / kPingPongPairs;
}

// ---------------------------------------------------------------------------------------------
// ping_pong_mpsc (supplemental): 100 concurrent pairs, each 1,000 round trips over two bounded
// mpsc channels of capacity 1 (an echo task and a driver task). Timed in-runtime. ns per round
// trip, aggregate.

namespace {
namespace mpsc = strata::sync::mpsc;

Task<void> mpsc_echo(mpsc::Receiver<std::uint64_t> ping_rx, mpsc::Sender<std::uint64_t> pong_tx) {
  for (;;) {
    std::optional<std::uint64_t> v = co_await ping_rx.recv();
    if (!v) break;
    strata::sync::SendResult<std::uint64_t> sent = co_await pong_tx.send(*v);
    check(sent.has_value(), "ping_pong_mpsc: pong receiver gone");
  }
}

Task<void> mpsc_driver(mpsc::Sender<std::uint64_t> ping_tx, mpsc::Receiver<std::uint64_t> pong_rx,
                       Done* st) {
  for (std::uint64_t i = 0; i < kMpscRounds; ++i) {
    strata::sync::SendResult<std::uint64_t> sent = co_await ping_tx.send(i);
    check(sent.has_value(), "ping_pong_mpsc: ping receiver gone");
    std::optional<std::uint64_t> v = co_await pong_rx.recv();
    check(v.has_value() && *v == i, "ping_pong_mpsc: wrong echo");
  }
  st->count_down();
}

Task<void> ping_pong_mpsc_root(Done* st) {
  st->start();
  for (std::size_t i = 0; i < kMpscPairs; ++i) {
    auto [ping_tx, ping_rx] = mpsc::channel<std::uint64_t>(1);
    auto [pong_tx, pong_rx] = mpsc::channel<std::uint64_t>(1);
    strata::spawn(mpsc_echo(std::move(ping_rx), std::move(pong_tx))).detach();
    strata::spawn(mpsc_driver(std::move(ping_tx), std::move(pong_rx), st)).detach();
  }
  co_return;
}
}  // namespace

double bench_ping_pong_mpsc(Runtime& rt, Done* st) {
  st->arm(kMpscPairs);
  rt.spawn(ping_pong_mpsc_root(st)).detach();
  st->wait(rt);
  return static_cast<double>(st->elapsed.load(std::memory_order_acquire)) /
         static_cast<double>(kMpscPairs * kMpscRounds);
}

// ---------------------------------------------------------------------------------------------
// chained_spawn: the root task reads t0 and calls chain(1000); chain(n) spawns a task running
// chain(n - 1); chain(0) counts down (reads t1). Timed in-runtime. ns per spawn.

namespace {
Task<void> chain_task(Done* st, std::size_t n);

void chain(Done* st, std::size_t n) {
  if (n == 0) {
    st->count_down();
  } else {
    strata::spawn(chain_task(st, n - 1)).detach();
  }
}

Task<void> chain_task(Done* st, std::size_t n) {
  chain(st, n);
  co_return;
}

Task<void> chained_spawn_root(Done* st) {
  st->start();
  chain(st, kChainDepth);
  co_return;
}
}  // namespace

double bench_chained_spawn(Runtime& rt, Done* st) {
  st->arm(1);
  rt.spawn(chained_spawn_root(st)).detach();
  st->wait(rt);
  return static_cast<double>(st->elapsed.load(std::memory_order_acquire)) / kChainDepth;
}

// ---------------------------------------------------------------------------------------------
// fib_seq / fanout_fib (and the _coarse variants, called with 35 / 20).

namespace {
[[gnu::noinline]] std::uint64_t fib_seq(std::uint32_t n) {
  if (n < 2) return n;
  return fib_seq(n - 1) + fib_seq(n - 2);
}

std::uint64_t fib_expected(std::uint32_t n) {
  std::uint64_t a = 0, b = 1;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

// n <= cutoff: fib_seq inline; else spawn fib(n-1) and fib(n-2) and await both (a first).
Task<std::uint64_t> fib_task(std::uint32_t n, std::uint32_t cutoff) {
  if (n <= cutoff) co_return fib_seq(black_box(n));
  JoinHandle<std::uint64_t> a = strata::spawn(fib_task(n - 1, cutoff));
  JoinHandle<std::uint64_t> b = strata::spawn(fib_task(n - 2, cutoff));
  auto ra = co_await a;
  auto rb = co_await b;
  check(ra.has_value() && rb.has_value(), "fanout_fib: task failed");
  co_return *ra + *rb;
}

struct FibOut {
  std::uint64_t value = 0;
  double elapsed_ns = 0;
};

// The wrapper task: times the root call, awaited inline (not itself spawned).
Task<FibOut> fanout_fib_wrapper(std::uint32_t n, std::uint32_t cutoff) {
  const auto start = SteadyClock::now();
  std::uint64_t r = co_await fib_task(n, cutoff);
  co_return FibOut{r, elapsed_ns(start)};
}
}  // namespace

double bench_fib_seq(std::uint32_t n) {
  const auto start = SteadyClock::now();
  std::uint64_t r = fib_seq(black_box(n));
  const double el = elapsed_ns(start);
  check(r == fib_expected(n), "fib_seq: wrong result");
  return el / 1e6;
}

double bench_fanout_fib(Runtime& rt, std::uint32_t n, std::uint32_t cutoff) {
  auto r = rt.block_on(rt.spawn(fanout_fib_wrapper(n, cutoff)));
  check(r.has_value(), "fanout_fib: wrapper failed");
  check(r->value == fib_expected(n), "fanout_fib: wrong result");
  return r->elapsed_ns / 1e6;
}

// ---------------------------------------------------------------------------------------------
// Wake latency

namespace {
struct WakeState {
  std::atomic<std::uint64_t> t0{0};
  Notify wake;
  Notify ack;
  std::atomic<std::uint64_t> ready{0};
};

// waiter:   ack.notify_one(); repeat { wake.notified().await; sample = now - t0;
//                                      ack.notify_one(); }
Task<std::vector<std::uint64_t>> wake_task_waiter(WakeState* st, std::size_t keep,
                                                  std::size_t warm) {
  std::vector<std::uint64_t> v;
  v.reserve(keep);
  st->ack.notify_one();
  for (std::size_t i = 0; i < keep + warm; ++i) {
    co_await st->wake.notified();
    std::uint64_t t1 = now_ns();
    std::uint64_t d = t1 - st->t0.load(std::memory_order_acquire);
    if (i >= warm) v.push_back(d);
    st->ack.notify_one();
  }
  co_return v;
}

// notifier: repeat { ack.notified().await; t0 = now; wake.notify_one(); }
Task<void> wake_task_notifier(WakeState* st, std::size_t total) {
  for (std::size_t i = 0; i < total; ++i) {
    co_await st->ack.notified();
    st->t0.store(now_ns(), std::memory_order_release);
    st->wake.notify_one();
  }
}

// Polls the inner future; on its first poll, which must be Pending (the waiter is registered and
// the task is about to suspend), publishes `val` in `flag` (tokio-rt's PublishWhenPending).
class PublishWhenPending {
 public:
  PublishWhenPending(Notify::Notified* inner, std::atomic<std::uint64_t>* flag,
                     std::uint64_t val) noexcept
      : inner_(inner), flag_(flag), val_(val) {}
  Poll<void> poll(Context& cx) {
    Poll<void> r = inner_->poll(cx);
    if (first_) {
      first_ = false;
      check(r.is_pending(), "wake_latency_thread: the waiter found a stray permit");
      flag_->store(val_, std::memory_order_release);
    }
    return r;
  }

 private:
  Notify::Notified* inner_;
  std::atomic<std::uint64_t>* flag_;
  std::uint64_t val_;
  bool first_ = true;
};

Task<std::vector<std::uint64_t>> wake_thread_waiter(WakeState* st, std::size_t keep,
                                                    std::size_t warm) {
  std::vector<std::uint64_t> v;
  v.reserve(keep);
  for (std::size_t i = 0; i < keep + warm; ++i) {
    Notify::Notified notified = st->wake.notified();
    co_await PublishWhenPending(&notified, &st->ready, i + 1);
    std::uint64_t t1 = now_ns();
    std::uint64_t d = t1 - st->t0.load(std::memory_order_acquire);
    if (i >= warm) v.push_back(d);
  }
  co_return v;
}
}  // namespace

// Task -> task: each sample is one wake of a suspended task by a task on a runtime thread.
std::vector<std::uint64_t> bench_wake_latency_task(Runtime& rt, std::size_t keep,
                                                   std::size_t warm) {
  WakeState* st = leak_reachable<WakeState>();  // never freed, as tokio-rt's
  JoinHandle<std::vector<std::uint64_t>> waiter = rt.spawn(wake_task_waiter(st, keep, warm));
  rt.spawn(wake_task_notifier(st, keep + warm)).detach();
  auto r = rt.block_on(std::move(waiter));
  check(r.has_value(), "wake_latency_task: waiter failed");
  return std::move(*r);
}

// std::thread -> task: the notifier thread waits until the waiter is registered, then `gap`
// (sched_yield while waiting, so a notifier sharing the runtime's CPU does not starve it), reads
// t0 and notifies; each sample is "wake an idle runtime from another thread -> task polled".
std::vector<std::uint64_t> bench_wake_latency_thread(Runtime& rt, std::size_t keep,
                                                     std::size_t warm,
                                                     std::chrono::microseconds gap,
                                                     std::optional<int> notifier_cpu) {
  WakeState* st = leak_reachable<WakeState>();  // never freed, as tokio-rt's
  const std::size_t total = keep + warm;
  JoinHandle<std::vector<std::uint64_t>> waiter = rt.spawn(wake_thread_waiter(st, keep, warm));
  std::thread notifier([st, total, gap, notifier_cpu] {
    pthread_setname_np(pthread_self(), "notifier");
    if (notifier_cpu) pin_current_thread(*notifier_cpu);
    for (std::uint64_t i = 0; i < total; ++i) {
      while (st->ready.load(std::memory_order_acquire) != i + 1) sched_yield();
      const auto seen = SteadyClock::now();
      while (SteadyClock::now() - seen < gap) sched_yield();
      st->t0.store(now_ns(), std::memory_order_release);
      st->wake.notify_one();
    }
  });
  auto r = rt.block_on(std::move(waiter));
  notifier.join();
  check(r.has_value(), "wake_latency_thread: waiter failed");
  return std::move(*r);
}

// ---------------------------------------------------------------------------------------------

namespace {
Task<void> empty_task() {
  co_return;
}

Task<void> warm_up_root() {
  for (int i = 0; i < 100; ++i) {
    auto r = co_await strata::spawn(empty_task());
    check(r.has_value(), "warm-up task failed");
  }
}
}  // namespace

void warm_up_runtime(Runtime& rt) {
  rt.block_on(warm_up_root());
}

}  // namespace strata_rt_bench
