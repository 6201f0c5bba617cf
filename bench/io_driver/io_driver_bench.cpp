// strata-io-driver-bench: loopback TCP workloads that exercise the I/O driver, the Strata half
// of the per-worker-reactor vs shared-I/O-driver measurement (bench/io_driver/README.md; the
// tokio half is src/main.rs next to this file, with the same workloads, flags and JSON rows).
//
//   taskset -c 0,1 strata-io-driver-bench --workers 2 --json out.json
//   strata-io-driver-bench --current-thread --pairs 8 --round-trips 100 --conns 100 --reps 1
//
// Workloads (both sides of every connection are tasks of the one runtime under test):
// - tcp_ping_pong: P pairs of connections, M 64-byte request/response round trips each;
//   round trips per second, and the time of every K-th round trip (p50, p99...).
// - tcp_ping_pong_cross (multi-thread only, Strata only): the same, but the root task creates
//   (registers) every socket on its worker before handing them to the tasks that use them, so
//   the readiness of all 2P sockets is polled by one worker.
// - accept_storm: C connections, each sends one 64-byte message, gets the echo, sees the
//   server close; connections per second.
// Every round trip is compared byte for byte, the server counts the messages it echoed, a run
// that takes longer than 60 s per sample is a hang (exit 1). Strata-only diagnostic rows say how
// often a socket was used by a task running on another worker than the one whose reactor polls
// it (sampled every K-th message), how many tasks were stolen, and how the polls were spread
// over the workers.
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "bench_env.hpp"
#include "strata/io.hpp"
#include "strata/net.hpp"
#include "strata/rt.hpp"
#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/sync/semaphore.hpp"

namespace {

using namespace strata;
using bench_env::cpu_list;
using bench_env::cpu_model;
using bench_env::current_affinity;
using bench_env::json_escape;
using bench_env::kernel;
using bench_env::pin_current_thread;

constexpr std::size_t kMsg = 64;  // bytes per request and per response
constexpr auto kSampleDeadline = std::chrono::seconds(60);
using Message = std::array<std::byte, kMsg>;

// ---------------------------------------------------------------------------------------------
// Errors, clock, watchdog
// ---------------------------------------------------------------------------------------------

[[noreturn]] void die(std::string_view what, std::string_view why) {
  std::fprintf(stderr, "strata-io-driver-bench: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(why.size()), why.data());
  std::fflush(stderr);
  std::_Exit(1);  // like Rust's process::exit: other threads may still be running tasks
}
[[noreturn]] void die(std::string_view what, const Error& e) {
  die(what, e.message());
}

const Instant g_base = Clock::now();
std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>((Clock::now() - g_base).count());
}
std::uint64_t elapsed_ns(Instant t0) noexcept {
  return static_cast<std::uint64_t>((Clock::now() - t0).count());
}

// A sample that takes longer than kSampleDeadline is a hang (a lost wake-up or a stuck
// connection): exit 1 rather than hold the benchmark lock forever.
std::atomic<std::uint64_t> g_deadline_ns{UINT64_MAX};
void arm_deadline() {
  g_deadline_ns.store(now_ns() + std::chrono::nanoseconds(kSampleDeadline).count(),
                      std::memory_order_relaxed);
}
void start_watchdog() {
  std::thread([] {
    pthread_setname_np(pthread_self(), "watchdog");
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      if (now_ns() > g_deadline_ns.load(std::memory_order_relaxed)) {
        die("watchdog", "a sample took longer than 60 s: hang");
      }
    }
  }).detach();
}

// ---------------------------------------------------------------------------------------------
// CPU affinity and the c2c placement probe (as shared/bench/tokio-rt)
// ---------------------------------------------------------------------------------------------

// Worker threads' CPU time, to see how a runtime spreads the work: (tid, ns on CPU) of every
// thread of this process whose name starts with `prefix`, from /proc/self/task/*/schedstat.
std::vector<std::pair<std::uint64_t, std::uint64_t>> worker_cpu(std::string_view prefix) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> v;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (!name.starts_with(prefix)) continue;
    std::ifstream stat(e.path() / "schedstat");
    std::uint64_t ns = 0;
    stat >> ns;
    v.emplace_back(std::strtoull(e.path().filename().c_str(), nullptr, 10), ns);
  }
  return v;
}

// Between two worker_cpu() readings `wall_ns` apart: the busiest worker's share of the workers'
// CPU time (%), and the workers' CPU time / wall time (CPUs).
std::pair<double, double> cpu_spread(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& a,
                                     const std::vector<std::pair<std::uint64_t, std::uint64_t>>& b,
                                     std::uint64_t wall_ns) {
  std::uint64_t total = 0;
  std::uint64_t max = 0;
  for (auto [tid, ns] : b) {
    std::uint64_t before = 0;
    for (auto [t, n] : a) {
      if (t == tid) before = n;
    }
    std::uint64_t d = ns > before ? ns - before : 0;
    total += d;
    max = std::max(max, d);
  }
  double share = total ? 100.0 * static_cast<double>(max) / static_cast<double>(total) : 0.0;
  return {share,
          static_cast<double>(total) / static_cast<double>(std::max<std::uint64_t>(wall_ns, 1))};
}

// CPU time (user + system, ns) of the whole process: per-operation CPU cost is the number that
// survives other load on a shared machine best.
std::uint64_t process_cpu_ns() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  auto us = [](timeval t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1000000 + static_cast<std::uint64_t>(t.tv_usec);
  };
  return (us(u.ru_utime) + us(u.ru_stime)) * 1000;
}

// Strata names worker k "strata-work-k" (the first 11 bytes of RuntimeConfig::thread_name);
// blocking-pool threads are "strata-w-blk" and do not match.
constexpr std::string_view kWorkerThreadPrefix = "strata-work-";

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 4> kAllBenches = {"tcp_ping_pong", "tcp_ping_pong_cross",
                                                         "accept_storm", "accept_storm_per_worker"};

struct Options {
  std::uint32_t workers = 1;
  bool current_thread = false;
  std::vector<int> worker_cpus;
  std::size_t reps = 5;
  std::size_t warmup = 1;
  std::vector<std::string> only;
  std::string json;
  std::string label;
  bool quiet = false;
  std::size_t pairs = 64;
  std::size_t round_trips = 2000;
  std::size_t sample_every = 16;
  std::size_t conns = 2000;
  std::size_t storm_clients = 64;

  bool selected(std::string_view b) const {
    return only.empty() || std::find(only.begin(), only.end(), b) != only.end();
  }
  const char* runtime_name() const { return current_thread ? "current_thread" : "multi_thread"; }
  std::string label_or_default() const {
    if (!label.empty()) return label;
    return current_thread ? "ct" : "mt-w" + std::to_string(workers);
  }
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "strata-io-driver-bench: %s\n"
               "usage: strata-io-driver-bench [--workers N | --current-thread] [options]\n"
               "runtime:   --workers N (1) | --current-thread, --worker-cpus LIST (pin worker k\n"
               "           to LIST[k %% len]; current-thread: the main thread)\n"
               "measuring: --reps N (5) --warmup N (1) --only A,B\n"
               "workloads: --pairs P (64) --round-trips M (2000) --sample-every K (16)\n"
               "           --conns C (2000) --storm-clients K (64)\n"
               "output:    --json FILE --label NAME --quiet\n"
               "benchmarks: tcp_ping_pong, tcp_ping_pong_cross (multi-thread), accept_storm,\n"
               "            accept_storm_per_worker (multi-thread)\n",
               why.c_str());
  std::exit(2);
}

std::size_t parse_count(std::string_view text, std::size_t lo, std::size_t hi,
                        std::string_view flag) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < lo || v > hi) {
    usage("bad value for " + std::string(flag) + ": '" + std::string(text) + "'");
  }
  return v;
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  for (;;) {
    std::size_t comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") usage("help");
    if (flag == "--current-thread") {
      o.current_thread = true;
      continue;
    }
    if (flag == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value for " + std::string(flag));
    std::string_view v = argv[++i];
    if (flag == "--workers") {
      o.workers = static_cast<std::uint32_t>(parse_count(v, 1, 1024, flag));
    } else if (flag == "--worker-cpus") {
      for (const std::string& c : split_commas(v)) {
        o.worker_cpus.push_back(static_cast<int>(parse_count(c, 0, CPU_SETSIZE - 1, flag)));
      }
    } else if (flag == "--reps") {
      o.reps = parse_count(v, 1, 100000, flag);
    } else if (flag == "--warmup") {
      o.warmup = parse_count(v, 0, 100000, flag);
    } else if (flag == "--only") {
      o.only = split_commas(v);
      for (const std::string& b : o.only) {
        if (std::find(kAllBenches.begin(), kAllBenches.end(), b) == kAllBenches.end()) {
          usage("unknown benchmark " + b);
        }
      }
    } else if (flag == "--json") {
      o.json = std::string(v);
    } else if (flag == "--label") {
      o.label = std::string(v);
    } else if (flag == "--pairs") {
      o.pairs = parse_count(v, 1, 10000, flag);
    } else if (flag == "--round-trips") {
      o.round_trips = parse_count(v, 1, 100000000, flag);
    } else if (flag == "--sample-every") {
      o.sample_every = parse_count(v, 1, 100000000, flag);
    } else if (flag == "--conns") {
      o.conns = parse_count(v, 1, 10000000, flag);
    } else if (flag == "--storm-clients") {
      o.storm_clients = parse_count(v, 1, 10000, flag);
    } else {
      usage("unknown argument " + std::string(flag));
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Messages: 8 bytes sequence number, 8 bytes sender id, then a pattern derived from both, so a
// stale, reordered, cross-connection or corrupted reply never compares equal. (Same bytes as
// the Rust side.)
// ---------------------------------------------------------------------------------------------

void fill_message(Message& m, std::uint64_t id, std::uint64_t seq) {
  std::memcpy(m.data(), &seq, 8);  // little endian on x86-64, as the Rust side's to_le_bytes
  std::memcpy(m.data() + 8, &id, 8);
  for (std::size_t j = 16; j < kMsg; ++j) {
    m[j] = static_cast<std::byte>(seq * 31 + id * 7 + j);
  }
}

// Which worker's reactor polls the calling thread's sockets: registrations go to the current
// thread's reactor (one per worker; one in all on the current-thread runtime).
detail::Reactor* current_reactor() noexcept {
  return detail::current_context()->reactor;
}

// Counts of sampled messages and of those handled on a worker other than the socket's own.
struct Placement {
  std::uint64_t sampled = 0;
  std::uint64_t foreign = 0;
  void note(detail::Reactor* registered) noexcept {
    ++sampled;
    if (current_reactor() != registered) ++foreign;
  }
  void add(const Placement& o) noexcept {
    sampled += o.sampled;
    foreign += o.foreign;
  }
  double percent() const noexcept {
    return sampled ? 100.0 * static_cast<double>(foreign) / static_cast<double>(sampled) : 0.0;
  }
};

// One request/response. The futures are awaited one after the other, as the Rust side does.
// (A coroutine per round trip would allocate a frame per message; this is inlined in callers.)
#define STRATA_BENCH_ROUND_TRIP(stream, msg, reply)                   \
  do {                                                                \
    Result<void> w_ = co_await io::write_all(stream, msg);            \
    if (!w_) die("client write", w_.error());                         \
    Result<void> r_ = co_await io::read_exact(stream, reply);         \
    if (!r_) die("client read", r_.error());                          \
    if (reply != msg) die("client", "echo differs from the request"); \
  } while (false)

struct EchoResult {
  std::uint64_t messages = 0;
  Placement placement;
};

// Server side of one ping-pong connection: echoes 64-byte messages until the peer closes.
// `registered` is the reactor the socket was registered with; every `sample_every`-th message
// notes where it was handled.
Task<EchoResult> echo(net::TcpStream s, detail::Reactor* registered, std::size_t sample_every) {
  Message buf;
  EchoResult out;
  for (;;) {
    Result<std::size_t> n = co_await io::read(s, buf);
    if (!n) die("echo read", n.error());
    if (*n == 0) co_return out;
    if (*n < kMsg) {
      Result<void> rest = co_await io::read_exact(s, std::span(buf).subspan(*n));
      if (!rest) die("echo read", rest.error());
    }
    Result<void> w = co_await io::write_all(s, buf);
    if (!w) die("echo write", w.error());
    if (out.messages % sample_every == 0) out.placement.note(registered);
    ++out.messages;
  }
}

// ---------------------------------------------------------------------------------------------
// tcp_ping_pong (and its _cross variant)
// ---------------------------------------------------------------------------------------------

struct PingPongCfg {
  std::size_t pairs;
  std::size_t round_trips;
  std::size_t sample_every;
};

struct ClientResult {
  std::vector<std::uint64_t> rtt;  // ns, every sample_every-th round trip
  Placement placement;
};

// One client connection after connect: an untimed warm-up round trip, "ready", wait for "go",
// then M round trips. Dropping the stream at the end closes it (the echo task sees the end).
Task<ClientResult> client_loop(net::TcpStream s, detail::Reactor* registered, std::uint64_t id,
                               PingPongCfg cfg, sync::Semaphore* ready, sync::Semaphore* go) {
  Message msg;
  Message reply;
  fill_message(msg, id, UINT64_MAX);
  STRATA_BENCH_ROUND_TRIP(s, msg, reply);
  ready->add_permits(1);
  Result<sync::SemaphorePermit> permit = co_await go->acquire();
  if (!permit) die("go", permit.error());
  ClientResult out;
  out.rtt.reserve(cfg.round_trips / cfg.sample_every + 1);
  for (std::size_t i = 0; i < cfg.round_trips; ++i) {
    fill_message(msg, id, i);
    if (i % cfg.sample_every == 0) {
      Instant t = Clock::now();
      STRATA_BENCH_ROUND_TRIP(s, msg, reply);
      out.rtt.push_back(elapsed_ns(t));
      out.placement.note(registered);
    } else {
      STRATA_BENCH_ROUND_TRIP(s, msg, reply);
    }
  }
  co_return out;
}

// The natural client: connects itself, so its socket is registered on the worker it runs on.
Task<ClientResult> client(net::SocketAddr addr, std::uint64_t id, PingPongCfg cfg,
                          sync::Semaphore* ready, sync::Semaphore* go) {
  // The connect future creates and registers the socket at its first poll, which happens on
  // this thread inside the co_await below.
  detail::Reactor* registered = current_reactor();
  Result<net::TcpStream> s = co_await net::TcpStream::connect(addr);
  if (!s) die("connect", s.error());
  Result<void> nd = s->set_nodelay(true);
  if (!nd) die("set_nodelay", nd.error());
  co_return co_await client_loop(std::move(*s), registered, id, cfg, ready, go);
}

// The accept loop of tcp_ping_pong: accepts P connections, spawns an echo task for each (the
// accepted socket is registered on the worker that polled accept()), returns the total.
Task<EchoResult> acceptor(net::TcpListener listener, std::size_t pairs, std::size_t sample_every) {
  std::vector<JoinHandle<EchoResult>> echoes;
  echoes.reserve(pairs);
  for (std::size_t i = 0; i < pairs; ++i) {
    Result<std::pair<net::TcpStream, net::SocketAddr>> c = co_await listener.accept();
    if (!c) die("accept", c.error());
    detail::Reactor* registered = current_reactor();
    Result<void> nd = c->first.set_nodelay(true);
    if (!nd) die("set_nodelay", nd.error());
    echoes.push_back(spawn(echo(std::move(c->first), registered, sample_every)));
  }
  EchoResult total;
  for (auto& h : echoes) {
    Result<EchoResult> r = co_await h;
    if (!r) die("echo task", r.error());
    total.messages += r->messages;
    total.placement.add(r->placement);
  }
  co_return total;
}

struct PingPongSample {
  double rate = 0;  // round trips per second
  std::vector<std::uint64_t> rtt;
  Placement client_placement;
  Placement server_placement;
};

net::SocketAddr loopback_any_port() {
  return net::SocketAddr(net::SocketAddrV4(net::Ipv4Addr::localhost, 0));
}

// One sample. cross = false: clients connect themselves, one accept loop spawns the echo tasks
// (what tokio's side does). cross = true: this task connects and accepts all P pairs itself, so
// all 2P sockets are registered with the reactor of the worker running it, then spawns the P
// echo and P client tasks that use them; work stealing spreads those tasks, the I/O of their
// sockets stays with this worker.
Task<PingPongSample> ping_pong_sample(PingPongCfg cfg, bool cross) {
  Result<net::TcpListener> listener = net::TcpListener::bind(loopback_any_port());
  if (!listener) die("bind", listener.error());
  Result<net::SocketAddr> addr = listener->local_addr();
  if (!addr) die("local_addr", addr.error());
  sync::Semaphore ready(0);
  sync::Semaphore go(0);
  std::vector<JoinHandle<ClientResult>> clients;
  clients.reserve(cfg.pairs);
  std::optional<JoinHandle<EchoResult>> accept_task;
  std::vector<JoinHandle<EchoResult>> echoes;
  if (!cross) {
    accept_task.emplace(spawn(acceptor(std::move(*listener), cfg.pairs, cfg.sample_every)));
    for (std::size_t id = 0; id < cfg.pairs; ++id) {
      clients.push_back(spawn(client(*addr, id, cfg, &ready, &go)));
    }
  } else {
    detail::Reactor* here = current_reactor();
    std::vector<net::TcpStream> mine;
    mine.reserve(cfg.pairs);
    for (std::size_t id = 0; id < cfg.pairs; ++id) {  // the backlog (1024) holds them
      Result<net::TcpStream> s = co_await net::TcpStream::connect(*addr);
      if (!s) die("connect", s.error());
      Result<void> nd = s->set_nodelay(true);
      if (!nd) die("set_nodelay", nd.error());
      mine.push_back(std::move(*s));
    }
    echoes.reserve(cfg.pairs);
    for (std::size_t i = 0; i < cfg.pairs; ++i) {
      Result<std::pair<net::TcpStream, net::SocketAddr>> c = co_await listener->accept();
      if (!c) die("accept", c.error());
      Result<void> nd = c->first.set_nodelay(true);
      if (!nd) die("set_nodelay", nd.error());
      if (current_reactor() != here) die("cross", "the root task moved between workers");
      echoes.push_back(spawn(echo(std::move(c->first), here, cfg.sample_every)));
    }
    for (std::size_t id = 0; id < cfg.pairs; ++id) {
      clients.push_back(spawn(client_loop(std::move(mine[id]), here, id, cfg, &ready, &go)));
    }
  }
  Result<sync::SemaphorePermit> all_ready = co_await ready.acquire(cfg.pairs);
  if (!all_ready) die("ready", all_ready.error());
  all_ready->forget();
  PingPongSample out;
  out.rtt.reserve(cfg.pairs * (cfg.round_trips / cfg.sample_every + 1));
  Instant t0 = Clock::now();
  go.add_permits(cfg.pairs);
  for (auto& c : clients) {
    Result<ClientResult> r = co_await c;
    if (!r) die("client task", r.error());
    out.rtt.insert(out.rtt.end(), r->rtt.begin(), r->rtt.end());
    out.client_placement.add(r->placement);
  }
  std::uint64_t elapsed = elapsed_ns(t0);
  EchoResult served;
  if (accept_task) {
    Result<EchoResult> r = co_await *accept_task;
    if (!r) die("acceptor task", r.error());
    served = *r;
  }
  for (auto& h : echoes) {
    Result<EchoResult> r = co_await h;
    if (!r) die("echo task", r.error());
    served.messages += r->messages;
    served.placement.add(r->placement);
  }
  const std::uint64_t expected = cfg.pairs * (cfg.round_trips + 1);
  if (served.messages != expected) {
    die("tcp_ping_pong", "server echoed " + std::to_string(served.messages) +
                             " messages, expected " + std::to_string(expected));
  }
  out.server_placement = served.placement;
  out.rate =
      static_cast<double>(cfg.pairs * cfg.round_trips) / (static_cast<double>(elapsed) / 1e9);
  co_return out;
}

// ---------------------------------------------------------------------------------------------
// accept_storm
// ---------------------------------------------------------------------------------------------

// Server side of one storm connection: one message echoed, then the server closes (the stream
// is dropped when the task ends).
Task<bool> storm_handler(net::TcpStream s) {
  Message buf;
  Result<std::size_t> n = co_await io::read(s, buf);
  if (!n) die("storm handler read", n.error());
  if (*n == 0) die("storm handler", "end of stream before the message");
  if (*n < kMsg) {
    Result<void> rest = co_await io::read_exact(s, std::span(buf).subspan(*n));
    if (!rest) die("storm handler read", rest.error());
  }
  Result<void> w = co_await io::write_all(s, buf);
  if (!w) die("storm handler write", w.error());
  co_return true;
}

Task<std::size_t> storm_acceptor(net::TcpListener listener, std::size_t conns) {
  std::vector<JoinHandle<bool>> handlers;
  handlers.reserve(conns);
  for (std::size_t i = 0; i < conns; ++i) {
    Result<std::pair<net::TcpStream, net::SocketAddr>> c = co_await listener.accept();
    if (!c) die("accept", c.error());
    handlers.push_back(spawn(storm_handler(std::move(c->first))));
  }
  std::size_t served = 0;
  for (auto& h : handlers) {
    Result<bool> r = co_await h;
    if (!r) die("storm handler task", r.error());
    served += *r ? 1 : 0;
  }
  co_return served;
}

// Client k opens connections k, k+K, k+2K, ... one after another.
Task<std::size_t> storm_client(net::SocketAddr addr, std::size_t k, std::size_t conns,
                               std::size_t clients) {
  std::size_t done = 0;
  Message msg;
  Message reply;
  for (std::size_t j = k; j < conns; j += clients) {
    Result<net::TcpStream> s = co_await net::TcpStream::connect(addr);
    if (!s) die("connect", s.error());
    fill_message(msg, j, 0);
    STRATA_BENCH_ROUND_TRIP(*s, msg, reply);
    // The server closes after its one reply: the next read must be end of stream.
    Result<std::size_t> eof = co_await io::read(*s, reply);
    if (!eof) die("storm client read", eof.error());
    if (*eof != 0) die("storm client", std::to_string(*eof) + " unexpected bytes after the echo");
    ++done;
  }
  co_return done;
}

// One sample; returns connections per second.
Task<double> accept_storm_sample(std::size_t conns, std::size_t clients_n) {
  Result<net::TcpListener> listener = net::TcpListener::bind(loopback_any_port());
  if (!listener) die("bind", listener.error());
  Result<net::SocketAddr> addr = listener->local_addr();
  if (!addr) die("local_addr", addr.error());
  Instant t0 = Clock::now();
  JoinHandle<std::size_t> acc = spawn(storm_acceptor(std::move(*listener), conns));
  std::vector<JoinHandle<std::size_t>> clients;
  clients.reserve(clients_n);
  for (std::size_t k = 0; k < std::min(clients_n, conns); ++k) {
    clients.push_back(spawn(storm_client(*addr, k, conns, clients_n)));
  }
  std::size_t done = 0;
  for (auto& c : clients) {
    Result<std::size_t> r = co_await c;
    if (!r) die("storm client task", r.error());
    done += *r;
  }
  std::uint64_t elapsed = elapsed_ns(t0);
  Result<std::size_t> served = co_await acc;
  if (!served) die("acceptor task", served.error());
  if (done != conns || *served != conns) {
    die("accept_storm", std::to_string(done) + " clients done, " + std::to_string(*served) +
                            " served, expected " + std::to_string(conns));
  }
  co_return static_cast<double>(conns) / (static_cast<double>(elapsed) / 1e9);
}

// accept_storm_per_worker (Strata only, multi-thread): the same storm against one SO_REUSEPORT
// listener per worker, listener k registered with worker k's reactor (WorkerAffinity), as
// http::Server binds them. Shows what spreading the listeners buys over one listener.
Task<void> storm_handler_counted(net::TcpStream s, std::atomic<std::size_t>* served) {
  (void)co_await storm_handler(std::move(s));
  served->fetch_add(1, std::memory_order_release);
}

Task<void> storm_acceptor_forever(net::TcpListener* listener, std::atomic<std::size_t>* served) {
  for (;;) {
    Result<std::pair<net::TcpStream, net::SocketAddr>> c = co_await listener->accept();
    if (!c) die("accept", c.error());
    spawn(storm_handler_counted(std::move(c->first), served)).detach();
  }
}

Task<double> accept_storm_per_worker_sample(std::size_t conns, std::size_t clients_n) {
  std::vector<net::TcpListener> listeners;
  net::SocketAddr at = loopback_any_port();
  net::ReuseOptions reuse;
  reuse.port = true;
  for (std::uint32_t k = 0; k < worker_count(); ++k) {
    WorkerAffinity on(k);
    Result<net::TcpListener> l = net::TcpListener::bind(at, 1024, reuse);
    if (!l) die("bind", l.error());
    if (k == 0) {
      Result<net::SocketAddr> a = l->local_addr();
      if (!a) die("local_addr", a.error());
      at = *a;
    }
    listeners.push_back(std::move(*l));
  }
  std::atomic<std::size_t> served{0};
  Instant t0 = Clock::now();
  std::vector<JoinHandle<void>> acceptors;
  for (auto& l : listeners) acceptors.push_back(spawn(storm_acceptor_forever(&l, &served)));
  std::vector<JoinHandle<std::size_t>> clients;
  for (std::size_t k = 0; k < std::min(clients_n, conns); ++k) {
    clients.push_back(spawn(storm_client(at, k, conns, clients_n)));
  }
  std::size_t done = 0;
  for (auto& c : clients) {
    Result<std::size_t> r = co_await c;
    if (!r) die("storm client task", r.error());
    done += *r;
  }
  std::uint64_t elapsed = elapsed_ns(t0);
  // Every client saw end of stream, so every handler counted itself before closing.
  if (done != conns || served.load(std::memory_order_acquire) != conns) {
    die("accept_storm_per_worker",
        std::to_string(done) + " clients done, " + std::to_string(served.load()) + " served");
  }
  for (auto& a : acceptors) {
    a.abort();
    (void)co_await a;
  }
  co_return static_cast<double>(conns) / (static_cast<double>(elapsed) / 1e9);
}

Task<void> warm_up_workers() {
  for (int i = 0; i < 100; ++i) {
    Result<void> r = co_await spawn([]() -> Task<void> { co_return; }());
    if (!r) die("warm-up", r.error());
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and output (the row shape of shared/bench/tokio-rt)
// ---------------------------------------------------------------------------------------------

struct Row {
  std::string bench;
  std::string unit;
  std::vector<double> reps;         // per-sample values (min/median/max), or
  std::vector<std::uint64_t> dist;  // raw latencies (min/p50/p90/p99/p999/max/mean)
  std::optional<std::pair<double, double>> c2c;

  std::vector<std::pair<const char*, double>> stats() const {
    if (!reps.empty()) {
      std::vector<double> s = reps;
      std::sort(s.begin(), s.end());
      std::size_t n = s.size();
      double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
      return {{"min", s.front()}, {"median", med}, {"max", s.back()}};
    }
    std::vector<std::uint64_t> s = dist;
    std::sort(s.begin(), s.end());
    auto pct = [&](double q) {  // nearest rank
      auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.size())));
      return static_cast<double>(s[std::clamp<std::size_t>(rank, 1, s.size()) - 1]);
    };
    double sum = 0;
    for (std::uint64_t x : s) sum += static_cast<double>(x);
    return {{"min", static_cast<double>(s.front())},
            {"p50", pct(0.50)},
            {"p90", pct(0.90)},
            {"p99", pct(0.99)},
            {"p999", pct(0.999)},
            {"max", static_cast<double>(s.back())},
            {"mean", sum / static_cast<double>(s.size())}};
  }
  std::size_t samples() const { return reps.empty() ? dist.size() : reps.size(); }
};

std::string fmt_val(double x) {
  char b[64];
  std::snprintf(b, sizeof b, x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x);
  return b;
}

// Per-sample scheduler counters, from Runtime::metrics() before and after a sample.
struct SchedDelta {
  double steals = 0;
  double busiest_share = 0;  // % of the sample's polls that ran on the busiest worker
};
SchedDelta sched_delta(const RuntimeMetrics& a, const RuntimeMetrics& b) {
  SchedDelta d;
  std::uint64_t total = 0;
  std::uint64_t busiest = 0;
  for (std::size_t i = 0; i < b.worker.size() && i < a.worker.size(); ++i) {
    d.steals += static_cast<double>(b.worker[i].steals - a.worker[i].steals);
    std::uint64_t polls = b.worker[i].polls - a.worker[i].polls;
    total += polls;
    busiest = std::max(busiest, polls);
  }
  d.busiest_share = total ? 100.0 * static_cast<double>(busiest) / static_cast<double>(total) : 0;
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  const std::vector<int> affinity = current_affinity();
  start_watchdog();
  const std::string label = o.label_or_default();
  RuntimeConfig config =
      o.current_thread ? RuntimeConfig::current_thread() : RuntimeConfig::multi_thread(o.workers);
  if (o.current_thread && !o.worker_cpus.empty()) pin_current_thread(o.worker_cpus[0]);
  if (!o.current_thread) config.worker_cpus = o.worker_cpus;
  Runtime rt(config);
  auto progress = [&](const char* s) {
    if (!o.quiet) std::fprintf(stderr, "[strata %s] %s\n", label.c_str(), s);
  };
  rt.block_on(warm_up_workers());
  auto probe = [&] { return bench_env::c2c_probe(affinity); };
  auto both = [](std::optional<double> a,
                 std::optional<double> b) -> std::optional<std::pair<double, double>> {
    if (a && b) return std::pair(*a, *b);
    return std::nullopt;
  };

  std::vector<Row> rows;
  const PingPongCfg cfg{o.pairs, o.round_trips, o.sample_every};
  // Runs one sample (with the hang watchdog armed) and reports what it cost beyond its own
  // result: process CPU, how the workers shared it, and the scheduler's counters.
  struct SampleCost {
    double cpu_us = 0;             // process CPU time, µs
    double busiest_cpu_share = 0;  // % of the workers' CPU used by the busiest worker
    double cpus_used = 0;          // worker CPU time / wall time
    SchedDelta sched;
  };
  auto measure = [&](auto&& run_sample) {
    arm_deadline();
    RuntimeMetrics m0 = rt.metrics();
    auto c0 = worker_cpu(kWorkerThreadPrefix);
    Instant t0 = Clock::now();
    std::uint64_t p0 = process_cpu_ns();
    run_sample();
    SampleCost c;
    std::tie(c.busiest_cpu_share, c.cpus_used) =
        cpu_spread(c0, worker_cpu(kWorkerThreadPrefix), elapsed_ns(t0));
    c.sched = sched_delta(m0, rt.metrics());
    c.cpu_us = static_cast<double>(process_cpu_ns() - p0) / 1e3;
    return c;
  };

  for (bool cross : {false, true}) {
    const std::string name = cross ? "tcp_ping_pong_cross" : "tcp_ping_pong";
    if (!o.selected(name)) continue;
    if (cross && o.current_thread) {
      progress("tcp_ping_pong_cross: skipped (one thread: nothing to cross)");
      continue;
    }
    progress(name.c_str());
    std::optional<double> before = probe();
    Row rate{name, "round_trips/s", {}, {}, {}};
    Row rtt{name + "_rtt", "ns", {}, {}, {}};
    Row fc{name + "_foreign_client", "%", {}, {}, {}};
    Row fs{name + "_foreign_server", "%", {}, {}, {}};
    Row steals{name + "_steals", "tasks", {}, {}, {}};
    Row busiest{name + "_busiest_worker", "% of polls", {}, {}, {}};
    Row busiest_cpu{name + "_busiest_cpu", "% of worker CPU", {}, {}, {}};
    Row cpus{name + "_worker_cpus", "CPUs", {}, {}, {}};
    Row cpu_per_op{name + "_cpu_per_op", "us CPU/round trip", {}, {}, {}};
    for (std::size_t i = 0; i < o.warmup + o.reps; ++i) {
      PingPongSample s;
      SampleCost c = measure([&] { s = rt.block_on(ping_pong_sample(cfg, cross)); });
      if (i < o.warmup) continue;
      cpu_per_op.reps.push_back(c.cpu_us / static_cast<double>(o.pairs * o.round_trips));
      busiest_cpu.reps.push_back(c.busiest_cpu_share);
      cpus.reps.push_back(c.cpus_used);
      rate.reps.push_back(s.rate);
      rtt.dist.insert(rtt.dist.end(), s.rtt.begin(), s.rtt.end());
      fc.reps.push_back(s.client_placement.percent());
      fs.reps.push_back(s.server_placement.percent());
      steals.reps.push_back(c.sched.steals);
      busiest.reps.push_back(c.sched.busiest_share);
    }
    std::optional<std::pair<double, double>> c2c = both(before, probe());
    for (Row* r : {&rate, &rtt, &cpu_per_op, &fc, &fs, &steals, &busiest, &busiest_cpu, &cpus}) {
      // One thread: nothing to spread.
      if (o.current_thread && r != &rate && r != &rtt && r != &cpu_per_op) continue;
      r->c2c = c2c;
      rows.push_back(std::move(*r));
    }
  }
  for (bool per_worker : {false, true}) {
    const std::string name = per_worker ? "accept_storm_per_worker" : "accept_storm";
    if (!o.selected(name) || (per_worker && o.current_thread)) continue;
    progress(name.c_str());
    std::optional<double> before = probe();
    Row rate{name, "conns/s", {}, {}, {}};
    Row steals{name + "_steals", "tasks", {}, {}, {}};
    Row busiest_cpu{name + "_busiest_cpu", "% of worker CPU", {}, {}, {}};
    Row cpus{name + "_worker_cpus", "CPUs", {}, {}, {}};
    Row cpu_per_op{name + "_cpu_per_op", "us CPU/conn", {}, {}, {}};
    for (std::size_t i = 0; i < o.warmup + o.reps; ++i) {
      double r = 0;
      SampleCost c = measure([&] {
        r = per_worker ? rt.block_on(accept_storm_per_worker_sample(o.conns, o.storm_clients))
                       : rt.block_on(accept_storm_sample(o.conns, o.storm_clients));
      });
      if (i < o.warmup) continue;
      rate.reps.push_back(r);
      cpu_per_op.reps.push_back(c.cpu_us / static_cast<double>(o.conns));
      steals.reps.push_back(c.sched.steals);
      busiest_cpu.reps.push_back(c.busiest_cpu_share);
      cpus.reps.push_back(c.cpus_used);
    }
    std::optional<std::pair<double, double>> c2c = both(before, probe());
    for (Row* r : {&rate, &cpu_per_op, &steals, &busiest_cpu, &cpus}) {
      if (o.current_thread && r != &rate && r != &cpu_per_op) continue;
      r->c2c = c2c;
      rows.push_back(std::move(*r));
    }
  }
  g_deadline_ns.store(UINT64_MAX, std::memory_order_relaxed);

  // ---- markdown to stdout
  const std::uint32_t workers = o.current_thread ? 1 : o.workers;
  std::printf("### strata — %s: %s runtime, %u worker(s), cpus %s\n\n", label.c_str(),
              o.runtime_name(), workers, cpu_list(affinity).c_str());
  std::printf("| bench | unit | stats | samples | c2c ns before/after |\n");
  std::printf("|---|---|---|---:|---:|\n");
  for (const Row& r : rows) {
    std::string cells;
    for (auto& [k, v] : r.stats())
      cells += (cells.empty() ? "" : ", ") + std::string(k) + " " + fmt_val(v);
    std::string c2c = r.c2c ? fmt_val(r.c2c->first) + "/" + fmt_val(r.c2c->second) : "–";
    std::printf("| %s | %s | %s | %zu | %s |\n", r.bench.c_str(), r.unit.c_str(), cells.c_str(),
                r.samples(), c2c.c_str());
  }
  std::printf("\n");

  // ---- JSON
  if (!o.json.empty()) {
    std::string args;
    for (int i = 1; i < argc; ++i) args += (i > 1 ? " " : "") + std::string(argv[i]);
    char meta[4096];
    std::snprintf(
        meta, sizeof meta,
        "\"impl\": \"strata\", \"strata_version\": \"0.1.0\", \"compiler\": \"g++ %s\", "
        "\"label\": \"%s\", \"runtime\": \"%s\", \"workers\": %u, \"cpus\": \"%s\", "
        "\"worker_cpus\": \"%s\", \"reps\": %zu, \"warmup\": %zu, \"pairs\": %zu, "
        "\"round_trips\": %zu, \"sample_every\": %zu, \"conns\": %zu, \"storm_clients\": %zu, "
        "\"msg_bytes\": %zu, \"kernel\": \"%s\", \"cpu_model\": \"%s\", \"nproc\": %ld, "
        "\"unix_time\": %lld, \"args\": \"%s\"",
        __VERSION__, json_escape(label).c_str(), o.runtime_name(), workers,
        cpu_list(affinity).c_str(), cpu_list(o.worker_cpus).c_str(), o.reps, o.warmup, o.pairs,
        o.round_trips, o.sample_every, o.conns, o.storm_clients, kMsg,
        json_escape(kernel()).c_str(), json_escape(cpu_model()).c_str(),
        sysconf(_SC_NPROCESSORS_ONLN), static_cast<long long>(std::time(nullptr)),
        json_escape(args).c_str());
    std::string s = "{\n\"meta\": {" + std::string(meta) + "},\n\"results\": [\n";
    bool first = true;
    for (const Row& r : rows) {
      for (auto& [stat, v] : r.stats()) {
        char rec[1024];
        char cb[32] = "null";
        char ca[32] = "null";
        if (r.c2c) {
          std::snprintf(cb, sizeof cb, "%.1f", r.c2c->first);
          std::snprintf(ca, sizeof ca, "%.1f", r.c2c->second);
        }
        std::snprintf(rec, sizeof rec,
                      "{\"bench\": \"%s\", \"label\": \"%s\", \"runtime\": \"%s\", \"workers\": "
                      "%u, \"stat\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", \"samples\": %zu, "
                      "\"c2c_before_ns\": %s, \"c2c_after_ns\": %s}",
                      r.bench.c_str(), json_escape(label).c_str(), o.runtime_name(), workers, stat,
                      v, r.unit.c_str(), r.samples(), cb, ca);
        s += (first ? "" : ",\n") + std::string(rec);
        first = false;
      }
    }
    s += "\n]\n}\n";
    std::FILE* f = std::fopen(o.json.c_str(), "w");
    if (!f || std::fwrite(s.data(), 1, s.size(), f) != s.size() || std::fclose(f) != 0) {
      die("write " + o.json, std::strerror(errno));
    }
  }
  rt.shutdown();
  return 0;
}
