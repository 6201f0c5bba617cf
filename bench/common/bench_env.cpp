#include "bench_env.hpp"

#include <sched.h>
#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include "strata/rt/detail/spin_lock.hpp"

namespace bench_env {

std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += c;
    }
  }
  return o;
}

std::string kernel() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.starts_with("model name")) {
      std::size_t colon = line.find(':');
      if (colon == std::string::npos) break;
      std::size_t b = line.find_first_not_of(" \t", colon + 1);
      std::size_t e = line.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : line.substr(b, e - b + 1);
    }
  }
  return "unknown";
}

std::vector<int> current_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> v;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return v;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) v.push_back(c);
  }
  return v;
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (std::size_t i = 0; i < cpus.size(); ++i) s += (i ? "," : "") + std::to_string(cpus[i]);
  return s;
}

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::perror("sched_setaffinity");
    std::fprintf(stderr, "cannot pin to cpu %d\n", cpu);
    std::abort();
  }
}

namespace {
struct alignas(128) PaddedFlag {
  std::atomic<std::uint64_t> v{0};
};
}  // namespace

double c2c_roundtrip(int cpu_a, int cpu_b, std::uint64_t round_trips) {
  auto flag = std::make_unique<PaddedFlag>();
  std::barrier<> sync(2);
  double elapsed = 0;
  std::thread peer([&] {
    pin_current_thread(cpu_b);
    sync.arrive_and_wait();
    for (std::uint64_t i = 0; i < round_trips; ++i) {
      while (flag->v.load(std::memory_order_acquire) != 2 * i + 1) strata::detail::cpu_relax();
      flag->v.store(2 * i + 2, std::memory_order_release);
    }
  });
  std::thread timer([&] {
    pin_current_thread(cpu_a);
    sync.arrive_and_wait();
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < round_trips; ++i) {
      flag->v.store(2 * i + 1, std::memory_order_release);
      while (flag->v.load(std::memory_order_acquire) != 2 * i + 2) strata::detail::cpu_relax();
    }
    elapsed =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  });
  timer.join();
  peer.join();
  return elapsed / static_cast<double>(round_trips);
}

std::optional<double> c2c_probe(const std::vector<int>& cpus) {
  if (cpus.size() < 2) return std::nullopt;
  std::array<double, 3> v{};
  for (double& x : v) x = c2c_roundtrip(cpus[0], cpus[1], 10'000);
  std::sort(v.begin(), v.end());
  return v[1];
}

}  // namespace bench_env
