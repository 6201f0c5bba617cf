// strata-echo-load: a TCP echo load generator written with Strata, for comparing echo
// servers (bench/net/compare_echo.sh runs it against examples/echo_server and the Go and Node
// peers in bench/net/peers/).
//
//   strata-echo-load --port 7000 --conns 64 --size 64 --seconds 3 --json out.json
//
// Opens C connections (all connected before the clock starts), then each connection plays
// ping-pong: write one S-byte message, read the S-byte echo, check it, repeat. Messages of the
// first --warmup seconds are not counted; then for --seconds every round trip is timed from just
// before the write to just after the last byte of the echo (steady_clock) and goes into a
// log-linear histogram (< 0.8 % bucket error; max is exact). Prints messages/s, MB/s (payload
// one way, 10^6 bytes: the wire carries twice that) and round-trip p50/p99/max; --json writes
// the same numbers, plus all_messages (warm-up included, to divide the server's CPU time by). Runs
// on the current-thread runtime: pin it to one CPU (taskset) and keep it off the server's CPU.
// Exits 1 on any connection error, short echo or mismatching byte, and if the run does not finish
// within warm-up + seconds + 10 s (a stalled server).
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "strata/io.hpp"
#include "strata/net.hpp"
#include "strata/rt.hpp"

namespace {

using namespace strata;
using namespace std::chrono_literals;

// Round-trip times in ns: values below 128 exactly, above in 64 sub-buckets per power of two.
class Histogram {
 public:
  void record(std::uint64_t v) noexcept {
    ++counts_[index(v)];
    ++total_;
    sum_ += v;
    max_ = std::max(max_, v);
  }
  std::uint64_t total() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
  // Nearest rank: the middle of the bucket holding the ceil(q * total)-th value, capped at max.
  std::uint64_t quantile(double q) const noexcept {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(middle(i), max_);
    }
    return max_;
  }

 private:
  static constexpr unsigned sub_bits = 7;                    // 128 exact values, then 64 per octave
  static constexpr std::size_t half = 1u << (sub_bits - 1);  // 64
  static constexpr std::size_t buckets = (64 - sub_bits + 1) * half + 2 * half;

  static std::size_t index(std::uint64_t v) noexcept {
    if (v < 2 * half) return static_cast<std::size_t>(v);
    unsigned shift = static_cast<unsigned>(std::bit_width(v)) - sub_bits;
    return shift * half + static_cast<std::size_t>(v >> shift);  // v >> shift in [64, 128)
  }
  static std::uint64_t middle(std::size_t i) noexcept {
    if (i < 2 * half) return i;
    std::size_t shift = i / half - 1;
    std::uint64_t low = static_cast<std::uint64_t>(i - shift * half) << shift;
    return low + ((std::uint64_t{1} << shift) >> 1);
  }

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

struct Options {
  net::Ipv4Addr host = net::Ipv4Addr::localhost;
  std::uint16_t port = 0;
  std::uint32_t conns = 1;
  std::uint32_t size = 64;
  double seconds = 3.0;
  double warmup = 0.5;
  std::string json;
};

// What all connections share; the runtime is current-thread, so no synchronisation is needed.
struct Shared {
  Instant measure_from;  // end of warm-up
  Instant measure_to;    // no new message starts after this
  Histogram rtt;
  std::uint64_t messages = 0;      // round trips started in [measure_from, measure_to)
  std::uint64_t all_messages = 0;  // every round trip, warm-up included (server CPU per message)
  Instant last_done;               // when the last counted round trip ended
};

// One connection's ping-pong. The write and the read run concurrently (join) so a message larger
// than the socket buffers cannot deadlock against a server that echoes while it reads.
Task<Result<void>> ping_pong(net::TcpStream stream, std::uint32_t size, Shared* shared) {
  std::vector<std::byte> msg(size);
  std::vector<std::byte> reply(size);
  for (std::uint32_t i = 0; i < size; ++i) msg[i] = static_cast<std::byte>('a' + i % 26);
  for (std::uint64_t seq = 0;; ++seq) {
    // A per-message sequence number in the first bytes catches stale or reordered echoes.
    std::memcpy(msg.data(), &seq, std::min<std::size_t>(sizeof seq, size));
    Instant t0 = Clock::now();
    if (t0 >= shared->measure_to) co_return Result<void>{};
    auto done = co_await join(io::write_all(stream, msg), io::read_exact(stream, reply));
    Instant t1 = Clock::now();
    if (!std::get<0>(done)) co_return Result<void>(fail(std::get<0>(done).error()));
    if (!std::get<1>(done)) co_return Result<void>(fail(std::get<1>(done).error()));
    if (std::memcmp(msg.data(), reply.data(), size) != 0) {
      co_return Result<void>(fail(Error(std::make_error_code(std::errc::bad_message),
                                        "echo differs from the message sent")));
    }
    ++shared->all_messages;
    if (t0 >= shared->measure_from) {
      shared->rtt.record(static_cast<std::uint64_t>((t1 - t0).count()));
      ++shared->messages;
      shared->last_done = std::max(shared->last_done, t1);
    }
  }
}

Task<Result<void>> run_all(std::vector<JoinHandle<Result<void>>> handles) {
  std::vector<Result<Result<void>>> results = co_await join_all(std::move(handles));
  for (auto& r : results) {
    if (!r) co_return Result<void>(fail(r.error()));
    if (!*r) co_return Result<void>(fail(r->error()));
  }
  co_return Result<void>{};
}

Task<int> load(Options opt, Shared* shared) {
  net::SocketAddr addr(net::SocketAddrV4(opt.host, opt.port));
  std::vector<net::TcpStream> streams;
  streams.reserve(opt.conns);
  for (std::uint32_t i = 0; i < opt.conns; ++i) {
    Result<net::TcpStream> s = co_await net::TcpStream::connect_timeout(addr, 5s);
    if (!s) {
      std::fprintf(stderr, "echo_load: %s\n", s.error().message().c_str());
      co_return 1;
    }
    (void)s->set_nodelay(true);
    streams.push_back(std::move(*s));
  }
  auto to_duration = [](double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
  };
  Instant start = Clock::now();
  shared->measure_from = start + to_duration(opt.warmup);
  shared->measure_to = shared->measure_from + to_duration(opt.seconds);
  shared->last_done = shared->measure_from;
  std::vector<JoinHandle<Result<void>>> handles;
  handles.reserve(opt.conns);
  for (auto& s : streams) handles.push_back(spawn(ping_pong(std::move(s), opt.size, shared)));
  auto limit = to_duration(opt.warmup + opt.seconds) + 10s;
  auto outcome = co_await select(run_all(std::move(handles)), sleep(limit));
  if (outcome.index() == 1) {
    std::fprintf(stderr, "echo_load: not done after %.0f s: the server stalled\n",
                 std::chrono::duration<double>(limit).count());
    co_return 1;
  }
  if (!std::get<0>(outcome)) {
    std::fprintf(stderr, "echo_load: %s\n", std::get<0>(outcome).error().message().c_str());
    co_return 1;
  }
  co_return 0;
}

// Many connections need many descriptors: raise the soft limit to the hard one, as the server.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "echo_load: %s\n"
               "usage: strata-echo-load --port P [--host IPV4] [--conns C] [--size S]\n"
               "                              [--seconds D] [--warmup W] [--json FILE]\n"
               "  C 1..10000 (1), S 1..16777216 bytes (64), D 0.1..3600 (3), W 0..600 (0.5)\n",
               why);
  std::exit(2);
}

template <class T>
T parse_number(std::string_view text, T lo, T hi, const char* flag) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  // !(lo <= v <= hi) rather than v < lo || v > hi, so that "nan" is rejected too.
  if (ec != std::errc{} || end != text.data() + text.size() || !(v >= lo && v <= hi)) {
    static std::string why;
    why = std::string("bad value for ") + flag + ": '" + std::string(text) + "'";
    usage(why.c_str());
  }
  return v;
}

Options parse_args(int argc, char** argv) {
  Options opt;
  bool have_port = false;
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") usage("help");
    if (i + 1 >= argc) usage("missing value");
    std::string_view v = argv[i + 1];
    if (flag == "--host") {
      Result<net::Ipv4Addr> ip = net::Ipv4Addr::parse(v);
      if (!ip) usage(ip.error().message().c_str());
      opt.host = *ip;
    } else if (flag == "--port") {
      opt.port = parse_number<std::uint16_t>(v, 1, 65535, "--port");
      have_port = true;
    } else if (flag == "--conns") {
      opt.conns = parse_number<std::uint32_t>(v, 1, 10000, "--conns");
    } else if (flag == "--size") {
      opt.size = parse_number<std::uint32_t>(v, 1, 16u << 20, "--size");
    } else if (flag == "--seconds") {
      opt.seconds = parse_number<double>(v, 0.1, 3600.0, "--seconds");
    } else if (flag == "--warmup") {
      opt.warmup = parse_number<double>(v, 0.0, 600.0, "--warmup");
    } else if (flag == "--json") {
      opt.json = std::string(v);
    } else {
      usage("unknown flag");
    }
  }
  if (!have_port) usage("--port is required");
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  raise_fd_limit();
  Shared shared;
  Runtime rt(RuntimeConfig::current_thread());
  int rc = rt.block_on(load(opt, &shared));
  if (rc != 0) return rc;

  double elapsed = std::chrono::duration<double>(shared.last_done - shared.measure_from).count();
  if (shared.messages == 0 || elapsed <= 0) {
    std::fprintf(stderr, "echo_load: no message completed in the measurement window\n");
    return 1;
  }
  double msgs = static_cast<double>(shared.messages) / elapsed;
  double mbps = msgs * opt.size / 1e6;
  const Histogram& h = shared.rtt;
  std::string host = opt.host.to_string();
  std::printf(
      "echo %s:%u conns=%u size=%u: %llu msgs in %.3f s = %.0f msg/s, %.2f MB/s; "
      "rtt us p50 %.1f p99 %.1f max %.1f mean %.1f\n",
      host.c_str(), opt.port, opt.conns, opt.size, static_cast<unsigned long long>(shared.messages),
      elapsed, msgs, mbps, h.quantile(0.50) / 1e3, h.quantile(0.99) / 1e3, h.max() / 1e3,
      h.mean() / 1e3);
  if (!opt.json.empty()) {
    std::FILE* f = std::fopen(opt.json.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "echo_load: %s: %s\n", opt.json.c_str(), std::strerror(errno));
      return 1;
    }
    std::fprintf(f,
                 "{\"host\": \"%s\", \"port\": %u, \"conns\": %u, \"size\": %u, "
                 "\"seconds\": %.6f, \"warmup\": %.6f, \"messages\": %llu, "
                 "\"all_messages\": %llu, \"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"rtt_ns\": "
                 "{\"p50\": %llu, "
                 "\"p99\": %llu, \"max\": %llu, \"mean\": %.1f}}\n",
                 host.c_str(), opt.port, opt.conns, opt.size, elapsed, opt.warmup,
                 static_cast<unsigned long long>(shared.messages),
                 static_cast<unsigned long long>(shared.all_messages), msgs, mbps,
                 static_cast<unsigned long long>(h.quantile(0.50)),
                 static_cast<unsigned long long>(h.quantile(0.99)),
                 static_cast<unsigned long long>(h.max()), h.mean());
    if (std::fclose(f) != 0) {
      std::fprintf(stderr, "echo_load: %s: %s\n", opt.json.c_str(), std::strerror(errno));
      return 1;
    }
  }
  return 0;
}
