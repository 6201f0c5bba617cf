// Shared pieces of the runtime micro-benchmarks (strata-bench-rt).
//
// The tokio-rt workloads (spawn, yield, ping-pong, wake latency) are the ones strata-rt-bench
// runs, from bench/common/tokio_rt_workloads.hpp (same sizes, same clock reads, same completion
// signalling, strata::sync primitives); this program reports them through Google Benchmark.
// Here: the small futures of the timer benchmarks and the reporting (counters, summary, JSON).
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/rt.hpp"
#include "tokio_rt_workloads.hpp"

namespace strata_bench {

using strata::Context;
using strata::Poll;
using strata_rt_bench::check;
using strata_rt_bench::now_ns;

// ---------------------------------------------------------------------------------------------
// Small futures.

// Polls `*f` exactly once: Ready(true) if it completed, Ready(false) if it was pending (it then
// stays armed until *f is destroyed).
template <class F>
struct PollOnce {
  F* f;
  Poll<bool> poll(Context& cx) { return f->poll(cx).is_ready(); }
};

// Always ready.
struct ReadyUnit {
  Poll<void> poll(Context&) noexcept { return strata::ready; }
};

// ---------------------------------------------------------------------------------------------
// Results: every benchmark reports per-operation values through Google Benchmark counters and
// also records them here, for the tokio-rt style summary tables and JSON written by main().

struct Record {
  std::string bench;
  std::string unit;
  bool latency = false;        // values are raw latency samples (ns), not per-sample values
  std::vector<double> values;  // per-sample ns per operation, or latency samples
};

// Replaces an earlier record of the same bench (Google Benchmark calls a benchmark function
// several times while it settles the iteration count; the last call is the reported one).
void record(Record r);
const std::vector<Record>& records();

struct Dist {
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};
// Nearest-rank percentiles (sorted[ceil(q*n) - 1]), as tokio-rt.
Dist distribution(std::vector<double> v);
double median(std::vector<double> v);

// Collects one per-operation value per iteration of a benchmark (one iteration = one sample of
// the tokio-rt workload) and reports them: counters ns_per_op (mean over iterations), median and
// min; the unit goes in the label.
class PerOp {
 public:
  PerOp(std::string bench, std::string unit) : bench_(std::move(bench)), unit_(std::move(unit)) {}
  void add(double ns_per_op) { v_.push_back(ns_per_op); }
  void report(benchmark::State& state);

 private:
  std::string bench_;
  std::string unit_;
  std::vector<double> v_;
};

// One sample of `ops` operations that took `ns`: the iteration's manual time and one per-op value.
inline void finish_batch(benchmark::State& state, PerOp& per, double ns, std::size_t ops) {
  state.SetIterationTime(ns / 1e9);
  per.add(ns / static_cast<double>(ops));
}

// A tokio-rt per-rep benchmark: `warmup` discarded samples, then one sample per iteration.
// `sample()` runs one sample of `ops` operations and returns its per-operation value (ns).
template <class F>
void run_samples(benchmark::State& state, const char* bench, const char* unit, int warmup,
                 std::size_t ops, F sample) {
  PerOp per(bench, unit);
  for (int i = 0; i < warmup; ++i) sample();
  for (auto _ : state) finish_batch(state, per, sample() * static_cast<double>(ops), ops);
  per.report(state);
}

// Latency samples (ns): counters min/p50/p90/p99/p999/max/mean.
void report_latency(benchmark::State& state, const std::string& bench,
                    const std::vector<std::uint64_t>& samples);

// Options of the program that are not Google Benchmark flags (parsed in main()).
struct Options {
  std::size_t wake_samples = 100'000;
  std::size_t wake_thread_samples = 20'000;
  std::size_t wake_warmup = 1'000;
  std::uint64_t wake_gap_us = 20;
  int notifier_cpu = -1;
};
Options& options();

}  // namespace strata_bench
