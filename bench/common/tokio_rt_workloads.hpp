// The tokio-rt workloads on Strata's runtime, one for one (shared/bench/tokio-rt/README.md is the
// specification, its src/main.rs the reference): clock, CPU pinning, the count-down completion
// signal and one function per workload, each running ONE sample. Shared by strata-rt-bench
// (bench/runtime_compare: tokio-rt's flags, tables and JSON) and strata-bench-rt (bench/rt:
// Google Benchmark), so that both programs measure exactly the same code.
//
//   strata::Runtime rt = strata::Runtime::current_thread();
//   strata_rt_bench::Done* st = strata_rt_bench::Done::leak();
//   double ns_per_pair = strata_rt_bench::bench_ping_pong(rt, st);
//
// tokio::sync::{Notify, oneshot, mpsc} are strata::sync's (strata/rt/sync.hpp), as tokio-rt uses
// tokio's own.
#pragma once

#include "bench_env.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "strata/rt/runtime.hpp"
#include "strata/rt/sync/notify.hpp"

namespace strata_rt_bench {

// ---------------------------------------------------------------------------------------------
// Workload sizes (fixed; the tokio-rt README quotes them). A sample of each benchmark is this
// many operations; its per-operation value is the sample's time divided by it.

inline constexpr std::size_t kClockCalls = 1'000'000;  // clock_now
inline constexpr std::size_t kSpawnN = 10'000;         // spawn_many_local / spawn_many_remote
inline constexpr std::size_t kYieldTasks = 200;        // yield_many
inline constexpr std::size_t kYieldsPerTask = 1'000;
inline constexpr std::size_t kPingPongPairs = 1'000;  // ping_pong (tokio's own shape)
inline constexpr std::size_t kMpscPairs = 100;        // ping_pong_mpsc (supplemental)
inline constexpr std::uint64_t kMpscRounds = 1'000;
inline constexpr std::size_t kChainDepth = 1'000;  // chained_spawn

// ---------------------------------------------------------------------------------------------
// Clock: std::chrono::steady_clock is CLOCK_MONOTONIC through the vDSO, like Rust's Instant.

using SteadyClock = std::chrono::steady_clock;

// The process-wide base instant (tokio-rt's BASE); strata-rt-bench resets it first thing in main.
extern SteadyClock::time_point g_base;

// Nanoseconds since g_base, storable in an atomic (tokio-rt's now_ns()).
inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - g_base).count());
}

inline double elapsed_ns(SteadyClock::time_point since) noexcept {
  return std::chrono::duration<double, std::nano>(SteadyClock::now() - since).count();
}

// Keeps the compiler from assuming anything about `v` (Rust's std::hint::black_box).
template <class T>
inline T black_box(T v) noexcept {
  asm volatile("" : "+r"(v) : : "memory");
  return v;
}

// Aborts with a message when a workload's result is wrong (tokio-rt's assert!).
void check(bool ok, const char* what);

// ---------------------------------------------------------------------------------------------
// CPU affinity

using bench_env::current_affinity;    // the calling thread's CPU set
using bench_env::pin_current_thread;  // aborts on failure

// ---------------------------------------------------------------------------------------------
// Count-down completion signal (tokio-rt's `Done`). One per benchmark, never freed, so tasks hold
// a plain pointer (no reference counting in the measured path) and the last count_down() may
// still be inside notify_one() after the main thread has moved on.

struct Done {
  std::atomic<std::size_t> remaining{0};
  std::atomic<std::uint64_t> t0{0};
  std::atomic<std::uint64_t> elapsed{0};
  strata::sync::Notify notify;

  // A Done that lives until the process exits (kept reachable, so leak checkers stay quiet).
  static Done* leak();
  void arm(std::size_t n) noexcept { remaining.store(n, std::memory_order_relaxed); }
  // Records the in-runtime start time (called by the root task).
  void start() noexcept { t0.store(now_ns(), std::memory_order_release); }
  // Called once by every unit of work; the last one records the elapsed time since start() and
  // wakes the main thread.
  void count_down() noexcept {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::uint64_t t1 = now_ns();
      elapsed.store(t1 - t0.load(std::memory_order_acquire), std::memory_order_release);
      notify.notify_one();
    }
  }
  // Main thread: rt.block_on(notify.notified()).
  void wait(strata::Runtime& rt) { rt.block_on(notify.notified()); }
};

// ---------------------------------------------------------------------------------------------
// Workloads. Each runs ONE sample and returns the per-operation value (ns, or ms for the fib
// benchmarks).

double bench_clock_now();
// ns per round trip between two new threads pinned to cpu_a and cpu_b.
double bench_c2c_roundtrip(int cpu_a, int cpu_b, std::uint64_t round_trips);
double bench_spawn_many_local(strata::Runtime& rt);
double bench_spawn_many_remote(strata::Runtime& rt, Done* st);
double bench_yield_many(strata::Runtime& rt, Done* st);
double bench_ping_pong(strata::Runtime& rt, Done* st);
double bench_ping_pong_mpsc(strata::Runtime& rt, Done* st);
double bench_chained_spawn(strata::Runtime& rt, Done* st);
double bench_fib_seq(std::uint32_t n);
double bench_fanout_fib(strata::Runtime& rt, std::uint32_t n, std::uint32_t cutoff);
// Raw latency samples (ns), `keep` of them after `warm` discarded.
std::vector<std::uint64_t> bench_wake_latency_task(strata::Runtime& rt, std::size_t keep,
                                                   std::size_t warm);
std::vector<std::uint64_t> bench_wake_latency_thread(strata::Runtime& rt, std::size_t keep,
                                                     std::size_t warm,
                                                     std::chrono::microseconds gap,
                                                     std::optional<int> notifier_cpu);
// Spawns and awaits 100 empty tasks so that the workers are up (before the first benchmark).
void warm_up_runtime(strata::Runtime& rt);

}  // namespace strata_rt_bench
