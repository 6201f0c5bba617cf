// Wake → poll latency (tokio-rt's wake_latency_task and wake_latency_thread).
//
// Each benchmark runs once (Iterations(1)) and reports the distribution of its individual
// samples as counters: min, p50, p90, p99, p999, max, mean (ns, nearest-rank percentiles).
#include <pthread.h>
#include <sched.h>

#include <thread>

#include "bench_util.hpp"

namespace strata_bench {
namespace {

using strata::Runtime;
using strata::Task;

struct WakeState {
  std::atomic<std::uint64_t> t0{0};
  Notify wake;
  Notify ack;
  std::atomic<std::uint64_t> ready{0};
};

// ---------------------------------------------------------------------------------------------
// wake_latency_task: a waiter task and a notifier task on the runtime ping-pong through two
// Notifys. The notifier reads t0 and wakes the waiter, runs on until it suspends on `ack`, the
// scheduler picks the waiter, which reads the clock: sample = t1 - t0.
//
//   waiter:   ack.notify_one(); repeat { wake.notified().await; sample; ack.notify_one(); }
//   notifier: repeat { ack.notified().await; t0 = now; wake.notify_one(); }

Task<std::vector<std::uint64_t>> task_waiter(WakeState* st, std::size_t keep, std::size_t warm) {
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

Task<void> task_notifier(WakeState* st, std::size_t total) {
  for (std::size_t i = 0; i < total; ++i) {
    co_await st->ack.notified();
    st->t0.store(now_ns(), std::memory_order_release);
    st->wake.notify_one();
  }
}

void wake_latency_task(benchmark::State& state) {
  const Options& o = options();
  auto rt = Runtime::current_thread();
  std::vector<std::uint64_t> samples;
  for (auto _ : state) {
    WakeState st;
    // Waiter first, then the notifier, from the main thread (as tokio-rt).
    auto waiter = rt.spawn(task_waiter(&st, o.wake_samples, o.wake_warmup));
    rt.spawn(task_notifier(&st, o.wake_samples + o.wake_warmup)).detach();
    auto r = rt.block_on(std::move(waiter));
    check(r.has_value(), "wake_latency_task: waiter failed");
    samples = std::move(*r);
  }
  report_latency(state, "wake_latency_task", samples);
}
BENCHMARK(wake_latency_task)
    ->Name("wake_latency_task")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// wake_latency_thread: the notifier is a plain std::thread outside the runtime. Once the waiter
// has registered (published `ready` from inside the poll that registered it), the notifier waits
// the gap (20 µs, sched_yield loop) so that the runtime thread has gone idle and parked in
// epoll_wait, then reads t0 and notifies: notify → remote schedule (injection queue + eventfd
// unpark) → the OS wakes the runtime thread → the task is polled and reads t1.

Task<std::vector<std::uint64_t>> thread_waiter(WakeState* st, std::size_t keep, std::size_t warm) {
  std::vector<std::uint64_t> v;
  v.reserve(keep);
  for (std::size_t i = 0; i < keep + warm; ++i) {
    co_await PublishWhenPending<Notify::Notified>{st->wake.notified(), &st->ready, i + 1};
    std::uint64_t t1 = now_ns();
    std::uint64_t d = t1 - st->t0.load(std::memory_order_acquire);
    if (i >= warm) v.push_back(d);
  }
  co_return v;
}

void thread_notifier(WakeState* st, std::size_t total, std::chrono::microseconds gap, int cpu) {
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  for (std::uint64_t i = 0; i < total; ++i) {
    // sched_yield while waiting, so that a notifier sharing the CPU with the runtime thread does
    // not starve it.
    while (st->ready.load(std::memory_order_acquire) != i + 1) sched_yield();
    auto seen = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - seen < gap) sched_yield();
    st->t0.store(now_ns(), std::memory_order_release);
    st->wake.notify_one();
  }
}

void wake_latency_thread(benchmark::State& state) {
  const Options& o = options();
  auto rt = Runtime::current_thread();
  std::vector<std::uint64_t> samples;
  for (auto _ : state) {
    WakeState st;
    std::size_t total = o.wake_thread_samples + o.wake_warmup;
    auto waiter = rt.spawn(thread_waiter(&st, o.wake_thread_samples, o.wake_warmup));
    std::thread notifier(thread_notifier, &st, total, std::chrono::microseconds(o.wake_gap_us),
                         o.notifier_cpu);
    auto r = rt.block_on(std::move(waiter));
    notifier.join();
    check(r.has_value(), "wake_latency_thread: waiter failed");
    samples = std::move(*r);
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
