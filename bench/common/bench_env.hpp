// What a benchmark program records about its environment (the "meta" block of the tokio-rt JSON
// shape) and the small JSON helper to write it; shared by strata-rt-bench and
// strata-io-driver-bench.
//
//   std::printf("\"kernel\": \"%s\"", bench_env::json_escape(bench_env::kernel()).c_str());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench_env {

// `s` with '"', '\' and control characters escaped for a JSON string.
std::string json_escape(std::string_view s);
// "Linux 6.1.0 x86_64" (uname), or "unknown".
std::string kernel();
// The first "model name" of /proc/cpuinfo, or "unknown".
std::string cpu_model();
// The calling thread's CPU set.
std::vector<int> current_affinity();
// "0,1".
std::string cpu_list(const std::vector<int>& cpus);
// Pins the calling thread to `cpu`; aborts with a message if it cannot.
void pin_current_thread(int cpu);
// Cross-CPU cache-line round trip (ns): two new threads pinned to `cpu_a` and `cpu_b` bounce one
// atomic `round_trips` times. This VM's vCPU placement changes it by up to 10x (≈ 50 or ≈ 400
// ns), and every 2-CPU number moves with it.
double c2c_roundtrip(int cpu_a, int cpu_b, std::uint64_t round_trips);
// The placement probe taken around each benchmark: median of 3 × 10,000 round trips between the
// first two CPUs of `cpus`; nullopt with fewer than two.
std::optional<double> c2c_probe(const std::vector<int>& cpus);

}  // namespace bench_env
