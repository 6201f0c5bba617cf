// Wake → poll latency (tokio-rt's wake_latency_task and wake_latency_thread), strata-rt-bench's
// workloads (bench/common/tokio_rt_workloads.hpp) on a current-thread runtime.
//
// Each benchmark runs once (Iterations(1)) and reports the distribution of its individual
// samples as counters: min, p50, p90, p99, p999, max, mean (ns, nearest-rank percentiles).
#include <optional>

#include "bench_util.hpp"

namespace strata_bench {
namespace {

using strata::Runtime;
namespace rtb = strata_rt_bench;

// wake_latency_task: a waiter task and a notifier task on the runtime ping-pong through two
// Notifys. The notifier reads t0 and wakes the waiter, runs on until it suspends on `ack`, the
// scheduler picks the waiter, which reads the clock: sample = t1 - t0.
void wake_latency_task(benchmark::State& state) {
  const Options& o = options();
  auto rt = Runtime::current_thread();
  std::vector<std::uint64_t> samples;
  for (auto _ : state) samples = rtb::bench_wake_latency_task(rt, o.wake_samples, o.wake_warmup);
  report_latency(state, "wake_latency_task", samples);
}
BENCHMARK(wake_latency_task)
    ->Name("wake_latency_task")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// wake_latency_thread: the notifier is a plain std::thread outside the runtime. Once the waiter
// has registered (published `ready` from inside the poll that registered it), the notifier waits
// the gap (20 µs, sched_yield loop) so that the runtime thread has gone idle and parked in
// epoll_wait, then reads t0 and notifies: notify → remote schedule (injection queue + eventfd
// unpark) → the OS wakes the runtime thread → the task is polled and reads t1.
void wake_latency_thread(benchmark::State& state) {
  const Options& o = options();
  auto rt = Runtime::current_thread();
  std::optional<int> cpu;
  if (o.notifier_cpu >= 0) cpu = o.notifier_cpu;
  std::vector<std::uint64_t> samples;
  for (auto _ : state) {
    samples = rtb::bench_wake_latency_thread(rt, o.wake_thread_samples, o.wake_warmup,
                                             std::chrono::microseconds(o.wake_gap_us), cpu);
  }
  report_latency(state, "wake_latency_thread", samples);
}
BENCHMARK(wake_latency_thread)
    ->Name("wake_latency_thread")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata_bench
