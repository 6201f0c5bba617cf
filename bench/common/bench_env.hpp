// What a benchmark program records about its environment (the "meta" block of the tokio-rt JSON
// shape) and the small JSON helper to write it; shared by strata-rt-bench and
// strata-io-driver-bench.
//
//   std::printf("\"kernel\": \"%s\"", bench_env::json_escape(bench_env::kernel()).c_str());
#pragma once

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

}  // namespace bench_env
