// net::resolve and net::connect(host, port): IP literals, localhost, a custom hosts file
// ($CARES_HOSTS), and a fake DNS server on loopback UDP (answers, NXDOMAIN, silence) for the
// c-ares path; cancellation, the multi-thread runtime, and connecting by name.
#include "strata/net/dns.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "net_test_util.hpp"

namespace strata::test {
namespace {

using net::AddressFamily;
using net::DnsErrc;
using net::Ipv4Addr;
using net::Ipv6Addr;
using net::ResolveOptions;
using net::SocketAddr;
using net::SocketAddrV4;
using net::SocketAddrV6;
using net::UdpSocket;

constexpr const char* hosts_name = "strata-hosts-test.example";

// c-ares reads $CARES_HOSTS on every query: point it at our own hosts file before any test (and
// so before any runtime thread) runs.
struct HostsFileEnv : ::testing::Environment {
  std::string path;
  void SetUp() override {
    char tmpl[] = "/tmp/strata-dns-hosts-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path = tmpl;
    std::ofstream f(path);
    f << "# test hosts file\n"
      << "10.1.2.3     " << hosts_name << " alias-of-hosts-test\n"
      << "2001:db8::7  " << hosts_name << "\n";
    f.close();
    ASSERT_EQ(::setenv("CARES_HOSTS", path.c_str(), 1), 0);
  }
  void TearDown() override { ::unlink(path.c_str()); }
};
[[maybe_unused]] auto* const hosts_env = ::testing::AddGlobalTestEnvironment(new HostsFileEnv);

// What the fake name server does with every query.
// What the fake name server does with every query. `truncated`: UDP replies carry only the TC
// bit, so the resolver retries over TCP (where the server answers as `answer`).
enum class Mode { answer, nxdomain, silent, truncated };

// A DNS reply for the query in `q` (RFC 1035 §4.1), or nothing for a malformed query.
std::vector<std::uint8_t> make_reply(std::span<const std::uint8_t> q, Mode mode) {
  if (q.size() < 12) return {};
  std::size_t i = 12;  // skip the QNAME: labels up to the zero byte
  while (i < q.size() && q[i] != 0) i += 1 + q[i];
  if (i + 5 > q.size()) return {};
  const unsigned qtype = static_cast<unsigned>(q[i + 1] << 8 | q[i + 2]);
  std::vector<std::vector<std::uint8_t>> rdatas;
  if (mode == Mode::answer && qtype == 1) {  // A
    rdatas = {{127, 0, 0, 1}, {127, 0, 0, 2}};
  } else if (mode == Mode::answer && qtype == 28) {  // AAAA: ::1
    rdatas = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  }
  std::vector<std::uint8_t> r;
  auto put16 = [&r](unsigned v) {
    r.push_back(static_cast<std::uint8_t>(v >> 8));
    r.push_back(static_cast<std::uint8_t>(v));
  };
  r.push_back(q[0]);  // ID
  r.push_back(q[1]);
  r.push_back(static_cast<std::uint8_t>(0x80 | (mode == Mode::truncated ? 0x02 : 0) |
                                        (q[2] & 0x01)));  // QR, TC, RD copied
  r.push_back(mode == Mode::nxdomain ? 0x83 : 0x80);      // RA, RCODE
  put16(1);                                               // QDCOUNT
  put16(static_cast<unsigned>(rdatas.size()));            // ANCOUNT
  put16(0);                                               // NSCOUNT
  put16(0);                                               // ARCOUNT
  r.insert(r.end(), q.begin() + 12, q.begin() + static_cast<std::ptrdiff_t>(i + 5));
  for (auto& d : rdatas) {
    put16(0xc00c);  // name: pointer to the question's
    put16(qtype);
    put16(1);  // class IN
    put16(0);  // TTL 60
    put16(60);
    put16(static_cast<unsigned>(d.size()));
    r.insert(r.end(), d.begin(), d.end());
  }
  return r;
}

Task<void> fake_dns_server(UdpSocket s, Mode mode) {
  std::array<std::uint8_t, 1500> buf;
  for (;;) {
    auto r = co_await s.recv_from(std::as_writable_bytes(std::span(buf)));
    if (!r) co_return;
    if (mode == Mode::silent) continue;
    auto reply = make_reply(std::span(buf).first(r->first), mode);
    if (reply.empty()) continue;
    (void)co_await s.send_to(std::as_bytes(std::span(reply)), r->second);
  }
}

// DNS over TCP (RFC 1035 §4.2.2: each message behind a 2-byte length), one connection at a time.
Task<void> fake_dns_tcp_server(net::TcpListener l, std::atomic<int>& queries) {
  for (;;) {
    auto c = co_await l.accept();
    if (!c) co_return;
    net::TcpStream& s = c->first;
    for (;;) {
      std::array<std::uint8_t, 2> len;
      auto got = co_await io::read_exact(s, std::as_writable_bytes(std::span(len)));
      if (!got) break;
      std::vector<std::uint8_t> q(static_cast<std::size_t>(len[0] << 8 | len[1]));
      got = co_await io::read_exact(s, std::as_writable_bytes(std::span(q)));
      if (!got) break;
      queries.fetch_add(1);
      auto reply = make_reply(q, Mode::answer);
      reply.insert(reply.begin(), {static_cast<std::uint8_t>(reply.size() >> 8),
                                   static_cast<std::uint8_t>(reply.size())});
      auto sent = co_await io::write_all(s, std::as_bytes(std::span(reply)));
      if (!sent) break;
    }
  }
}

// A fake server on 127.0.0.1:<ephemeral>; aborted when the test body returns.
struct FakeDns {
  SocketAddr addr;
  JoinHandle<void> task;
  ~FakeDns() { task.abort(); }
};
FakeDns start_fake_dns(Mode mode) {
  auto s = UdpSocket::bind(loopback());
  EXPECT_TRUE(s.has_value());
  SocketAddr a = *s->local_addr();
  return FakeDns{a, spawn(fake_dns_server(std::move(*s), mode))};
}

bool contains(const std::vector<SocketAddr>& v, const SocketAddr& a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

TEST(Dns, ip_literals_resolve_without_a_query) {
  run_current([]() -> Task<void> {
    auto v4 = co_await net::resolve("192.0.2.1", 80);
    CO_ASSERT_OK(v4);
    EXPECT_EQ(*v4, std::vector<SocketAddr>{SocketAddrV4(Ipv4Addr(192, 0, 2, 1), 80)});
    auto v6 = co_await net::resolve("2001:db8::1", 443);
    CO_ASSERT_OK(v6);
    EXPECT_EQ(v6->at(0).to_string(), "[2001:db8::1]:443");
    auto bracketed = co_await net::resolve("[::1]", 8080);
    CO_ASSERT_OK(bracketed);
    EXPECT_EQ(*bracketed, std::vector<SocketAddr>{SocketAddrV6(Ipv6Addr::localhost, 8080)});
    auto zoned = co_await net::resolve("[fe80::1%1]", 7);
    CO_ASSERT_OK(zoned);
    EXPECT_EQ(zoned->at(0).to_string(), "[fe80::1%1]:7");
    ResolveOptions only_v6{.family = AddressFamily::v6};
    auto wrong_family = co_await net::resolve("192.0.2.1", 80, only_v6);
    CO_ASSERT_TRUE(!wrong_family);
    EXPECT_EQ(wrong_family.error(), DnsErrc::no_data);
  }());
}

TEST(Dns, localhost_is_loopback_without_the_network) {
  run_current([]() -> Task<void> {
    const std::vector<SocketAddr> both{SocketAddrV6(Ipv6Addr::localhost, 9),
                                       SocketAddrV4(Ipv4Addr::localhost, 9)};
    for (const char* name : {"localhost", "LocalHost.", "api.localhost"}) {
      auto r = co_await net::resolve(name, 9);
      CO_ASSERT_OK(r);
      EXPECT_EQ(*r, both) << name;
    }
    ResolveOptions only_v4{.family = AddressFamily::v4};
    auto v4 = co_await net::resolve("localhost", 9, only_v4);
    CO_ASSERT_OK(v4);
    EXPECT_EQ(*v4, std::vector<SocketAddr>{SocketAddrV4(Ipv4Addr::localhost, 9)});
    // Only the label "localhost" is special: these go to DNS (here a server saying NXDOMAIN).
    FakeDns nx = start_fake_dns(Mode::nxdomain);
    const SocketAddr servers[] = {nx.addr};
    for (const char* name : {"notlocalhost", "localhost.example"}) {
      auto r = co_await net::resolve(name, 9, ResolveOptions{.servers = servers});
      CO_ASSERT_TRUE(!r);
      EXPECT_EQ(r.error(), DnsErrc::host_not_found) << name;
    }
  }());
}

TEST(Dns, invalid_names_are_bad_name_errors) {
  run_current([]() -> Task<void> {
    const std::string long_label(64, 'a');
    std::string long_name;
    while (long_name.size() < 254) long_name += "abcdefg.";
    for (std::string name : {std::string(), std::string("."), std::string("a..b"),
                             std::string(".a"), std::string("exa mple.com"), std::string("a\0b", 3),
                             std::string("x/y"), long_label, long_name, std::string("bad[name")}) {
      auto r = co_await net::resolve(name, 1);
      CO_ASSERT_TRUE(!r);
      EXPECT_EQ(r.error(), DnsErrc::bad_name) << name;
      EXPECT_LE(r.error().context().size(), 8 + 64 + 3);  // "resolve " + at most 64 + "..."
    }
    auto ok_label = co_await net::resolve(std::string(63, 'a') + ".localhost", 1);
    EXPECT_TRUE(ok_label.has_value());
  }());
}

TEST(Dns, hosts_file_from_cares_hosts_is_honoured) {
  run_current([]() -> Task<void> {
    // The only server never answers: a DNS query would time out.
    FakeDns dns = start_fake_dns(Mode::silent);
    const SocketAddr servers[] = {dns.addr};
    auto r =
        co_await net::resolve(hosts_name, 22, ResolveOptions{.timeout = 300ms, .servers = servers});
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->size(), 2u);
    EXPECT_TRUE(contains(*r, SocketAddrV4(Ipv4Addr(10, 1, 2, 3), 22)));
    EXPECT_TRUE(contains(*r, SocketAddrV6(Ipv6Addr(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7), 22)));
    auto alias = co_await net::resolve(
        "alias-of-hosts-test", 1, ResolveOptions{.family = AddressFamily::v4, .servers = servers});
    CO_ASSERT_OK(alias);
    EXPECT_EQ(*alias, std::vector<SocketAddr>{SocketAddrV4(Ipv4Addr(10, 1, 2, 3), 1)});
    // Without the hosts file the same name goes to the silent server.
    auto skipped = co_await net::resolve(
        hosts_name, 22,
        ResolveOptions{.timeout = 50ms, .tries = 1, .use_hosts_file = false, .servers = servers});
    CO_ASSERT_TRUE(!skipped);
    EXPECT_EQ(skipped.error(), Errc::timed_out);
  }());
}

TEST(Dns, fake_server_answers_a_and_aaaa) {
  run_current([]() -> Task<void> {
    FakeDns dns = start_fake_dns(Mode::answer);
    const SocketAddr servers[] = {dns.addr};
    auto r = co_await net::resolve("svc.strata.test", 5000, ResolveOptions{.servers = servers});
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->size(), 3u);
    EXPECT_TRUE(contains(*r, SocketAddrV4(Ipv4Addr(127, 0, 0, 1), 5000)));
    EXPECT_TRUE(contains(*r, SocketAddrV4(Ipv4Addr(127, 0, 0, 2), 5000)));
    EXPECT_TRUE(contains(*r, SocketAddrV6(Ipv6Addr::localhost, 5000)));
    auto v4 = co_await net::resolve(
        "svc.strata.test", 1, ResolveOptions{.family = AddressFamily::v4, .servers = servers});
    CO_ASSERT_OK(v4);
    EXPECT_EQ(v4->size(), 2u);
    for (auto& a : *v4) EXPECT_TRUE(a.is_ipv4());
  }());
}

TEST(Dns, truncated_udp_answer_falls_back_to_tcp) {
  run_current([]() -> Task<void> {
    // UDP and TCP on the same port number (separate namespaces; retry if TCP's is taken).
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto u = UdpSocket::bind(loopback());
      CO_ASSERT_OK(u);
      const SocketAddr addr = *u->local_addr();
      auto l = net::TcpListener::bind(addr);
      if (!l) continue;
      std::atomic<int> tcp_queries{0};
      auto udp = spawn(fake_dns_server(std::move(*u), Mode::truncated));
      auto tcp = spawn(fake_dns_tcp_server(std::move(*l), tcp_queries));
      const SocketAddr servers[] = {addr};
      auto r = co_await net::resolve("big.strata.test", 53, ResolveOptions{.servers = servers});
      udp.abort();
      tcp.abort();
      CO_ASSERT_OK(r);
      EXPECT_EQ(r->size(), 3u);
      EXPECT_GE(tcp_queries.load(), 1);
      co_return;
    }
    ADD_FAILURE() << "no port free for both UDP and TCP";
  }());
}

TEST(Dns, ipv6_name_server) {
  run_current([]() -> Task<void> {
    auto u = UdpSocket::bind(loopback6());
    CO_ASSERT_OK(u);
    const SocketAddr servers[] = {*u->local_addr()};
    auto h = spawn(fake_dns_server(std::move(*u), Mode::answer));
    auto r = co_await net::resolve("v6server.strata.test", 1, ResolveOptions{.servers = servers});
    h.abort();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->size(), 3u);
  }());
}

TEST(Dns, nxdomain_is_host_not_found) {
  run_current([]() -> Task<void> {
    FakeDns dns = start_fake_dns(Mode::nxdomain);
    const SocketAddr servers[] = {dns.addr};
    auto r = co_await net::resolve("nothing.strata.test", 80, ResolveOptions{.servers = servers});
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), DnsErrc::host_not_found);
    EXPECT_EQ(r.error().message(), "resolve nothing.strata.test: host not found");
  }());
}

TEST(Dns, silent_server_times_out) {
  run_current([]() -> Task<void> {
    FakeDns dns = start_fake_dns(Mode::silent);
    const SocketAddr servers[] = {dns.addr};
    const Instant start = Clock::now();
    auto r = co_await net::resolve(
        "slow.strata.test", 80, ResolveOptions{.timeout = 100ms, .tries = 1, .servers = servers});
    const auto took = Clock::now() - start;
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), Errc::timed_out);
    EXPECT_GE(took, 100ms);
    EXPECT_LT(took, 3s);
  }());
}

TEST(Dns, unreachable_server_is_typed) {
  run_current([]() -> Task<void> {
    // A UDP port with no socket: ICMP port unreachable -> connection refused.
    auto s = UdpSocket::bind(loopback());
    CO_ASSERT_OK(s);
    const SocketAddr servers[] = {*s->local_addr()};
    { UdpSocket gone = std::move(*s); }
    auto r = co_await net::resolve(
        "x.strata.test", 80, ResolveOptions{.timeout = 200ms, .tries = 1, .servers = servers});
    CO_ASSERT_TRUE(!r);
    EXPECT_TRUE(r.error() == DnsErrc::connection_refused || r.error() == Errc::timed_out)
        << r.error().message();
  }());
}

TEST(Dns, dropping_a_pending_resolve_cancels_it) {
  run_current([]() -> Task<void> {
    FakeDns dns = start_fake_dns(Mode::silent);
    const SocketAddr servers[] = {dns.addr};
    const Instant start = Clock::now();
    auto r =
        co_await timeout(50ms, net::resolve("slow.strata.test", 80,
                                            ResolveOptions{.timeout = 5000ms, .servers = servers}));
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), Errc::timed_out);
    EXPECT_LT(Clock::now() - start, 2s);
    // The channel is gone and the runtime still works: a new query is answered normally.
    auto again = co_await net::resolve("localhost", 1);
    EXPECT_TRUE(again.has_value());
  }());
}

Task<void> pending_resolve(SocketAddr server) {
  const SocketAddr servers[] = {server};
  auto r = co_await net::resolve("never.strata.test", 80,
                                 ResolveOptions{.timeout = 10000ms, .servers = servers});
  (void)r;
  ADD_FAILURE() << "a resolve that cannot finish finished";
}

TEST(Dns, runtime_shutdown_with_pending_resolves_is_clean) {
  for (bool multi : {false, true}) {
    Runtime rt = multi ? Runtime::multi_thread(2) : Runtime::current_thread();
    rt.block_on([]() -> Task<void> {
      FakeDns dns = start_fake_dns(Mode::silent);
      for (int i = 0; i < 8; ++i) (void)spawn(pending_resolve(dns.addr));  // detached
      co_await sleep(30ms);  // let them send their queries
    }());
    // ~Runtime destroys the pending resolves: channels destroyed, sockets deregistered.
  }
}

Task<void> resolve_many(SocketAddr server, int n, std::atomic<int>& ok) {
  const SocketAddr servers[] = {server};
  for (int i = 0; i < n; ++i) {
    auto r = co_await net::resolve("svc" + std::to_string(i) + ".strata.test", 1,
                                   ResolveOptions{.servers = servers});
    if (r && r->size() == 3) ok.fetch_add(1);
  }
}

TEST(Dns, concurrent_resolves_on_the_multi_thread_runtime) {
  std::atomic<int> ok{0};
  run_multi(
      [](std::atomic<int>& ok_count) -> Task<void> {
        FakeDns dns = start_fake_dns(Mode::answer);
        std::vector<JoinHandle<void>> hs;
        for (int t = 0; t < 16; ++t) hs.push_back(spawn(resolve_many(dns.addr, 10, ok_count)));
        for (auto& h : hs) co_await h;
      }(ok),
      2, 20s);
  EXPECT_EQ(ok.load(), 160);
}

Task<void> accept_one(net::TcpListener& l) {
  auto c = co_await l.accept();
  CO_ASSERT_OK(c);
}

TEST(Dns, connect_by_name) {
  run_current([]() -> Task<void> {
    auto l = net::TcpListener::bind(loopback());
    CO_ASSERT_OK(l);
    const std::uint16_t port = l->local_addr()->port();
    // localhost: ::1 is refused (nothing listens there), then 127.0.0.1 connects.
    auto h = spawn(accept_one(*l));
    auto s = co_await net::connect("localhost", port);
    CO_ASSERT_OK(s);
    EXPECT_EQ(s->peer_addr(), loopback(port));
    co_await h;
    // Through the fake server (127.0.0.1, 127.0.0.2 and ::1), with a deadline.
    FakeDns dns = start_fake_dns(Mode::answer);
    const SocketAddr servers[] = {dns.addr};
    auto h2 = spawn(accept_one(*l));
    auto s2 = co_await net::connect("svc.strata.test", port,
                                    {.timeout = 5s, .resolve = {.servers = servers}});
    CO_ASSERT_OK(s2);
    EXPECT_EQ(s2->peer_addr().ip(), loopback().ip());
    co_await h2;
    // Errors name the host.
    FakeDns nx = start_fake_dns(Mode::nxdomain);
    const SocketAddr nx_servers[] = {nx.addr};
    auto bad =
        co_await net::connect("nothing.strata.test", port, {.resolve = {.servers = nx_servers}});
    CO_ASSERT_TRUE(!bad);
    EXPECT_EQ(bad.error(), DnsErrc::host_not_found);
    auto refused = co_await net::connect("127.0.0.1", 1);
    CO_ASSERT_TRUE(!refused);
    EXPECT_EQ(refused.error().message(), "connect 127.0.0.1:1: Connection refused");
  }());
}

TEST(Dns, connect_timeout_covers_resolution) {
  run_current([]() -> Task<void> {
    FakeDns dns = start_fake_dns(Mode::silent);
    const SocketAddr servers[] = {dns.addr};
    auto r = co_await net::connect("slow.strata.test", 80,
                                   {.timeout = 100ms, .resolve = {.servers = servers}});
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), Errc::timed_out);
    EXPECT_EQ(r.error().context(), "connect slow.strata.test:80");
  }());
}

}  // namespace
}  // namespace strata::test
