// Scheduler throughput: spawn + complete, yield, chained spawns, ping-pong (tokio-rt shapes).
//
// The workloads are strata-rt-bench's (bench/common/tokio_rt_workloads.hpp), on a current-thread
// runtime. One Google Benchmark iteration is one sample of the tokio-rt workload; its time (manual
// time) is the sample's elapsed time, read where tokio-rt reads it ("in-runtime": t0 by the root
// task when it starts, t1 by the task that finishes the workload; "main thread": around submit +
// wait). Each benchmark owns one runtime, warmed up with 3 discarded samples (tokio-rt's warm-up;
// chained_spawn 15).
#include "bench_util.hpp"

namespace strata_bench {
namespace {

using strata::Runtime;
using strata::Task;
namespace rtb = strata_rt_bench;

constexpr int kWarmup = 3;

// ---------------------------------------------------------------------------------------------
// clock_now: the cost of one clock read, which is inside every number below.

void clock_now(benchmark::State& state) {
  run_samples(state, "clock_now", "ns/call", 0, rtb::kClockCalls,
              [] { return rtb::bench_clock_now(); });
}
BENCHMARK(clock_now)->Name("clock_now")->UseManualTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// spawn_many_local: the root task spawns 10,000 trivial tasks, then awaits the JoinHandles in
// spawn order (each handle dropped right after its await, inside the timed region, as Rust's
// `for h in handles` does). In-runtime timing. ns per task.

void spawn_many_local(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  run_samples(state, "spawn_many_local", "ns/task", kWarmup, rtb::kSpawnN,
              [&] { return rtb::bench_spawn_many_local(rt); });
}
BENCHMARK(spawn_many_local)->Name("spawn_many_local")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// spawn_detached_local (not in tokio-rt): as spawn_many_local, but every JoinHandle is dropped at
// once (detached) and completion is counted down: the root task spawns 10,000 trivial tasks that
// count down, then waits on the count-down's Notify; the last task reads t1. In-runtime timing.
// ns per task.

std::atomic<std::size_t> g_detached_count{0};

Task<void> detached_count_down(rtb::Done* st) {
  g_detached_count.fetch_add(1, std::memory_order_relaxed);
  st->count_down();
  co_return;
}

Task<std::uint64_t> spawn_detached_root(rtb::Done* st) {
  st->start();
  for (std::size_t i = 0; i < rtb::kSpawnN; ++i) strata::spawn(detached_count_down(st)).detach();
  co_await st->notify.notified();
  co_return st->elapsed.load(std::memory_order_acquire);
}

void spawn_detached_local(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  rtb::Done* st = rtb::Done::leak();
  run_samples(state, "spawn_detached_local", "ns/task", kWarmup, rtb::kSpawnN, [&] {
    g_detached_count.store(0, std::memory_order_relaxed);
    st->arm(rtb::kSpawnN);
    std::uint64_t ns = rt.block_on(spawn_detached_root(st));
    check(g_detached_count.load(std::memory_order_relaxed) == rtb::kSpawnN,
          "spawn_detached_local: counter");
    return static_cast<double>(ns) / rtb::kSpawnN;
  });
}
BENCHMARK(spawn_detached_local)->Name("spawn_detached_local")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// The tokio-rt workloads that signal completion through a count-down (one Done per benchmark):
//
// - spawn_many_remote: the main thread (not driving the runtime) spawns 10,000 detached trivial
//   tasks through the runtime handle, then drives it until the last one counted down. Main-thread
//   timing. With a current-thread runtime: "enqueue 10,000 from outside, then drain". ns per task.
// - yield_many: the main thread spawns 200 tasks; each does 1,000 `co_await yield_now()` and
//   counts down. Main-thread timing. ns per yield.
// - chained_spawn: the root task reads t0 and spawns a task, which spawns the next, ..., 1,000
//   spawns in all; the last task counts down (reads t1). In-runtime timing. ns per spawn.
// - ping_pong (tokio's benches/rt_multi_threaded.rs shape): the root task spawns 1,000 ping
//   tasks; each creates two oneshot channels, spawns a pong task (awaits rx1, sends on tx2), sends
//   on tx1, awaits rx2 and counts down. In-runtime timing. ns per pair (2 spawns, 2 oneshots,
//   1 round trip).
// - ping_pong_mpsc (tokio-rt's supplemental benchmark): 100 pairs of tasks, each 1,000 round
//   trips over two bounded mpsc channels of capacity 1. In-runtime timing. ns per round trip,
//   aggregate.

struct CountDownWorkload {
  const char* name;
  const char* unit;
  int warmup;       // discarded samples
  std::size_t ops;  // operations per sample
  double (*run)(Runtime&, rtb::Done*);
};

constexpr CountDownWorkload kCountDownWorkloads[] = {
    {"spawn_many_remote", "ns/task", kWarmup, rtb::kSpawnN, rtb::bench_spawn_many_remote},
    {"yield_many", "ns/yield", kWarmup, rtb::kYieldTasks* rtb::kYieldsPerTask,
     rtb::bench_yield_many},
    {"chained_spawn", "ns/spawn", 5 * kWarmup, rtb::kChainDepth, rtb::bench_chained_spawn},
    {"ping_pong", "ns/pair", kWarmup, rtb::kPingPongPairs, rtb::bench_ping_pong},
    {"ping_pong_mpsc", "ns/round-trip", kWarmup, rtb::kMpscPairs* rtb::kMpscRounds,
     rtb::bench_ping_pong_mpsc},
};

void count_down_workload(benchmark::State& state, const CountDownWorkload& w) {
  auto rt = Runtime::current_thread();
  rtb::Done* st = rtb::Done::leak();
  run_samples(state, w.name, w.unit, w.warmup, w.ops, [&] { return w.run(rt, st); });
}

// Registered during static initialisation, after the BENCHMARKs above, in the table's order.
[[maybe_unused]] const bool g_count_down_registered = [] {
  for (const CountDownWorkload& w : kCountDownWorkloads) {
    benchmark::RegisterBenchmark(w.name, count_down_workload, w)->UseManualTime();
  }
  return true;
}();

}  // namespace
}  // namespace strata_bench
