// strata-bench-rt: micro-benchmarks of the runtime core (Google Benchmark).
//
//   taskset -c 0 ./build/release/bench/strata-bench-rt            # everything, ~21 s
//   ./build/release/bench/strata-bench-rt --benchmark_filter=wake  # one group
//
// Own flags (everything else goes to Google Benchmark):
//   --wake-samples=N         wake_latency_task samples kept (100000, as tokio-rt)
//   --wake-thread-samples=N  wake_latency_thread samples kept (20000; tokio-rt uses 100000)
//   --wake-warmup=N          samples discarded first (1000)
//   --wake-gap-us=U          wake_latency_thread's notifier gap (20)
//   --notifier-cpu=C         pin wake_latency_thread's notifier thread
//   --json=FILE              also write tokio-rt's JSON shape ("impl": "strata", label "ct")
//
// After the run, a summary in tokio-rt's table format (median/min/max of the per-sample values,
// latency percentiles) goes to stdout (stderr when --benchmark_format is not console).
// What each benchmark measures, and results beside tokio: bench/rt/RESULTS.md.
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <numeric>
#include <string>
#include <string_view>

#include "bench_util.hpp"

namespace strata_bench {

namespace {
std::vector<Record>& record_store() {
  static std::vector<Record> r;
  return r;
}
}  // namespace

void record(Record r) {
  auto& store = record_store();
  for (auto& e : store) {
    if (e.bench == r.bench) {
      e = std::move(r);
      return;
    }
  }
  store.push_back(std::move(r));
}

const std::vector<Record>& records() {
  return record_store();
}

Options& options() {
  static Options o;
  return o;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Dist distribution(std::vector<double> v) {
  Dist d;
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  auto pct = [&](double q) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(rank, 1) - 1];
  };
  d.min = v.front();
  d.p50 = pct(0.50);
  d.p90 = pct(0.90);
  d.p99 = pct(0.99);
  d.p999 = pct(0.999);
  d.max = v.back();
  d.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return d;
}

void PerOp::report(benchmark::State& state) {
  if (v_.empty()) return;
  double sum = std::accumulate(v_.begin(), v_.end(), 0.0);
  // Counter values are per benchmark run; kAvgIterations divides by the iteration count, so
  // ns_per_op is the mean over iterations of the per-operation cost.
  state.counters["ns_per_op"] = benchmark::Counter(sum, benchmark::Counter::kAvgIterations);
  state.counters["median"] = median(v_);
  state.counters["min"] = *std::min_element(v_.begin(), v_.end());
  state.SetLabel(unit_);
  record({bench_, unit_, false, std::move(v_)});
  v_.clear();
}

void report_latency(benchmark::State& state, const std::string& bench,
                    const std::vector<std::uint64_t>& samples) {
  std::vector<double> v(samples.begin(), samples.end());
  Dist d = distribution(v);
  state.counters["min"] = d.min;
  state.counters["p50"] = d.p50;
  state.counters["p90"] = d.p90;
  state.counters["p99"] = d.p99;
  state.counters["p999"] = d.p999;
  state.counters["max"] = d.max;
  state.counters["mean"] = d.mean;
  state.counters["samples"] = static_cast<double>(v.size());
  state.SetLabel("ns");
  record({bench, "ns", true, std::move(v)});
}

namespace {

std::string fmt(double x) {
  char buf[64];
  double a = std::fabs(x);
  if (a >= 1000 || x == std::floor(x)) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
  } else if (a >= 100) {
    std::snprintf(buf, sizeof buf, "%.1f", x);
  } else if (a >= 10) {
    std::snprintf(buf, sizeof buf, "%.2f", x);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f", x);
  }
  return buf;
}

void print_tables(std::FILE* out) {
  bool any = false;
  for (const auto& r : records()) {
    if (r.latency) continue;
    if (!any) {
      std::fprintf(out, "\n### strata — current_thread runtime (summary of the samples above)\n\n");
      std::fprintf(out, "| bench | unit | min | median | max | samples |\n");
      std::fprintf(out, "|---|---|---:|---:|---:|---:|\n");
      any = true;
    }
    auto [lo, hi] = std::minmax_element(r.values.begin(), r.values.end());
    std::fprintf(out, "| %s | %s | %s | %s | %s | %zu |\n", r.bench.c_str(), r.unit.c_str(),
                 fmt(*lo).c_str(), fmt(median(r.values)).c_str(), fmt(*hi).c_str(),
                 r.values.size());
  }
  bool header = false;
  for (const auto& r : records()) {
    if (!r.latency) continue;
    if (!header) {
      std::fprintf(out,
                   "\n| bench | unit | min | p50 | p90 | p99 | p99.9 | max | mean | samples |\n");
      std::fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      header = true;
    }
    Dist d = distribution(r.values);
    std::fprintf(out, "| %s | ns | %s | %s | %s | %s | %s | %s | %s | %zu |\n", r.bench.c_str(),
                 fmt(d.min).c_str(), fmt(d.p50).c_str(), fmt(d.p90).c_str(), fmt(d.p99).c_str(),
                 fmt(d.p999).c_str(), fmt(d.max).c_str(), fmt(d.mean).c_str(), r.values.size());
  }
  std::fflush(out);
}

std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

// tokio-rt's JSON shape, so that one jq script joins both on (bench, label, stat).
void write_json(const std::string& path, const std::string& args) {
  std::ofstream f(path);
  if (!f) {
    std::fprintf(stderr, "strata-bench-rt: cannot write %s\n", path.c_str());
    return;
  }
  utsname u{};
  uname(&u);
  const Options& o = options();
  f << "{\n\"meta\": {\"impl\": \"strata\", \"label\": \"ct\", \"runtime\": \"current_thread\", "
    << "\"workers\": 1, \"wake_gap_us\": " << o.wake_gap_us << ", \"kernel\": \""
    << json_escape(u.sysname) << ' ' << json_escape(u.release) << ' ' << json_escape(u.machine)
    << "\", \"unix_time\": " << std::time(nullptr) << ", \"args\": \"" << json_escape(args)
    << "\"},\n\"results\": [\n";
  bool first = true;
  auto emit = [&](const Record& r, const char* stat, double v) {
    f << (first ? "" : ",\n") << "{\"bench\": \"" << r.bench
      << "\", \"label\": \"ct\", \"runtime\": \"current_thread\", \"workers\": 1, \"stat\": \""
      << stat << "\", \"value\": " << v << ", \"unit\": \"" << r.unit
      << "\", \"samples\": " << r.values.size()
      << ", \"c2c_before_ns\": null, \"c2c_after_ns\": null}";
    first = false;
  };
  for (const auto& r : records()) {
    if (r.latency) {
      Dist d = distribution(r.values);
      emit(r, "min", d.min);
      emit(r, "p50", d.p50);
      emit(r, "p90", d.p90);
      emit(r, "p99", d.p99);
      emit(r, "p999", d.p999);
      emit(r, "max", d.max);
      emit(r, "mean", d.mean);
    } else {
      auto [lo, hi] = std::minmax_element(r.values.begin(), r.values.end());
      emit(r, "min", *lo);
      emit(r, "median", median(r.values));
      emit(r, "max", *hi);
    }
  }
  f << "\n]\n}\n";
}

bool take_flag(std::string_view arg, std::string_view name, std::string& value) {
  if (arg.substr(0, name.size()) != name || arg.size() <= name.size() || arg[name.size()] != '=') {
    return false;
  }
  value = std::string(arg.substr(name.size() + 1));
  return true;
}

}  // namespace
}  // namespace strata_bench

int main(int argc, char** argv) {
  using namespace strata_bench;
  Options& o = options();
  std::string json_path;
  std::string all_args;
  bool console = true;
  // Strip our own flags before Google Benchmark sees the command line.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    all_args += (i > 1 ? " " : "") + std::string(a);
    std::string v;
    if (take_flag(a, "--wake-samples", v)) {
      o.wake_samples = std::stoull(v);
    } else if (take_flag(a, "--wake-thread-samples", v)) {
      o.wake_thread_samples = std::stoull(v);
    } else if (take_flag(a, "--wake-warmup", v)) {
      o.wake_warmup = std::stoull(v);
    } else if (take_flag(a, "--wake-gap-us", v)) {
      o.wake_gap_us = std::stoull(v);
    } else if (take_flag(a, "--notifier-cpu", v)) {
      o.notifier_cpu = std::stoi(v);
    } else if (take_flag(a, "--json", v)) {
      json_path = v;
    } else {
      if (take_flag(a, "--benchmark_format", v) && v != "console") console = false;
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_tables(console ? stdout : stderr);
  if (!json_path.empty()) write_json(json_path, all_args);
  return 0;
}
