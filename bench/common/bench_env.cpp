#include "bench_env.hpp"

#include <sched.h>
#include <sys/utsname.h>

#include <cstdio>
#include <fstream>

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

}  // namespace bench_env
