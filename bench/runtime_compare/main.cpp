// strata-rt-bench: Strata's runtime measured with the workloads, flags, tables and JSON of the
// tokio runtime baseline (shared/bench/tokio-rt: its README specifies everything, its
// src/main.rs is the reference implementation). Run both interleaved with
// scripts/compare-runtime; scripts/bench-runtime builds and runs this program alone.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokio_rt_workloads.hpp"

#ifndef STRATA_RT_BENCH_VERSION
#define STRATA_RT_BENCH_VERSION "unknown"
#endif

namespace strata_rt_bench {
namespace {

using bench_env::cpu_list;
using bench_env::cpu_model;
using bench_env::json_escape;
using bench_env::kernel;

// ---------------------------------------------------------------------------------------------
// Options (tokio-rt's flags, same names, defaults and checks)

constexpr const char* kAllBenches[] = {
    "clock_now",         "c2c_roundtrip",       "spawn_many_local", "spawn_many_remote",
    "yield_many",        "ping_pong",           "ping_pong_mpsc",   "chained_spawn",
    "fib_seq",           "fanout_fib",          "fib_seq_coarse",   "fanout_fib_coarse",
    "wake_latency_task", "wake_latency_thread",
};

constexpr std::uint64_t kC2cRoundTrips = 20'000;  // c2c_roundtrip
constexpr std::uint32_t kFibCoarseN = 35;         // fanout_fib_coarse / fib_seq_coarse
constexpr std::uint32_t kFibCoarseCutoff = 20;

struct Opts {
  std::size_t workers = 1;
  bool current_thread = false;
  std::size_t reps = 20;
  std::size_t warmup = 3;
  std::optional<std::string> json;
  std::optional<std::vector<std::string>> only;
  std::optional<std::string> label;
  std::optional<std::vector<int>> worker_cpus;
  std::optional<int> main_cpu;
  std::optional<int> notifier_cpu;
  std::size_t wake_samples = 100'000;
  std::size_t wake_warmup = 1'000;
  std::uint64_t wake_gap_us = 20;
  std::uint32_t fib_n = 30;
  std::uint32_t fib_cutoff = 15;
  bool quiet = false;

  bool selected(std::string_view b) const {
    return !only || std::find(only->begin(), only->end(), b) != only->end();
  }
  const char* runtime_name() const { return current_thread ? "current_thread" : "multi_thread"; }
  std::string label_or_default() const {
    if (label) return *label;
    return current_thread ? std::string("ct") : "mt-w" + std::to_string(workers);
  }
};

[[noreturn]] void usage() {
  std::string all;
  for (const char* b : kAllBenches) {
    if (!all.empty()) all += ", ";
    all += b;
  }
  std::fprintf(stderr,
               "usage: strata-rt-bench [--workers N | --current-thread] [options]\n"
               "\n"
               "runtime:\n"
               "  --workers N          multi-thread runtime with N worker threads (default 1)\n"
               "  --current-thread     current_thread runtime (the main thread drives it)\n"
               "  --worker-cpus LIST   pin worker thread k to LIST[k %% len] (current-thread:\n"
               "                       pins the main thread to LIST[0]); LIST like 0 or 0,1\n"
               "  --main-cpu C         multi-thread: pin the main thread (the remote spawner\n"
               "                       and block_on caller) to CPU C\n"
               "  --notifier-cpu C     pin wake_latency_thread's notifier std::thread to CPU C\n"
               "                       (default: inherits the main thread's affinity)\n"
               "measurement:\n"
               "  --reps N             measured samples per benchmark (default 20;\n"
               "                       chained_spawn takes 5x as many)\n"
               "  --warmup N           discarded samples before them (default 3, 5x likewise)\n"
               "  --only A,B,..        run only these benchmarks (default: all)\n"
               "  --wake-samples N     wake latency samples kept (default 100000)\n"
               "  --wake-warmup N      wake latency samples discarded first (default 1000)\n"
               "  --wake-gap-us U      wake_latency_thread: notifier waits U us after the\n"
               "                       waiter is suspended before notifying (default 20)\n"
               "  --fib-n N            fanout_fib / fib_seq argument (default 30)\n"
               "  --fib-cutoff N       fanout_fib sequential cutoff (default 15)\n"
               "                       (the *_coarse variants are fixed at 35 / 20)\n"
               "output:\n"
               "  --json FILE          write machine-readable results\n"
               "  --label NAME         config label in table/JSON (default mt-wN or ct)\n"
               "  --quiet              no progress lines on stderr\n"
               "\n"
               "benchmarks: %s\n",
               all.c_str());
  std::exit(2);
}

template <class T>
T parse_num(const std::string& flag, const char* v) {
  if (v) {
    std::istringstream in(v);
    T x{};
    char rest;
    if ((in >> x) && !(in >> rest) && (std::string_view(v).find('-') == std::string_view::npos))
      return x;
  }
  std::fprintf(stderr, "bad or missing value for %s\n", flag.c_str());
  usage();
}

std::string parse_str(const std::string& flag, const char* v) {
  if (!v) {
    std::fprintf(stderr, "bad or missing value for %s\n", flag.c_str());
    usage();
  }
  return v;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ',')) {
    auto b = cur.find_first_not_of(" \t"), e = cur.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? std::string() : cur.substr(b, e - b + 1));
  }
  return out;
}

Opts parse_opts(int argc, char** argv) {
  Opts o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--workers") {
      o.workers = parse_num<std::size_t>(a, next());
    } else if (a == "--current-thread") {
      o.current_thread = true;
    } else if (a == "--reps") {
      o.reps = parse_num<std::size_t>(a, next());
    } else if (a == "--warmup") {
      o.warmup = parse_num<std::size_t>(a, next());
    } else if (a == "--json") {
      o.json = parse_str(a, next());
    } else if (a == "--label") {
      o.label = parse_str(a, next());
    } else if (a == "--only") {
      auto v = split(parse_str(a, next()));
      for (const auto& b : v) {
        if (std::find(std::begin(kAllBenches), std::end(kAllBenches), b) == std::end(kAllBenches)) {
          std::fprintf(stderr, "unknown benchmark %s\n", b.c_str());
          usage();
        }
      }
      o.only = std::move(v);
    } else if (a == "--worker-cpus") {
      std::vector<int> cpus;
      for (const auto& c : split(parse_str(a, next())))
        cpus.push_back(parse_num<int>(a, c.c_str()));
      o.worker_cpus = std::move(cpus);
    } else if (a == "--notifier-cpu") {
      o.notifier_cpu = parse_num<int>(a, next());
    } else if (a == "--main-cpu") {
      o.main_cpu = parse_num<int>(a, next());
    } else if (a == "--wake-samples") {
      o.wake_samples = parse_num<std::size_t>(a, next());
    } else if (a == "--wake-warmup") {
      o.wake_warmup = parse_num<std::size_t>(a, next());
    } else if (a == "--wake-gap-us") {
      o.wake_gap_us = parse_num<std::uint64_t>(a, next());
    } else if (a == "--fib-n") {
      o.fib_n = parse_num<std::uint32_t>(a, next());
    } else if (a == "--fib-cutoff") {
      o.fib_cutoff = parse_num<std::uint32_t>(a, next());
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (a == "-h" || a == "--help") {
      usage();
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      usage();
    }
  }
  if (o.workers == 0 || o.reps == 0 || o.wake_samples == 0 || o.fib_cutoff == 0) usage();
  if (o.current_thread) {
    o.workers = 1;
    if (o.main_cpu) {
      std::fprintf(stderr,
                   "--main-cpu: with --current-thread the main thread is the runtime thread; use "
                   "--worker-cpus\n");
      usage();
    }
  }
  return o;
}

strata::Runtime build_runtime(const Opts& o) {
  if (o.current_thread) {
    if (o.worker_cpus) pin_current_thread(o.worker_cpus->front());
    strata::Runtime rt(strata::RuntimeConfig::current_thread());
    return rt;
  }
  strata::RuntimeConfig cfg =
      strata::RuntimeConfig::multi_thread(static_cast<std::uint32_t>(o.workers));
  if (o.worker_cpus) cfg.worker_cpus = *o.worker_cpus;  // each worker pins itself at start
  strata::Runtime rt(cfg);
  // After the build, so that the worker threads do not inherit this mask.
  if (o.main_cpu) pin_current_thread(*o.main_cpu);
  return rt;
}

// ---------------------------------------------------------------------------------------------
// Statistics and reporting (tokio-rt's, to the character)

struct Row {
  const char* bench;
  const char* unit;
  bool dist;                       // latency distribution (else one value per repetition)
  std::vector<double> reps;        // per-op value per repetition
  std::vector<std::uint64_t> lat;  // raw latency samples, ns
  std::optional<std::pair<double, double>> c2c;  // probe before/after, with >= 2 CPUs

  std::size_t samples() const { return dist ? lat.size() : reps.size(); }

  std::vector<std::pair<const char*, double>> stats() const {
    if (!dist) {
      std::vector<double> s = reps;
      std::sort(s.begin(), s.end());
      std::size_t n = s.size();
      double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
      return {{"min", s.front()}, {"median", med}, {"max", s.back()}};
    }
    std::vector<std::uint64_t> s = lat;
    std::sort(s.begin(), s.end());
    double sum = 0;
    for (auto x : s) sum += static_cast<double>(x);
    // Nearest rank: sorted[ceil(q * n) - 1].
    auto pct = [&](double q) {
      auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.size())));
      rank = std::clamp<std::size_t>(rank, 1, s.size());
      return static_cast<double>(s[rank - 1]);
    };
    return {{"min", static_cast<double>(s.front())},
            {"p50", pct(0.50)},
            {"p90", pct(0.90)},
            {"p99", pct(0.99)},
            {"p999", pct(0.999)},
            {"max", static_cast<double>(s.back())},
            {"mean", sum / static_cast<double>(s.size())}};
  }
};

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string fmt_val(double x) {
  if (x >= 100.0) return fmt("%.0f", x);
  if (x >= 10.0) return fmt("%.1f", x);
  return fmt("%.2f", x);
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown";
#endif
}

void print_tables(const Opts& o, const std::string& label, const std::vector<int>& affinity,
                  const std::vector<Row>& rows) {
  std::string placement = "cpus " + cpu_list(affinity);
  if (o.worker_cpus) placement += ", workers pinned " + cpu_list(*o.worker_cpus);
  if (o.main_cpu) placement += ", main pinned " + std::to_string(*o.main_cpu);
  if (o.notifier_cpu) placement += ", notifier pinned " + std::to_string(*o.notifier_cpu);
  std::printf("### strata %s — %s: %s runtime, %zu worker(s), %s\n\n", STRATA_RT_BENCH_VERSION,
              label.c_str(), o.runtime_name(), o.workers, placement.c_str());

  bool with_c2c = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.c2c; });
  const char* c2c_head = with_c2c ? " c2c ns before/after |" : "";
  const char* c2c_rule = with_c2c ? "---:|" : "";
  auto c2c_cell = [&](const Row& r) -> std::string {
    if (!with_c2c) return "";
    if (!r.c2c) return " – |";
    return " " + fmt_val(r.c2c->first) + "/" + fmt_val(r.c2c->second) + " |";
  };
  bool any_reps = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return !r.dist; });
  bool any_dist = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.dist; });
  if (any_reps) {
    std::printf("| bench | unit | min | median | max | samples |%s\n", c2c_head);
    std::printf("|---|---|---:|---:|---:|---:|%s\n", c2c_rule);
    for (const Row& r : rows) {
      if (r.dist) continue;
      auto s = r.stats();
      std::printf("| %s | %s | %s | %s | %s | %zu |%s\n", r.bench, r.unit,
                  fmt_val(s[0].second).c_str(), fmt_val(s[1].second).c_str(),
                  fmt_val(s[2].second).c_str(), r.samples(), c2c_cell(r).c_str());
    }
    std::printf("\n");
  }
  if (any_dist) {
    std::printf("| bench | unit | min | p50 | p90 | p99 | p99.9 | max | mean | samples |%s\n",
                c2c_head);
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", c2c_rule);
    for (const Row& r : rows) {
      if (!r.dist) continue;
      std::string cells;
      for (auto& [name, v] : r.stats()) {
        if (!cells.empty()) cells += " | ";
        cells += fmt_val(v);
      }
      std::printf("| %s | %s | %s | %zu |%s\n", r.bench, r.unit, cells.c_str(), r.samples(),
                  c2c_cell(r).c_str());
    }
    std::printf("\n");
  }
  std::fflush(stdout);
}

void write_json(const Opts& o, const std::string& label, const std::vector<int>& affinity,
                const std::vector<Row>& rows, int argc, char** argv) {
  std::string args;
  for (int i = 1; i < argc; ++i) {
    if (i > 1) args += " ";
    args += argv[i];
  }
  auto opt_int = [](const std::optional<int>& v) {
    return v ? std::to_string(*v) : std::string("null");
  };
  std::ostringstream s;
  s << "{\n\"meta\": {";
  s << "\"impl\": \"strata\", \"strata_version\": \"" << json_escape(STRATA_RT_BENCH_VERSION)
    << "\", \"compiler\": \"" << json_escape(compiler()) << "\", \"label\": \""
    << json_escape(label) << "\", \"runtime\": \"" << o.runtime_name()
    << "\", \"workers\": " << o.workers << ", \"cpus\": \"" << cpu_list(affinity)
    << "\", \"worker_cpus\": \"" << (o.worker_cpus ? cpu_list(*o.worker_cpus) : "")
    << "\", \"main_cpu\": " << opt_int(o.main_cpu)
    << ", \"notifier_cpu\": " << opt_int(o.notifier_cpu) << ", \"reps\": " << o.reps
    << ", \"warmup\": " << o.warmup << ", \"wake_gap_us\": " << o.wake_gap_us
    << ", \"fib_n\": " << o.fib_n << ", \"fib_cutoff\": " << o.fib_cutoff << ", \"kernel\": \""
    << json_escape(kernel()) << "\", \"cpu_model\": \"" << json_escape(cpu_model())
    << "\", \"nproc\": " << sysconf(_SC_NPROCESSORS_ONLN)
    << ", \"unix_time\": " << static_cast<long long>(std::time(nullptr)) << ", \"args\": \""
    << json_escape(args) << "\"";
  s << "},\n\"results\": [\n";
  bool first = true;
  for (const Row& r : rows) {
    for (auto& [stat, v] : r.stats()) {
      if (!first) s << ",\n";
      first = false;
      std::string cb = r.c2c ? fmt("%.1f", r.c2c->first) : "null";
      std::string ca = r.c2c ? fmt("%.1f", r.c2c->second) : "null";
      s << "{\"bench\": \"" << r.bench << "\", \"label\": \"" << json_escape(label)
        << "\", \"runtime\": \"" << o.runtime_name() << "\", \"workers\": " << o.workers
        << ", \"stat\": \"" << stat << "\", \"value\": " << fmt("%.3f", v) << ", \"unit\": \""
        << r.unit << "\", \"samples\": " << r.samples() << ", \"c2c_before_ns\": " << cb
        << ", \"c2c_after_ns\": " << ca << "}";
    }
  }
  s << "\n]\n}\n";
  std::ofstream out(*o.json);
  out << s.str();
  if (!out) {
    std::fprintf(stderr, "strata-rt-bench: write %s failed\n", o.json->c_str());
    std::exit(1);
  }
}

int run(int argc, char** argv) {
  const Opts o = parse_opts(argc, argv);
  g_base = SteadyClock::now();
  // The process's CPU set (taskset), before any thread pins itself.
  const std::vector<int> affinity = current_affinity();
  strata::Runtime rt = build_runtime(o);
  const std::string label = o.label_or_default();
  auto progress = [&](const char* s) {
    if (!o.quiet) std::fprintf(stderr, "[%s] %s\n", label.c_str(), s);
  };

  // Let the worker threads start and settle.
  warm_up_runtime(rt);

  // The host moves this VM's vCPUs around, which changes the cost of anything cross-CPU by up
  // to ~10x; a short c2c probe before and after each benchmark says which placement it ran
  // under. Median of 3 x 10k.
  auto probe = [&] { return bench_env::c2c_probe(affinity); };
  auto both = [](std::optional<double> a,
                 std::optional<double> b) -> std::optional<std::pair<double, double>> {
    if (a && b) return std::make_pair(*a, *b);
    return std::nullopt;
  };

  std::vector<Row> rows;
  auto reps_of = [&](const char* bench, const char* unit, std::size_t factor,
                     const std::function<double()>& f) {
    if (!o.selected(bench)) return;
    progress(bench);
    const bool is_probe = std::string_view(bench) == "c2c_roundtrip";
    auto before = is_probe ? std::nullopt : probe();
    for (std::size_t i = 0; i < o.warmup * factor; ++i) black_box(f());
    std::vector<double> v;
    for (std::size_t i = 0; i < o.reps * factor; ++i) v.push_back(f());
    auto after = is_probe ? std::nullopt : probe();
    rows.push_back(Row{bench, unit, false, std::move(v), {}, both(before, after)});
  };

  reps_of("clock_now", "ns/call", 1, [] { return bench_clock_now(); });
  // Needs two CPUs in the process's set; silently skipped otherwise.
  if (affinity.size() >= 2) {
    int a = affinity[0], b = affinity[1];
    reps_of("c2c_roundtrip", "ns/round-trip", 1,
            [a, b] { return bench_c2c_roundtrip(a, b, kC2cRoundTrips); });
  }
  reps_of("spawn_many_local", "ns/task", 1, [&] { return bench_spawn_many_local(rt); });
  Done* st = Done::leak();
  reps_of("spawn_many_remote", "ns/task", 1, [&] { return bench_spawn_many_remote(rt, st); });
  st = Done::leak();
  reps_of("yield_many", "ns/yield", 1, [&] { return bench_yield_many(rt, st); });
  st = Done::leak();
  reps_of("ping_pong", "ns/pair", 1, [&] { return bench_ping_pong(rt, st); });
  st = Done::leak();
  reps_of("ping_pong_mpsc", "ns/round-trip", 1, [&] { return bench_ping_pong_mpsc(rt, st); });
  st = Done::leak();
  // One chain is ~0.1 ms: take 5x the samples.
  reps_of("chained_spawn", "ns/spawn", 5, [&] { return bench_chained_spawn(rt, st); });
  const std::uint32_t n = o.fib_n, cutoff = o.fib_cutoff;
  reps_of("fib_seq", "ms", 1, [n] { return bench_fib_seq(n); });
  reps_of("fanout_fib", "ms", 1, [&] { return bench_fanout_fib(rt, n, cutoff); });
  reps_of("fib_seq_coarse", "ms", 1, [] { return bench_fib_seq(kFibCoarseN); });
  reps_of("fanout_fib_coarse", "ms", 1,
          [&] { return bench_fanout_fib(rt, kFibCoarseN, kFibCoarseCutoff); });

  if (o.selected("wake_latency_task")) {
    progress("wake_latency_task");
    auto before = probe();
    auto v = bench_wake_latency_task(rt, o.wake_samples, o.wake_warmup);
    auto c2c = both(before, probe());
    rows.push_back(Row{"wake_latency_task", "ns", true, {}, std::move(v), c2c});
  }
  if (o.selected("wake_latency_thread")) {
    progress("wake_latency_thread");
    auto before = probe();
    auto v = bench_wake_latency_thread(rt, o.wake_samples, o.wake_warmup,
                                       std::chrono::microseconds(o.wake_gap_us), o.notifier_cpu);
    auto c2c = both(before, probe());
    rows.push_back(Row{"wake_latency_thread", "ns", true, {}, std::move(v), c2c});
  }

  print_tables(o, label, affinity, rows);
  if (o.json) write_json(o, label, affinity, rows, argc, argv);
  return 0;
}

}  // namespace
}  // namespace strata_rt_bench

int main(int argc, char** argv) {
  return strata_rt_bench::run(argc, argv);
}
