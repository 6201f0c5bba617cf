// Scheduler throughput: spawn + complete, yield, chained spawns, ping-pong (tokio-rt shapes).
//
// One Google Benchmark iteration is one sample of the tokio-rt workload; its time (manual time)
// is the sample's elapsed time, read where tokio-rt reads it ("in-runtime": t0 by the root task
// when it starts, t1 by the task that finishes the workload; "main thread": around submit + wait).
// Each benchmark owns one runtime, warmed up with 3 discarded samples (tokio-rt's warm-up).
#include "bench_util.hpp"

namespace strata_bench {
namespace {

using strata::JoinHandle;
using strata::Runtime;
using strata::Task;

constexpr std::size_t kSpawnN = 10'000;
constexpr std::size_t kYieldTasks = 200;
constexpr std::size_t kYieldsPerTask = 1'000;
constexpr std::size_t kChainDepth = 1'000;
constexpr std::size_t kPingPongPairs = 1'000;
constexpr int kWarmup = 3;

// tokio-rt's COUNTER: the only work of a trivial task; checked after each sample.
std::atomic<std::size_t> g_counter{0};

// ---------------------------------------------------------------------------------------------
// clock_now: the cost of one clock read, which is inside every number below.

void clock_now(benchmark::State& state) {
  constexpr std::size_t kCalls = 1'000'000;
  PerOp per("clock_now", "ns/call");
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < kCalls; ++i) {
      acc += static_cast<std::uint64_t>((std::chrono::steady_clock::now() - start).count());
    }
    benchmark::DoNotOptimize(acc);
    double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(ns / 1e9);
    per.add(ns / kCalls);
  }
  per.report(state);
}
BENCHMARK(clock_now)->Name("clock_now")->UseManualTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// spawn_many_local: the root task spawns 10,000 trivial Task<int>s, then awaits the JoinHandles
// in spawn order (each handle dropped right after its await, inside the timed region, as Rust's
// `for h in handles` does). In-runtime timing. ns per task.

Task<int> trivial() {
  g_counter.fetch_add(1, std::memory_order_relaxed);
  co_return 1;
}

Task<std::uint64_t> spawn_many_local_root(std::size_t n) {
  std::uint64_t t0 = now_ns();
  std::vector<JoinHandle<int>> handles;
  handles.reserve(n);
  for (std::size_t i = 0; i < n; ++i) handles.push_back(strata::spawn(trivial()));
  std::size_t sum = 0;
  for (auto& slot : handles) {
    JoinHandle<int> h = std::move(slot);
    auto r = co_await h;
    sum += static_cast<std::size_t>(*r);
  }
  std::vector<JoinHandle<int>>().swap(handles);
  std::uint64_t t1 = now_ns();
  check(sum == n, "spawn_many_local: wrong sum of outputs");
  co_return t1 - t0;
}

void spawn_many_local(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  PerOp per("spawn_many_local", "ns/task");
  auto sample = [&] {
    g_counter.store(0, std::memory_order_relaxed);
    std::uint64_t ns = rt.block_on(spawn_many_local_root(kSpawnN));
    check(g_counter.load(std::memory_order_relaxed) == kSpawnN, "spawn_many_local: counter");
    return ns;
  };
  for (int i = 0; i < kWarmup; ++i) sample();
  for (auto _ : state) {
    std::uint64_t ns = sample();
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    per.add(static_cast<double>(ns) / kSpawnN);
  }
  per.report(state);
}
BENCHMARK(spawn_many_local)->Name("spawn_many_local")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// spawn_detached_local: as spawn_many_local, but every JoinHandle is dropped at once (detached)
// and completion is counted down: the root task spawns 10,000 trivial tasks that count down,
// then waits on the count-down's Notify; the last task reads t1. In-runtime timing. ns per task.

Task<void> trivial_count_down(CountDown* cd) {
  g_counter.fetch_add(1, std::memory_order_relaxed);
  cd->count_down();
  co_return;
}

Task<std::uint64_t> spawn_detached_root(CountDown* cd, std::size_t n) {
  cd->start();
  for (std::size_t i = 0; i < n; ++i) strata::spawn(trivial_count_down(cd)).detach();
  co_await cd->notify.notified();
  co_return cd->elapsed.load(std::memory_order_acquire);
}

void spawn_detached_local(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  CountDown cd;
  PerOp per("spawn_detached_local", "ns/task");
  auto sample = [&] {
    g_counter.store(0, std::memory_order_relaxed);
    cd.arm(kSpawnN);
    std::uint64_t ns = rt.block_on(spawn_detached_root(&cd, kSpawnN));
    check(g_counter.load(std::memory_order_relaxed) == kSpawnN, "spawn_detached_local: counter");
    return ns;
  };
  for (int i = 0; i < kWarmup; ++i) sample();
  for (auto _ : state) {
    std::uint64_t ns = sample();
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    per.add(static_cast<double>(ns) / kSpawnN);
  }
  per.report(state);
}
BENCHMARK(spawn_detached_local)->Name("spawn_detached_local")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// spawn_many_remote: the main thread (not driving the runtime) spawns 10,000 detached trivial
// tasks through the runtime, then drives it until the last one counted down. Main-thread timing.
// With a current-thread runtime: "enqueue 10,000 from outside, then drain". ns per task.

void spawn_many_remote(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  strata::Handle handle = rt.handle();
  CountDown cd;
  PerOp per("spawn_many_remote", "ns/task");
  auto sample = [&] {
    g_counter.store(0, std::memory_order_relaxed);
    cd.arm(kSpawnN);
    std::uint64_t t0 = now_ns();
    for (std::size_t i = 0; i < kSpawnN; ++i) handle.spawn(trivial_count_down(&cd)).detach();
    cd.wait(rt);
    std::uint64_t ns = now_ns() - t0;
    check(g_counter.load(std::memory_order_relaxed) == kSpawnN, "spawn_many_remote: counter");
    return ns;
  };
  for (int i = 0; i < kWarmup; ++i) sample();
  for (auto _ : state) {
    std::uint64_t ns = sample();
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    per.add(static_cast<double>(ns) / kSpawnN);
  }
  per.report(state);
}
BENCHMARK(spawn_many_remote)->Name("spawn_many_remote")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// yield_many: the main thread spawns 200 tasks; each does 1,000 `co_await yield_now()` and counts
// down. Main-thread timing. ns per yield.

Task<void> yield_task(CountDown* cd) {
  for (std::size_t i = 0; i < kYieldsPerTask; ++i) co_await strata::yield_now();
  cd->count_down();
}

void yield_many(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  CountDown cd;
  PerOp per("yield_many", "ns/yield");
  auto sample = [&] {
    cd.arm(kYieldTasks);
    std::uint64_t t0 = now_ns();
    for (std::size_t i = 0; i < kYieldTasks; ++i) rt.spawn(yield_task(&cd)).detach();
    cd.wait(rt);
    return now_ns() - t0;
  };
  for (int i = 0; i < kWarmup; ++i) sample();
  for (auto _ : state) {
    std::uint64_t ns = sample();
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    per.add(static_cast<double>(ns) / (kYieldTasks * kYieldsPerTask));
  }
  per.report(state);
}
BENCHMARK(yield_many)->Name("yield_many")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// chained_spawn: the root task reads t0 and spawns a task, which spawns the next, ..., 1,000
// spawns in all; the last task counts down (reads t1). In-runtime timing. ns per spawn.

Task<void> chain_task(CountDown* cd, std::size_t n);

void chain(CountDown* cd, std::size_t n) {
  if (n == 0) {
    cd->count_down();
  } else {
    strata::spawn(chain_task(cd, n - 1)).detach();
  }
}

Task<void> chain_task(CountDown* cd, std::size_t n) {
  chain(cd, n);
  co_return;
}

Task<std::uint64_t> chained_spawn_root(CountDown* cd) {
  cd->start();
  chain(cd, kChainDepth);
  co_await cd->notify.notified();
  co_return cd->elapsed.load(std::memory_order_acquire);
}

void chained_spawn(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  CountDown cd;
  PerOp per("chained_spawn", "ns/spawn");
  auto sample = [&] {
    cd.arm(1);
    return rt.block_on(chained_spawn_root(&cd));
  };
  for (int i = 0; i < 5 * kWarmup; ++i) sample();
  for (auto _ : state) {
    std::uint64_t ns = sample();
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    per.add(static_cast<double>(ns) / kChainDepth);
  }
  per.report(state);
}
BENCHMARK(chained_spawn)->Name("chained_spawn")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// ping_pong (tokio's benches/rt_multi_threaded.rs shape): the root task spawns 1,000 ping tasks;
// each creates two oneshot channels, spawns a pong task (awaits rx1, sends on tx2), sends on tx1,
// awaits rx2 and counts down. In-runtime timing. ns per pair (2 spawns, 2 oneshots, 1 round
// trip).

Task<void> pong(Oneshot<Unit>::Receiver rx1, Oneshot<Unit>::Sender tx2) {
  std::optional<Unit> v = co_await rx1;
  check(v.has_value(), "ping_pong: rx1 closed");
  std::move(tx2).send(Unit{});
}

Task<void> ping(CountDown* cd) {
  auto [tx1, rx1] = Oneshot<Unit>::channel();
  auto [tx2, rx2] = Oneshot<Unit>::channel();
  strata::spawn(pong(std::move(rx1), std::move(tx2))).detach();
  std::move(tx1).send(Unit{});
  std::optional<Unit> v = co_await rx2;
  check(v.has_value(), "ping_pong: rx2 closed");
  cd->count_down();
}

Task<std::uint64_t> ping_pong_root(CountDown* cd) {
  cd->start();
  for (std::size_t i = 0; i < kPingPongPairs; ++i) strata::spawn(ping(cd)).detach();
  co_await cd->notify.notified();
  co_return cd->elapsed.load(std::memory_order_acquire);
}

void ping_pong(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  CountDown cd;
  PerOp per("ping_pong", "ns/pair");
  auto sample = [&] {
    cd.arm(kPingPongPairs);
    return rt.block_on(ping_pong_root(&cd));
  };
  for (int i = 0; i < kWarmup; ++i) sample();
  for (auto _ : state) {
    std::uint64_t ns = sample();
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    per.add(static_cast<double>(ns) / kPingPongPairs);
  }
  per.report(state);
}
BENCHMARK(ping_pong)->Name("ping_pong")->UseManualTime();

}  // namespace
}  // namespace strata_bench
