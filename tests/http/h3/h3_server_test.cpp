// HTTP/3 (h3::Server over ngtcp2 + nghttp3): a real browser, Debian's chromium, forced onto QUIC
// for the test origin, loads a page, downloads a 10 MB streamed body and uploads 1 MB over
// HTTP/3; the page writes what the browser saw (the protocol of each request, lengths and
// checksums) into the DOM, which `--dump-dom` prints. Plus raw datagrams: version negotiation
// and garbage input, and shutdown.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../../tls/pki.hpp"
#include "../http_test_util.hpp"
#include "strata/http.hpp"
#include "strata/http/h3/server.hpp"
#include "strata/tls.hpp"

namespace strata::test {
namespace {

const Pki& pki = Pki::get();
constexpr const char* kChromium = "/usr/bin/chromium";
constexpr std::size_t kBig = 10 * 1024 * 1024;

std::uint8_t big_byte(std::size_t i) {
  return static_cast<std::uint8_t>(i * 131 + (i >> 13));
}

// The page's checksum: s = s * 31 + byte (mod 2^32), as the script computes it.
std::uint32_t checksum_of(std::size_t n, std::uint8_t (*byte)(std::size_t)) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s = s * 31 + byte(i);
  return s;
}

constexpr std::string_view kPage = R"(<!doctype html><html><body><pre id="out">pending</pre>
<script>
(async () => {
  const nav = performance.getEntriesByType('navigation')[0].nextHopProtocol;
  const r = await fetch('/big');
  const b = new Uint8Array(await r.arrayBuffer());
  let s = 0;
  for (let i = 0; i < b.length; i++) s = (Math.imul(s, 31) + b[i]) >>> 0;
  const bigEntry = performance.getEntriesByName(new URL('/big', location).href)[0];
  const bigProto = bigEntry.nextHopProtocol;
  const up = new Uint8Array(1 << 20);
  for (let i = 0; i < up.length; i++) up[i] = (i * 7) & 0xff;
  const sum = await (await fetch('/sum', {method: 'POST', body: up})).text();
  document.getElementById('out').textContent =
      'nav=' + nav + ' big=' + b.length + ':' + s + ' bigproto=' + bigProto + ' sum=' + sum +
      ' bigms=' + Math.round(bigEntry.duration);
})().catch(e => { document.getElementById('out').textContent = 'error ' + e; });
</script></body></html>)";

Task<void> produce_big(http::BodySender tx) {
  std::string chunk;
  for (std::size_t at = 0; at < kBig; at += chunk.size()) {
    chunk.resize(std::min<std::size_t>(64 * 1024, kBig - at));
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(big_byte(at + i));
    Result<void> sent = co_await tx.send(chunk);
    if (!sent) co_return;  // the client went away
  }
}

Task<http::Response> page(http::Request&) {
  http::Response r = http::Response::html(std::string(kPage));
  r.headers.set("cache-control", "no-store");
  co_return r;
}

Task<http::Response> big(http::Request&) {
  auto [tx, body] = http::Body::channel(4);
  (void)spawn(produce_big(std::move(tx)));  // detached: ends when the body is done or dropped
  http::Response r(http::StatusCode::ok, std::move(body));
  r.headers.set("content-type", "application/octet-stream");
  r.headers.set("content-length", std::to_string(kBig));
  r.headers.set("cache-control", "no-store");
  co_return r;
}

// Reads the upload chunk by chunk (flow control follows these reads): "length:checksum".
Task<http::Response> sum(http::Request& req) {
  std::uint64_t n = 0;
  std::uint32_t s = 0;
  for (;;) {
    Result<io::BufferView> chunk = co_await req.body.next();
    if (!chunk) co_return http::Response::error(http::StatusCode::bad_request);
    if (chunk->empty()) break;
    for (std::byte b : *chunk) s = s * 31 + static_cast<std::uint8_t>(b);
    n += chunk->size();
  }
  co_return http::Response::text(std::to_string(n) + ":" + std::to_string(s));
}

Task<http::Response> version(http::Request& req) {
  co_return http::Response::text(req.version == http::Version::http_3 ? "h3" : "other");
}

std::shared_ptr<http::Router> routes() {
  auto r = std::make_shared<http::Router>();
  r->get("/", page).get("/big", big).post("/sum", sum).get("/version", version);
  return r;
}

http::h3::ServerConfig config() {
  http::h3::ServerConfig c;
  c.cert_file = pki.path("server.pem");
  c.key_file = pki.path("server.key");
  return c;
}

// base64(sha256(SubjectPublicKeyInfo)) of the server certificate: chromium's allow-list form.
std::string spki_hash() {
  int status = 0;
  std::string out = run("openssl x509 -in " + pki.path("server.pem") +
                            " -pubkey -noout | openssl pkey -pubin -outform der | "
                            "openssl dgst -sha256 -binary | base64",
                        status);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

struct Browser {
  std::string dom;
  std::string log;
  bool timed_out = false;
};

// Runs chromium with `args` in its own process group, at most `limit`; kills the group (by the
// PID we started) if it overruns.
Browser run_chromium(const std::vector<std::string>& args, std::chrono::seconds limit) {
  Browser b;
  const std::string dir = pki.path("chromium-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out_file = dir + "/dom.html", err_file = dir + "/log.txt";
  std::fflush(nullptr);  // or the child flushes our buffered output again when it reopens stdout
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    std::FILE* out = std::freopen(out_file.c_str(), "w", stdout);
    std::FILE* err = std::freopen(err_file.c_str(), "w", stderr);
    if (!out || !err) ::_exit(127);
    std::vector<std::string> all = {kChromium,
                                    "--headless",
                                    "--no-sandbox",
                                    "--disable-gpu",
                                    "--no-first-run",
                                    "--disable-background-networking",
                                    "--disable-component-update",
                                    "--disable-sync",
                                    "--user-data-dir=" + dir + "/profile"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(kChromium, argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      b.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid, SIGKILL);  // helpers chromium left behind (renderer, network service)
  std::ifstream dom(out_file), log(err_file);
  std::stringstream d, l;
  d << dom.rdbuf();
  l << log.rdbuf();
  b.dom = d.str();
  b.log = l.str();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return b;
}

Task<void> chromium_over_h3() {
  auto server = http::h3::Server::bind(loopback(), config());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(routes()));
  const std::string origin = "127.0.0.1:" + std::to_string(server->local_addr().port());
  const std::vector<std::string> args = {
      "--origin-to-force-quic-on=" + origin, "--ignore-certificate-errors-spki-list=" + spki_hash(),
      "--virtual-time-budget=60000", "--dump-dom", "https://" + origin + "/"};
  auto h = spawn_blocking([args] { return run_chromium(args, std::chrono::seconds(90)); });
  Result<Browser> b = co_await h;
  CO_ASSERT_OK(b);
  EXPECT_FALSE(b->timed_out);
  const std::string expected =
      "nav=h3 big=" + std::to_string(kBig) + ":" + std::to_string(checksum_of(kBig, big_byte)) +
      " bigproto=h3 sum=" + std::to_string(1 << 20) + ":" +
      std::to_string(
          checksum_of(1 << 20, [](std::size_t i) { return static_cast<std::uint8_t>(i * 7); }));
  EXPECT_NE(b->dom.find(expected), std::string::npos)
      << "expected: " << expected << "\nDOM: " << b->dom
      << "\nlog tail: " << b->log.substr(b->log.size() > 4000 ? b->log.size() - 4000 : 0);
  std::printf("chromium DOM: %s\n", b->dom.c_str());
  const http::h3::ServerStats st = server->stats();
  EXPECT_GE(st.requests, 3u);
  EXPECT_GE(st.connections_accepted, 1u);
  server->shutdown(std::chrono::seconds(2));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

TEST(HttpH3, chromium_loads_a_page_10mb_and_uploads_over_h3) {
  if (::access(kChromium, X_OK) != 0) GTEST_SKIP() << kChromium << " is not installed";
  run_multi(chromium_over_h3(), 2, std::chrono::seconds(150));
}

// A long-header packet with a version we do not speak is answered with Version Negotiation
// listing QUIC v1 (RFC 9000 §6); garbage is dropped and counted; shutdown with no connection
// ends serve() at once.
Task<void> raw_datagrams() {
  auto server = http::h3::Server::bind(loopback(), config());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(routes()));
  auto client = net::UdpSocket::bind(loopback());
  CO_ASSERT_OK(client);
  std::array<std::uint8_t, 1200> pkt{};
  pkt[0] = 0xc0;                                               // long header
  pkt[1] = 0x1a, pkt[2] = 0x2a, pkt[3] = 0x3a, pkt[4] = 0x4a;  // unknown version
  pkt[5] = 8;                                                  // DCID length
  for (int i = 0; i < 8; ++i) pkt[6 + i] = static_cast<std::uint8_t>(i + 1);
  pkt[14] = 4;  // SCID length
  for (int i = 0; i < 4; ++i) pkt[15 + i] = static_cast<std::uint8_t>(0xa0 + i);
  auto sent = co_await client->send_to(
      io::ConstBuffer(reinterpret_cast<const std::byte*>(pkt.data()), pkt.size()),
      server->local_addr());
  CO_ASSERT_OK(sent);
  std::array<std::byte, 1500> buf;
  auto got = co_await timeout(std::chrono::seconds(5), client->recv_from(buf));
  CO_ASSERT_OK(got);
  CO_ASSERT_OK(*got);
  const std::size_t n = (*got)->first;
  CO_ASSERT_TRUE(n >= 7u + 4 + 8 + 4);
  const auto* v = reinterpret_cast<const std::uint8_t*>(buf.data());
  EXPECT_EQ(v[0] & 0x80, 0x80);
  EXPECT_EQ(v[1] | v[2] | v[3] | v[4], 0);  // version 0: Version Negotiation
  EXPECT_EQ(v[5], 4);                       // DCID = our SCID
  EXPECT_EQ(v[6], 0xa0);
  bool lists_v1 = false;
  for (std::size_t at = 6 + 4 + 1 + 8; at + 4 <= n; at += 4) {
    lists_v1 |= v[at] == 0 && v[at + 1] == 0 && v[at + 2] == 0 && v[at + 3] == 1;
  }
  EXPECT_TRUE(lists_v1);

  // Garbage: a short header for no connection, a truncated Initial, an empty datagram.
  const std::string junk = "\x40not a quic connection we know";
  auto j1 = co_await client->send_to(io::as_bytes(std::string_view(junk)), server->local_addr());
  CO_ASSERT_OK(j1);
  pkt[1] = 0, pkt[2] = 0, pkt[3] = 0, pkt[4] = 1;  // v1 Initial, but cut short
  auto j2 = co_await client->send_to(
      io::ConstBuffer(reinterpret_cast<const std::byte*>(pkt.data()), 40), server->local_addr());
  CO_ASSERT_OK(j2);
  // An empty datagram (legal UDP; ngtcp2 asserts on one, as fuzz/h3_datagram.cpp found).
  auto j3 = co_await client->send_to(io::ConstBuffer(), server->local_addr());
  CO_ASSERT_OK(j3);
  for (int i = 0; i < 200 && server->stats().datagrams_dropped < 3; ++i) {
    co_await sleep(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server->stats().datagrams_dropped, 3u);
  EXPECT_EQ(server->stats().connections_accepted, 0u);
  server->shutdown(std::chrono::seconds(1));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

TEST(HttpH3, version_negotiation_garbage_and_shutdown) {
  run_multi(raw_datagrams(), 2, std::chrono::seconds(20));
}

// Alt-Svc: the TCP server advertises the HTTP/3 endpoint on every HTTP/1.1 and HTTP/2 response
// (ServerConfig::alt_svc); a handler's own Alt-Svc wins.
Task<http::Response> own_alt_svc(http::Request&) {
  http::Response r = http::Response::text("own");
  r.headers.set("alt-svc", "clear");
  co_return r;
}

Task<void> alt_svc_on_h1_and_h2() {
  http::ServerConfig c;
  c.alt_svc = "h3=\":4433\"; ma=60";
  auto r = std::make_shared<http::Router>();
  r->get("/version", version).get("/own", own_alt_svc);
  auto server = http::Server::bind(loopback(), c);
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(r));
  const std::string base = "http://" + server->local_addr().to_string();
  Curl h1 = co_await curl("-i --http1.1 " + base + "/version");
  EXPECT_NE(h1.out.find("alt-svc: h3=\":4433\"; ma=60\r\n"), std::string::npos) << h1.out;
  Curl h2 = co_await curl("-i --http2-prior-knowledge " + base + "/version");
  EXPECT_NE(h2.out.find("HTTP/2 200"), std::string::npos) << h2.out;
  EXPECT_NE(h2.out.find("alt-svc: h3=\":4433\"; ma=60\r\n"), std::string::npos) << h2.out;
  Curl own = co_await curl("-i --http1.1 " + base + "/own");
  EXPECT_NE(own.out.find("alt-svc: clear\r\n"), std::string::npos) << own.out;
  EXPECT_EQ(own.out.find("4433"), std::string::npos) << own.out;
  server->shutdown(std::chrono::seconds(1));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

TEST(HttpH3, alt_svc_is_advertised_on_http1_and_http2) {
  run_multi(alt_svc_on_h1_and_h2(), 2, std::chrono::seconds(30));
}

// Not a test (DISABLED_, run with --gtest_also_run_disabled_tests): the numbers of docs/http3.md.
// The same browser drives the same routes over HTTP/3 (h3::Server) and over HTTP/2 on TLS
// (http::Server, ALPN h2), in one process: `small` runs 4000 GETs of /plaintext, 32 at a time;
// `bulk` downloads /big (10 MiB) 5 times. The server's CPU time is this process's
// (getrusage: the browser is a child, not counted), so the ratio does not depend on how fast
// the browser is.
constexpr std::string_view kBenchPage = R"(<!doctype html><html><body><pre id="out">pending</pre>
<script>
(async () => {
  const mode = new URL(location).searchParams.get('mode');
  let n = 0, bytes = 0;
  if (mode === 'small') {
    const worker = async () => {
      while (n < 4000) { n++; await (await fetch('/plaintext')).text(); }
    };
    await Promise.all(Array.from({length: 32}, worker));
  } else {
    for (let i = 0; i < 5; i++) { bytes += (await (await fetch('/big')).arrayBuffer()).byteLength; n++; }
  }
  const proto = performance.getEntriesByType('resource').slice(-1)[0].nextHopProtocol;
  document.getElementById('out').textContent = 'done proto=' + proto + ' n=' + n + ' bytes=' + bytes;
})().catch(e => { document.getElementById('out').textContent = 'error ' + e; });
</script></body></html>)";

Task<http::Response> bench_page(http::Request&) {
  co_return http::Response::html(std::string(kBenchPage));
}

std::shared_ptr<http::Router> bench_routes() {
  auto r = std::make_shared<http::Router>();
  r->get("/bench", bench_page).get("/big", big).get("/plaintext", plaintext_handler);
  return r;
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

Task<std::string> bench_run(std::string origin, bool quic, std::string mode) {
  std::vector<std::string> args = {"--ignore-certificate-errors-spki-list=" + spki_hash(),
                                   "--virtual-time-budget=120000", "--dump-dom",
                                   "https://" + origin + "/bench?mode=" + mode};
  if (quic) args.insert(args.begin(), "--origin-to-force-quic-on=" + origin);
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto h = spawn_blocking([args] { return run_chromium(args, std::chrono::seconds(120)); });
  Result<Browser> b = co_await h;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  if (!b) co_return "chromium failed";
  const auto at = b->dom.find("done proto=");
  const std::string line = at == std::string::npos ? b->dom.substr(0, 300)
                                                   : b->dom.substr(at, b->dom.find('<', at) - at);
  char out[512];
  std::snprintf(out, sizeof out, "%s %-5s: %s; server CPU %.3f s, wall %.2f s", quic ? "h3" : "h2",
                mode.c_str(), line.c_str(), cpu, wall);
  co_return std::string(out);
}

Task<void> h3_vs_h2() {
  auto h3 = http::h3::Server::bind(loopback(), config());
  CO_ASSERT_OK(h3);
  auto h3_serving = spawn(h3->serve(bench_routes()));
  auto tcp = http::Server::bind(loopback(), http::ServerConfig{});
  CO_ASSERT_OK(tcp);
  auto tls_config = pki.server_config();
  tls_config.alpn = {"h2", "http/1.1"};
  auto ctx = tls::ServerContext::create(std::move(tls_config));
  CO_ASSERT_OK(ctx);
  auto tls_addr = tcp->listen_tls(loopback(), *ctx);
  CO_ASSERT_OK(tls_addr);
  auto tcp_serving = spawn(tcp->serve(bench_routes()));
  const std::string h3_origin = "127.0.0.1:" + std::to_string(h3->local_addr().port());
  const std::string h2_origin = "127.0.0.1:" + std::to_string(tls_addr->port());
  for (int round = 0; round < 2; ++round) {
    for (const char* mode : {"small", "bulk"}) {
      std::string a = co_await bench_run(h3_origin, true, mode);
      std::printf("%s\n", a.c_str());
      std::string b = co_await bench_run(h2_origin, false, mode);
      std::printf("%s\n", b.c_str());
    }
  }
  h3->shutdown(std::chrono::seconds(1));
  tcp->shutdown(std::chrono::seconds(1));
  (void)co_await h3_serving;
  (void)co_await tcp_serving;
}

TEST(HttpH3, DISABLED_bench_h3_vs_h2_per_server_cpu_second) {
  if (::access(kChromium, X_OK) != 0) GTEST_SKIP() << kChromium << " is not installed";
  run_multi(h3_vs_h2(), 1, std::chrono::seconds(900));
}

}  // namespace
}  // namespace strata::test
