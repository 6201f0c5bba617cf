// The client half of the net_echo_10k test (success criterion 1 of the seed): opens N
// concurrent connections (default 10,000) to an echo server, and only once all N are open sends
// distinct data on each, half-closes, and checks every echoed byte and the end of stream.
// Exits 0 when every connection echoed exactly what it sent.
//
//   echo_10k_client --port P [--host 127.0.0.1] [--connections 10000] [--inflight 256]
//
// Connects are limited to `inflight` at a time (a burst of 10,000 SYNs would overflow the
// listener's accept queue and cost 1 s SYN retransmissions); the data phase runs all N at once.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/io.hpp"
#include "strata/net.hpp"
#include "strata/rt.hpp"

using namespace std::chrono_literals;
using namespace strata;

namespace {

struct Shared {
  net::SocketAddr addr;
  std::size_t connections = 10'000;
  std::size_t inflight = 256;
  std::vector<std::optional<net::TcpStream>> conns;
  std::size_t connect_failures = 0;
  std::size_t echo_ok = 0;
  std::size_t echo_failures = 0;
  std::uint64_t bytes = 0;
  std::string first_error;
};

void note_error(Shared& sh, const std::string& what) {
  if (sh.first_error.empty()) sh.first_error = what;
}

// The payload of connection i: its size and bytes depend on i, so a cross-wired echo fails.
std::string payload(std::size_t i) {
  const std::size_t n = 64 + (i * 7919) % 4000;
  std::string s(n, '\0');
  std::uint32_t x = static_cast<std::uint32_t>(i) * 2654435761u + 1;
  for (std::size_t k = 0; k < n; ++k) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    s[k] = static_cast<char>(x);
  }
  std::snprintf(s.data(), std::min<std::size_t>(n, 16), "#%zu:", i);
  return s;
}

Task<void> connector(Shared* sh, std::size_t first) {
  for (std::size_t i = first; i < sh->connections; i += sh->inflight) {
    Result<net::TcpStream> s = fail(Errc::closed);
    for (int attempt = 0; attempt < 3 && !s; ++attempt) {
      s = co_await net::TcpStream::connect_timeout(sh->addr, 10s);
    }
    if (!s) {
      ++sh->connect_failures;
      note_error(*sh, "connect #" + std::to_string(i) + ": " + s.error().message());
      continue;
    }
    sh->conns[i].emplace(std::move(*s));
  }
}

Task<void> exchange(Shared* sh, std::size_t i) {
  net::TcpStream& s = *sh->conns[i];
  const std::string msg = payload(i);
  std::string back(msg.size(), '\0');
  std::array<std::byte, 1> extra;
  // (No co_await inside an `if` condition: g++ 12 miscompiles that; see docs/net.md.)
  Result<std::size_t> eof = fail(Errc::closed);
  Result<void> step = co_await io::write_all(s, io::as_bytes(msg));
  if (step) step = s.shutdown(net::Shutdown::write);
  if (step) step = co_await io::read_exact(s, io::as_writable_bytes(back));
  if (step) {
    eof = co_await io::read(s, extra);
  } else {
    eof = fail(step.error());
  }
  if (!eof) {
    ++sh->echo_failures;
    note_error(*sh, "connection #" + std::to_string(i) + ": " + eof.error().message());
  } else if (*eof != 0 || back != msg) {
    ++sh->echo_failures;
    note_error(*sh, "connection #" + std::to_string(i) + ": echoed bytes differ");
  } else {
    ++sh->echo_ok;
    sh->bytes += msg.size();
  }
  sh->conns[i].reset();
}

double ms_since(Instant t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

Task<int> run(Shared* sh) {
  sh->conns.resize(sh->connections);
  const Instant t0 = Clock::now();
  std::vector<JoinHandle<void>> hs;
  for (std::size_t k = 0; k < sh->inflight && k < sh->connections; ++k) {
    hs.push_back(spawn(connector(sh, k)));
  }
  for (auto& h : hs) co_await h;
  hs.clear();
  std::size_t open = 0;
  for (auto& c : sh->conns) open += c.has_value();
  std::printf("connected %zu/%zu concurrently in %.0f ms\n", open, sh->connections, ms_since(t0));
  std::fflush(stdout);
  if (open != sh->connections) {
    std::fprintf(stderr, "echo_10k_client: %zu connects failed; first: %s\n", sh->connect_failures,
                 sh->first_error.c_str());
    co_return 1;
  }
  const Instant t1 = Clock::now();
  hs.reserve(sh->connections);
  for (std::size_t i = 0; i < sh->connections; ++i) hs.push_back(spawn(exchange(sh, i)));
  for (auto& h : hs) co_await h;
  std::printf("echoed %zu/%zu connections, %llu bytes each way, in %.0f ms\n", sh->echo_ok,
              sh->connections, static_cast<unsigned long long>(sh->bytes), ms_since(t1));
  if (sh->echo_ok != sh->connections) {
    std::fprintf(stderr, "echo_10k_client: %zu connections failed; first: %s\n", sh->echo_failures,
                 sh->first_error.c_str());
    co_return 1;
  }
  co_return 0;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: echo_10k_client --port P [--host IP] [--connections N] [--inflight K]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Shared sh;
  std::string host = "127.0.0.1";
  long port = -1;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) usage();
    std::string_view arg = argv[i];
    const char* val = argv[i + 1];
    if (arg == "--host") {
      host = val;
    } else if (arg == "--port") {
      port = std::strtol(val, nullptr, 10);
    } else if (arg == "--connections") {
      sh.connections = std::strtoul(val, nullptr, 10);
    } else if (arg == "--inflight") {
      sh.inflight = std::max(1ul, std::strtoul(val, nullptr, 10));
    } else {
      usage();
    }
  }
  auto ip = net::IpAddr::parse(host);
  if (!ip || port <= 0 || port > 65535) usage();
  sh.addr = net::SocketAddr(*ip, static_cast<std::uint16_t>(port));

  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < sh.connections + 64) {
    std::fprintf(stderr, "echo_10k_client: need %zu file descriptors, the limit is %llu\n",
                 sh.connections + 64, static_cast<unsigned long long>(rl.rlim_cur));
    return 1;
  }
  Runtime rt = Runtime::current_thread();
  return rt.block_on(run(&sh));
}
