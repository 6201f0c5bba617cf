// http::Client over HTTP/2 (h2::ClientConnection on nghttp2): against Strata's own server (h2c
// with prior knowledge and h2 over TLS by ALPN, the test PKI), against nginx with http2 over TLS
// and against h2o; multiplexing on one connection, the server's max-concurrent-streams,
// 3 MB both ways, a slow reader beside a fast stream, GOAWAY with the retry of refused
// requests, and typed errors from a server that sends garbage.
#include "strata/http/h2/client_connection.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/flavours.hpp"
#include "../tls/pki.hpp"
#include "http_test_util.hpp"
#include "nginx_process.hpp"
#include "strata/http.hpp"
#include "strata/tls.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t big = 3 << 20;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

const std::string& big_body() {
  static const std::string b = pattern(big);
  return b;
}

Task<http::Response> version_handler(http::Request& req) {
  co_return http::Response::text(req.version == http::Version::http_2 ? "h2" : "h1");
}
Task<http::Response> big_handler(http::Request&) {
  co_return http::Response(http::StatusCode::ok, http::Body::from_static(big_body()));
}
// Answers after a short pause, so that concurrent requests overlap on the server.
Task<http::Response> slow_handler(http::Request&) {
  co_await sleep(20ms);
  co_return http::Response::text("slow");
}

// A response body of one chunk followed by a trailer field.
class WithTrailers final : public http::BodyStream {
 public:
  WithTrailers() { (void)trailers_.append("x-checksum", "42"); }
  Poll<Result<io::BufferView>> poll_data(Context&) override {
    if (sent_) return Result<io::BufferView>{};
    sent_ = true;
    return Result<io::BufferView>(io::BufferView(std::string_view("payload")));
  }
  const http::Headers* trailers() const override { return sent_ ? &trailers_ : nullptr; }

 private:
  http::Headers trailers_;
  bool sent_ = false;
};
Task<http::Response> trailers_handler(http::Request&) {
  co_return http::Response(http::StatusCode::ok,
                           http::Body::from_stream(std::make_unique<WithTrailers>()));
}

// The authority the server saw (h2: :authority, or a Host field if one was sent).
Task<http::Response> host_handler(http::Request& req) {
  co_return http::Response::text(std::string(req.headers.get("host").value_or("-")));
}
// Refuses before reading the body (the case Expect: 100-continue is for).
Task<http::Response> reject_handler(http::Request&) {
  co_return http::Response::error(http::StatusCode::unauthorized);
}

std::shared_ptr<http::Router> routes() {
  auto r = std::make_shared<http::Router>();
  r->get("/version", version_handler)
      .get("/host", host_handler)
      .post("/reject", reject_handler)
      .get("/big", big_handler)
      .get("/slow", slow_handler)
      .get("/trailers", trailers_handler)
      .post("/echo", echo_handler<8 << 20>);
  return r;
}

struct Ports {
  net::SocketAddr plain;
  net::SocketAddr tls;
  const http::Server* server = nullptr;
};

// Starts Strata's server with h2c on the plaintext port and h2 by ALPN on the TLS port.
template <class F>
Task<void> with_h2_server(http::ServerConfig config, F body) {
  auto server = http::Server::bind(loopback(), std::move(config));
  CO_ASSERT_OK(server);
  auto tls_config = Pki::get().server_config();
  tls_config.alpn = {"h2", "http/1.1"};
  auto ctx = tls::ServerContext::create(std::move(tls_config));
  CO_ASSERT_OK(ctx);
  auto tls_addr = server->listen_tls(loopback(), *ctx);
  CO_ASSERT_OK(tls_addr);
  auto serving = spawn(server->serve(routes()));
  co_await body(Ports{server->local_addr(), *tls_addr, &*server});
  server->shutdown(std::chrono::seconds(1));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

// A Client that trusts the test CA, offers h2 by ALPN and speaks h2c to http:// origins.
http::ClientConfig h2_config() {
  http::ClientConfig c;
  c.tls = Pki::get().client_config();
  c.tls.alpn = {"h2", "http/1.1"};
  c.protocol = http::ClientProtocol::http2_prior_knowledge;
  return c;
}

std::string url(const net::SocketAddr& a, bool tls, std::string_view path) {
  return std::string(tls ? "https://" : "http://") + a.to_string() + std::string(path);
}

Task<void> get_text(http::Client client, std::string u, std::string* out, int* failures) {
  auto r = co_await client.get(u).send();
  if (!r || r->status != http::StatusCode::ok || r->version != http::Version::http_2) {
    if (*failures == 0) {
      ADD_FAILURE() << u << ": "
                    << (r ? std::to_string(r->status.as_u16())
                          : r.error().message() + " (" + std::string(r.error().context()) + ")");
    }
    ++*failures;
    co_return;
  }
  auto text = co_await r->body.text(1 << 20);
  if (!text) {
    ++*failures;
    co_return;
  }
  *out = std::move(*text);
}

// `n` concurrent GETs of `u`; each must answer `want` over HTTP/2.
Task<void> concurrent_gets(http::Client client, std::string u, int n, std::string want) {
  std::vector<std::string> out(static_cast<std::size_t>(n));
  int failures = 0;
  std::vector<JoinHandle<void>> tasks;
  for (int i = 0; i < n; ++i)
    tasks.push_back(spawn(get_text(client, u, &out[static_cast<std::size_t>(i)], &failures)));
  for (auto& t : tasks) (void)co_await t;
  EXPECT_EQ(failures, 0);
  for (const std::string& s : out) EXPECT_EQ(s, want);
}

// ---- against Strata's server ----

Task<void> alpn_and_prior_knowledge(Ports p) {
  http::Client client(h2_config());
  for (bool tls : {false, true}) {
    auto r = co_await client.get(url(tls ? p.tls : p.plain, tls, "/version")).send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->version, http::Version::http_2) << (tls ? "h2" : "h2c");
    auto text = co_await r->body.text(1024);
    CO_ASSERT_OK(text);
    EXPECT_EQ(*text, "h2");
  }
  EXPECT_EQ(client.stats().http2_connections, 2u);
  // The server counts its open connections by kind: both speak HTTP/2, one is over TLS.
  http::ServerStats st = p.server->stats();
  EXPECT_EQ(st.connections_active, 2u);
  EXPECT_EQ(st.connections_h2_active, 2u);
  EXPECT_EQ(st.connections_tls_active, 1u);
  // The default configuration negotiates too (ALPN h2 over https)...
  http::ClientConfig plain_cfg;
  plain_cfg.tls = Pki::get().client_config();
  plain_cfg.tls.alpn.clear();  // the default list: h2, http/1.1
  http::Client by_default(plain_cfg);
  auto d = co_await by_default.get(url(p.tls, true, "/version")).send();
  CO_ASSERT_OK(d);
  EXPECT_EQ(d->version, http::Version::http_2);
  // ... and http1_only never offers it.
  plain_cfg.protocol = http::ClientProtocol::http1_only;
  http::Client h1(plain_cfg);
  auto one = co_await h1.get(url(p.tls, true, "/version")).send();
  CO_ASSERT_OK(one);
  EXPECT_EQ(one->version, http::Version::http_1_1);
  auto text = co_await one->body.text(1024);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "h1");
  st = p.server->stats();  // + one h2 and one HTTP/1.1 connection, both over TLS
  EXPECT_EQ(st.connections_active, 4u);
  EXPECT_EQ(st.connections_h2_active, 3u);
  EXPECT_EQ(st.connections_tls_active, 3u);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, NegotiatesH2ByAlpnAndSpeaksH2cOnRequest) {
  run(with_h2_server(http::ServerConfig{}, alpn_and_prior_knowledge));
}

Task<void> hundred_on_one(Ports p) {
  http::Client client(h2_config());
  for (bool tls : {false, true}) {
    co_await concurrent_gets(client, url(tls ? p.tls : p.plain, tls, "/slow"), 100, "slow");
  }
  // One connection per origin: the plaintext one and the TLS one.
  EXPECT_EQ(p.server->stats().connections_accepted, 2u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().http2_connections, 2u);
  EXPECT_EQ(client.stats().requests, 200u);
  EXPECT_EQ(client.open_connections(), 2u);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, MultiplexesHundredRequestsOnOneConnection) {
  run(with_h2_server(http::ServerConfig{}, hundred_on_one));
}

Task<void> two_streams_at_most(Ports p) {
  http::Client client(h2_config());
  co_await concurrent_gets(client, url(p.plain, false, "/slow"), 20, "slow");
  // Never refused (the server would answer REFUSED_STREAM beyond 2), so never retried or
  // moved to a second connection: the excess waited for a slot.
  EXPECT_EQ(client.stats().stale_retries, 0u);
  EXPECT_EQ(p.server->stats().connections_accepted, 1u);
  EXPECT_EQ(p.server->stats().requests, 20u);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, RespectsTheServersMaxConcurrentStreams) {
  http::ServerConfig config;
  config.http2.max_concurrent_streams = 2;
  run(with_h2_server(std::move(config), two_streams_at_most));
}

Task<void> three_megabytes(Ports p) {
  http::Client client(h2_config());
  for (bool tls : {false, true}) {
    const net::SocketAddr& a = tls ? p.tls : p.plain;
    auto up = co_await client.post(url(a, tls, "/echo")).body(big_body()).send();
    CO_ASSERT_OK(up);
    EXPECT_EQ(up->version, http::Version::http_2);
    auto echoed = co_await up->body.text(8 << 20);
    CO_ASSERT_OK(echoed);
    EXPECT_TRUE(*echoed == big_body()) << echoed->size();
    auto down = co_await client.get(url(a, tls, "/big")).send();
    CO_ASSERT_OK(down);
    auto got = co_await down->body.text(8 << 20);
    CO_ASSERT_OK(got);
    EXPECT_TRUE(*got == big_body()) << got->size();
  }
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, UploadsAndDownloadsThreeMegabytes) {
  run(with_h2_server(http::ServerConfig{}, three_megabytes), 30s);
}

Task<void> streamed_upload(Ports p) {
  http::Client client(h2_config());
  auto [tx, body] = http::Body::channel();
  auto sending = spawn([](http::BodySender s) -> Task<void> {
    for (int i = 0; i < 48; ++i) {
      Result<void> r = co_await s.send(pattern(64 * 1024));
      if (!r) co_return;
    }
  }(std::move(tx)));
  auto r = co_await client.post(url(p.tls, true, "/echo")).body(std::move(body)).send();
  CO_ASSERT_OK(r);
  auto echoed = co_await r->body.text(8 << 20);
  CO_ASSERT_OK(echoed);
  EXPECT_EQ(echoed->size(), 48u * 64 * 1024);
  (void)co_await sending;
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, StreamsAChannelBodyWithFlowControl) {
  run(with_h2_server(http::ServerConfig{}, streamed_upload), 30s);
}

Task<void> slow_reader(Ports p) {
  http::ClientConfig cfg = h2_config();
  cfg.http2.initial_window_size = 64 * 1024;
  http::Client client(cfg);
  // Stream A: 3 MB, not read for now (its window stops it at 64 KiB).
  auto a = co_await client.get(url(p.plain, false, "/big")).send();
  CO_ASSERT_OK(a);
  auto first = co_await a->body.next();
  CO_ASSERT_OK(first);
  EXPECT_FALSE(first->empty());
  std::size_t a_bytes = first->size();
  // Stream B, on the same connection, completes meanwhile (3 MB as well).
  auto b = co_await client.get(url(p.plain, false, "/big")).send();
  CO_ASSERT_OK(b);
  auto b_text = co_await b->body.text(8 << 20);
  CO_ASSERT_OK(b_text);
  EXPECT_EQ(b_text->size(), big);
  EXPECT_EQ(p.server->stats().connections_accepted, 1u);
  // Then A reads on to its end.
  for (;;) {
    auto chunk = co_await a->body.next();
    CO_ASSERT_OK(chunk);
    if (chunk->empty()) break;
    a_bytes += chunk->size();
  }
  EXPECT_EQ(a_bytes, big);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, SlowReaderDoesNotStallOtherStreams) {
  run(with_h2_server(http::ServerConfig{}, slow_reader), 30s);
}

Task<void> dropped_body(Ports p) {
  http::Client client(h2_config());
  {
    auto a = co_await client.get(url(p.plain, false, "/big")).send();
    CO_ASSERT_OK(a);
  }  // dropped unread: RST_STREAM CANCEL, the connection stays usable
  std::string out;
  int failures = 0;
  co_await get_text(client, url(p.plain, false, "/version"), &out, &failures);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(out, "h2");
  EXPECT_EQ(p.server->stats().connections_accepted, 1u);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, DroppedBodyResetsOnlyItsStream) {
  run(with_h2_server(http::ServerConfig{}, dropped_body));
}

Task<void> trailers(Ports p) {
  http::Client client(h2_config());
  auto r = co_await client.get(url(p.tls, true, "/trailers")).send();
  CO_ASSERT_OK(r);
  auto text = co_await r->body.text(1024);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "payload");
  const http::Headers* t = r->body.trailers();
  CO_ASSERT_TRUE(t != nullptr);
  EXPECT_EQ(t->get("x-checksum").value_or(""), "42");
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, ReceivesTrailers) {
  run(with_h2_server(http::ServerConfig{}, trailers));
}

// Server shutdown sends GOAWAY: the in-flight request finishes, the connection is retired
// (the next request connects anew, and finds the server gone).
Task<void> shutdown_goaway(http::Server* server, net::SocketAddr addr) {
  http::Client client(h2_config());
  std::string out;
  int failures = 0;
  co_await get_text(client, url(addr, false, "/version"), &out, &failures);
  EXPECT_EQ(client.open_connections(), 1u);
  auto slow = spawn(get_text(client, url(addr, false, "/slow"), &out, &failures));
  co_await sleep(5ms);
  server->shutdown(std::chrono::seconds(2));
  (void)co_await slow;
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(out, "slow");
  for (int i = 0; i < 100 && client.open_connections() != 0; ++i) co_await sleep(5ms);
  EXPECT_EQ(client.open_connections(), 0u);
  auto after = co_await client.get(url(addr, false, "/version")).send();
  EXPECT_FALSE(after);
}

Task<void> shutdown_test() {
  auto server = http::Server::bind(loopback(), http::ServerConfig{});
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(routes()));
  co_await shutdown_goaway(&*server, server->local_addr());
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, ServerShutdownGoawayRetiresTheConnection) {
  run(shutdown_test());
}

// ---- Host becomes :authority (RFC 9113 §8.3.1) ----

Task<void> host_as_authority(Ports p) {
  http::Client client(h2_config());
  for (bool tls : {false, true}) {
    auto r = co_await client.get(url(tls ? p.tls : p.plain, tls, "/host"))
                 .header("Host", "api.example.test:8443")
                 .send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->version, http::Version::http_2);
    auto text = co_await r->body.text(1024);
    CO_ASSERT_OK(text);
    EXPECT_EQ(*text, "api.example.test:8443") << (tls ? "h2" : "h2c");
  }
  // Without a Host field, the URL's authority.
  auto r = co_await client.get(url(p.plain, false, "/host")).send();
  CO_ASSERT_OK(r);
  auto text = co_await r->body.text(1024);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, p.plain.to_string());
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, CallersHostBecomesTheAuthority) {
  run(with_h2_server(http::ServerConfig{}, host_as_authority));
}

// ---- Expect: 100-continue ----

// A request body of `n` bytes that records whether it was ever read (sent).
class ProbeBody final : public http::BodyStream {
 public:
  ProbeBody(std::size_t n, std::shared_ptr<bool> read) : left_(n), read_(std::move(read)) {}
  Poll<Result<io::BufferView>> poll_data(Context&) override {
    *read_ = true;
    if (left_ == 0) return Result<io::BufferView>{};
    const std::size_t n = std::min(left_, chunk_.size());
    left_ -= n;
    return Result<io::BufferView>(io::BufferView(std::string_view(chunk_).substr(0, n)));
  }
  std::optional<std::uint64_t> size_hint() const override { return left_; }

 private:
  std::size_t left_;
  std::shared_ptr<bool> read_;
  std::string chunk_ = pattern(64 * 1024);
};

Task<void> expect_continue(Ports p) {
  http::ClientConfig cfg = h2_config();
  // No wait limit but read_timeout: the body goes only after the server's 100 (or fails).
  cfg.read_timeout = 10s;
  http::Client client(cfg);
  for (bool tls : {false, true}) {
    const net::SocketAddr& a = tls ? p.tls : p.plain;
    // The handler reads: the server answers 100, then the body is sent and echoed.
    const std::string body = pattern(1 << 20);
    auto r = co_await client.post(url(a, tls, "/echo")).body(body).expect_continue(0s).send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->version, http::Version::http_2);
    auto echoed = co_await r->body.text(4 << 20);
    CO_ASSERT_OK(echoed);
    EXPECT_TRUE(*echoed == body) << echoed->size();
    // The handler refuses first: 401 comes back and the body is never read.
    auto read = std::make_shared<bool>(false);
    auto rejected = co_await client.post(url(a, tls, "/reject"))
                        .body(http::Body::from_stream(std::make_unique<ProbeBody>(1 << 20, read)))
                        .expect_continue(5s)
                        .send();
    CO_ASSERT_OK(rejected);
    EXPECT_EQ(rejected->status, http::StatusCode::unauthorized);
    auto rest = co_await rejected->body.text(1 << 20);
    CO_ASSERT_OK(rest);
    EXPECT_FALSE(*read) << "the request body was sent after a final status";
    // The config's threshold asks too (a body of unknown size always reaches it).
    auto read2 = std::make_shared<bool>(false);
    http::ClientConfig big_cfg = cfg;
    big_cfg.expect_continue_threshold = 1;
    big_cfg.expect_continue_timeout = 5s;
    http::Client by_threshold(big_cfg);
    auto r2 = co_await by_threshold.post(url(a, tls, "/reject"))
                  .body(http::Body::from_stream(std::make_unique<ProbeBody>(1 << 20, read2)))
                  .send();
    CO_ASSERT_OK(r2);
    EXPECT_EQ(r2->status, http::StatusCode::unauthorized);
    EXPECT_FALSE(*read2);
  }
  // The streams were reset, not the connections: one per origin (and one per Client).
  EXPECT_EQ(p.server->stats().connections_accepted, 4u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, ExpectContinueWaitsForTheServer) {
  run(with_h2_server(http::ServerConfig{}, expect_continue), 30s);
}

// ---- PING keep-alive ----

// Against Strata's server, which acknowledges PINGs: an idle connection keeps being pinged and
// stays in use.
Task<void> keepalive_acked(Ports p) {
  auto tcp = co_await net::TcpStream::connect(p.plain);
  CO_ASSERT_OK(tcp);
  http::h2::ClientSettings settings;
  settings.keepalive_interval = 20ms;
  settings.keepalive_timeout = 5s;
  auto conn = co_await http::h2::ClientConnection::handshake(std::move(*tcp), settings);
  CO_ASSERT_OK(conn);
  http::h2::SendOptions so;
  so.authority = "strata.test";
  {
    http::Request req(http::Method::get, "/version");
    auto r = co_await (*conn)->send(req, so);
    CO_ASSERT_OK(r);
    auto text = co_await r->body.text(1024);
    CO_ASSERT_OK(text);
  }
  for (int i = 0; i < 500 && (*conn)->keepalive_acks() < 3; ++i) co_await sleep(10ms);
  EXPECT_GE((*conn)->keepalive_acks(), 3u);
  EXPECT_TRUE((*conn)->is_usable());
  http::Request again(http::Method::get, "/version");
  auto r = co_await (*conn)->send(again, so);
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::ok);
  // The same through the Client: one connection, kept.
  http::ClientConfig cfg = h2_config();
  cfg.http2.keepalive_interval = 20ms;
  http::Client client(cfg);
  std::string out;
  int failures = 0;
  co_await get_text(client, url(p.tls, true, "/version"), &out, &failures);
  co_await sleep(150ms);
  co_await get_text(client, url(p.tls, true, "/version"), &out, &failures);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, KeepalivePingsAreAcknowledged) {
  run(with_h2_server(http::ServerConfig{}, keepalive_acked));
}

// A peer that speaks just enough HTTP/2 by hand (SETTINGS, a 200 HEADERS) and never answers a
// PING. Its connections, by order: 1 answers nothing; 2 answers requests; 3 answers requests.
struct RawFrame {
  std::uint8_t type = 0, flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
};

std::string frame_bytes(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                        std::string_view payload) {
  std::string f;
  const std::size_t n = payload.size();
  f += static_cast<char>(n >> 16);
  f += static_cast<char>(n >> 8);
  f += static_cast<char>(n);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  f += static_cast<char>(stream >> 24);
  f += static_cast<char>(stream >> 16);
  f += static_cast<char>(stream >> 8);
  f += static_cast<char>(stream);
  f += payload;
  return f;
}

Task<Result<RawFrame>> read_raw_frame(net::TcpStream& s) {
  std::array<std::uint8_t, 9> h{};
  Result<void> r = co_await io::read_exact(
      s, io::MutableBuffer(reinterpret_cast<std::byte*>(h.data()), h.size()));
  if (!r) co_return std::unexpected(std::move(r).error());
  RawFrame f;
  const std::size_t n = (std::size_t(h[0]) << 16) | (std::size_t(h[1]) << 8) | h[2];
  f.type = h[3];
  f.flags = h[4];
  f.stream = (std::uint32_t(h[5] & 0x7f) << 24) | (std::uint32_t(h[6]) << 16) |
             (std::uint32_t(h[7]) << 8) | h[8];
  f.payload.resize(n);
  if (n > 0) {
    r = co_await io::read_exact(
        s, io::MutableBuffer(reinterpret_cast<std::byte*>(f.payload.data()), f.payload.size()));
    if (!r) co_return std::unexpected(std::move(r).error());
  }
  co_return f;
}

Task<void> silent_peer_conn(net::TcpStream s, bool answers, std::shared_ptr<int> pings) {
  std::array<std::byte, 24> preface{};
  Result<void> r = co_await io::read_exact(s, io::MutableBuffer(preface.data(), preface.size()));
  if (!r) co_return;
  (void)co_await io::write_all(s, io::as_bytes(frame_bytes(4, 0, 0, "")));  // SETTINGS
  for (;;) {
    Result<RawFrame> f = co_await read_raw_frame(s);
    if (!f) co_return;  // the client closed
    std::string reply;
    if (f->type == 4 && !(f->flags & 1)) reply = frame_bytes(4, 1, 0, "");      // SETTINGS ACK
    if (f->type == 6 && !(f->flags & 1)) ++*pings;                              // PING: ignored
    if (f->type == 1 && answers) reply = frame_bytes(1, 5, f->stream, "\x88");  // :status 200
    if (!reply.empty()) {
      Result<void> w = co_await io::write_all(s, io::as_bytes(reply));
      if (!w) co_return;
    }
  }
}

Task<void> silent_peer(net::TcpListener l, std::shared_ptr<int> pings) {
  std::vector<JoinHandle<void>> conns;
  for (int i = 0; i < 3; ++i) {
    auto c = co_await timeout(10s, l.accept());
    if (!c || !*c) break;
    conns.push_back(spawn(silent_peer_conn(std::move((*c)->first), i > 0, pings)));
  }
  for (auto& c : conns) (void)co_await c;
}

Task<void> keepalive_dead_peer() {
  auto listener = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(listener);
  const net::SocketAddr addr = *listener->local_addr();
  auto pings = std::make_shared<int>(0);
  auto peer = spawn(silent_peer(std::move(*listener), pings));
  {
    http::ClientConfig cfg = h2_config();
    cfg.read_timeout = Duration::zero();  // only the keep-alive can end a wait
    cfg.http2.keepalive_interval = 50ms;
    cfg.http2.keepalive_timeout = 100ms;
    http::Client client(cfg);
    // 1. In flight: never answered, the PING neither: a typed error, the connection dropped.
    auto r1 = co_await client.get(url(addr, false, "/a")).send();
    CO_ASSERT_TRUE(!r1);
    EXPECT_TRUE(r1.error() == Errc::timed_out) << r1.error().message();
    EXPECT_NE(std::string(r1.error().context()).find("keepalive"), std::string::npos)
        << r1.error().context();
    EXPECT_EQ(client.open_connections(), 0u);
    // 2. A new connection answers; idle in the pool, its PING goes unanswered: dropped.
    auto r2 = co_await client.get(url(addr, false, "/b")).send();
    CO_ASSERT_OK(r2);
    EXPECT_EQ(r2->status, http::StatusCode::ok);
    EXPECT_EQ(client.stats().connections_opened, 2u);
    EXPECT_EQ(client.open_connections(), 1u);
    for (int i = 0; i < 500 && client.open_connections() != 0; ++i) co_await sleep(10ms);
    EXPECT_EQ(client.open_connections(), 0u);
    // 3. The next request opens a third connection.
    auto r3 = co_await client.get(url(addr, false, "/c")).send();
    CO_ASSERT_OK(r3);
    EXPECT_EQ(r3->status, http::StatusCode::ok);
    EXPECT_EQ(client.stats().connections_opened, 3u);
    EXPECT_EQ(client.stats().stale_retries, 0u);
  }
  (void)co_await peer;
  EXPECT_GE(*pings, 2);
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, KeepaliveWithoutAckMarksTheConnectionDead) {
  run(keepalive_dead_peer(), 30s);
}

// ---- a server that sends garbage ----

Task<void> garbage_server(std::string reply) {
  auto listener = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(listener);
  const net::SocketAddr addr = *listener->local_addr();
  auto serving = spawn([](net::TcpListener l, std::string bytes) -> Task<void> {
    auto c = co_await l.accept();
    if (!c) co_return;
    std::array<std::byte, 256> buf;
    (void)co_await c->first.read(buf);
    (void)co_await io::write_all(c->first, io::as_bytes(bytes));
    co_await sleep(200ms);
  }(std::move(*listener), std::move(reply)));
  http::Client client(h2_config());
  auto r = co_await client.get(url(addr, false, "/")).send();
  CO_ASSERT_TRUE(!r);
  EXPECT_EQ(r.error().code().category(), http::h2::error_category()) << r.error().message();
  (void)co_await serving;
}

STRATA_TEST_ALL_FLAVOURS(ClientH2, GarbageFromTheServerIsATypedError) {
  run(garbage_server("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"));
}

// ---- against nginx (http2 over TLS) ----

class ClientH2Nginx : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(NginxProcess::installed()) << "nginx is required (the bootstrap installs it)";
    const Pki& pki = Pki::get();
    nginx_ = std::make_unique<NginxProcess>();
    const std::string www = nginx_->dir() + "/www";
    std::ofstream(www + "/index.html") << "nginx h2";
    std::ofstream(www + "/big.bin", std::ios::binary) << big_body();
    port_ = NginxProcess::free_port();
    limited_ = NginxProcess::free_port();
    auto server = [&](std::uint16_t port, const std::string& extra) {
      return "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl http2;\n" +
             "    ssl_certificate " + pki.path("server.pem") + ";\n" + "    ssl_certificate_key " +
             pki.path("server.key") + ";\n    root " + www + ";\n" + "    access_log " +
             nginx_->dir() + "/access-" + std::to_string(port) + ".log conn;\n" + extra + "  }\n";
    };
    std::string conf = "  ssl_protocols TLSv1.2 TLSv1.3;\n";
    conf += "  log_format conn '$connection $server_protocol $status';\n";
    conf += server(port_, "");
    // GOAWAY after 10 requests per connection: later streams are refused, and retried.
    conf += server(limited_, "    keepalive_requests 10;\n");
    nginx_->start(conf);
    for (std::uint16_t p : {port_, limited_})
      ASSERT_TRUE(nginx_->wait_listening(p)) << "nginx did not start:\n" << nginx_->error_log();
  }
  static void TearDownTestSuite() { nginx_.reset(); }

  // The distinct connections and the protocols of the requests nginx logged on `port`.
  static std::pair<std::set<std::string>, std::set<std::string>> logged(std::uint16_t port) {
    std::ifstream in(nginx_->dir() + "/access-" + std::to_string(port) + ".log");
    std::set<std::string> conns, protos;
    std::string conn, proto, status;
    while (in >> conn >> proto >> status) {
      conns.insert(conn);
      protos.insert(proto);
    }
    return {conns, protos};
  }

  static std::unique_ptr<NginxProcess> nginx_;
  static std::uint16_t port_, limited_;
};
std::unique_ptr<NginxProcess> ClientH2Nginx::nginx_;
std::uint16_t ClientH2Nginx::port_ = 0, ClientH2Nginx::limited_ = 0;

std::string nginx_url(std::uint16_t port, std::string_view path) {
  return "https://127.0.0.1:" + std::to_string(port) + std::string(path);
}

Task<void> nginx_hundred(std::uint16_t port) {
  http::Client client(h2_config());
  auto r = co_await client.get(nginx_url(port, "/big.bin")).send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->version, http::Version::http_2);
  auto body = co_await r->body.text(8 << 20);
  CO_ASSERT_OK(body);
  EXPECT_TRUE(*body == big_body());
  co_await concurrent_gets(client, nginx_url(port, "/index.html"), 100, "nginx h2");
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

TEST_F(ClientH2Nginx, HundredRequestsOverOneH2Connection) {
  run_current(nginx_hundred(port_));
  auto [conns, protos] = logged(port_);
  EXPECT_EQ(conns.size(), 1u);
  EXPECT_EQ(protos, std::set<std::string>{"HTTP/2.0"});
}

Task<void> nginx_goaway(std::uint16_t port) {
  http::Client client(h2_config());
  co_await concurrent_gets(client, nginx_url(port, "/index.html"), 30, "nginx h2");
  // nginx ended each connection after 10 requests (GOAWAY); the rest were sent again.
  EXPECT_GE(client.stats().connections_opened, 3u);
  EXPECT_GT(client.stats().stale_retries, 0u);
}

TEST_F(ClientH2Nginx, GoawayRefusedStreamsAreRetriedOnANewConnection) {
  run_current(nginx_goaway(limited_));
  auto [conns, protos] = logged(limited_);
  EXPECT_GE(conns.size(), 3u);
}

// ---- against h2o ----

TEST(ClientH2Peer, H2oOverTls) {
  ASSERT_EQ(std::system("command -v h2o >/dev/null 2>&1"), 0) << "h2o is required";
  const Pki& pki = Pki::get();
  char tmpl[] = "/tmp/strata-client-h2o-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::filesystem::create_directory(dir + "/www");
  std::ofstream(dir + "/www/index.html") << "h2o h2";
  // h2o run as root serves as nobody: the files must be readable by it.
  std::filesystem::permissions(dir, std::filesystem::perms::all &
                                        ~std::filesystem::perms::others_write &
                                        ~std::filesystem::perms::group_write);
  const std::uint16_t port = NginxProcess::free_port();
  std::ofstream(dir + "/h2o.conf") << "listen:\n  host: 127.0.0.1\n  port: " << port
                                   << "\n  ssl:\n    certificate-file: " << pki.path("server.pem")
                                   << "\n    key-file: " << pki.path("server.key")
                                   << "\nhosts:\n  default:\n    paths:\n      /:\n"
                                   << "        file.dir: " << dir << "/www\n"
                                   << "error-log: " << dir << "/error.log\n";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execlp("h2o", "h2o", "-c", (dir + "/h2o.conf").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool up = false;
  for (int i = 0; i < 250 && !up; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (!up) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(up) << "h2o did not start";
  if (up) {
    run_current([](std::uint16_t p) -> Task<void> {
      http::Client client(h2_config());
      co_await concurrent_gets(client, nginx_url(p, "/index.html"), 50, "h2o h2");
      EXPECT_EQ(client.stats().connections_opened, 1u);
      EXPECT_EQ(client.stats().http2_connections, 1u);
    }(port));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---- against Node's http2 module (tests/http/h2_node/server.mjs) ----

// A Node http2 server: h2c, h2 over TLS (the test PKI) and an h2c server that sends GOAWAY
// after 10 streams per session. Started by PID, killed by PID, every wait bounded.
class NodeH2Server {
 public:
  NodeH2Server() {
    char tmpl[] = "/tmp/strata-client-node-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    const Pki& pki = Pki::get();
    const std::string script = STRATA_TEST_SOURCE_DIR "/http/h2_node/server.mjs";
    const std::string cert = pki.path("server.pem"), key = pki.path("server.key");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("node", "node", script.c_str(), dir_.c_str(), cert.c_str(), key.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 400 && pid_ > 0; ++i) {  // 20 s: node starts in ~100 ms
      std::ifstream in(dir_ + "/ports");
      if (in >> plain >> tls >> limited) return;
      if (exited()) break;
      std::this_thread::sleep_for(50ms);
    }
    plain = tls = limited = 0;
  }
  NodeH2Server(const NodeH2Server&) = delete;
  NodeH2Server& operator=(const NodeH2Server&) = delete;
  ~NodeH2Server() {
    if (pid_ > 0 && !wait_exit(0)) {
      ::kill(pid_, SIGTERM);
      if (!wait_exit(5000)) {
        ::kill(pid_, SIGKILL);
        (void)wait_exit(5000);
      }
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  bool up() const { return plain != 0; }
  void terminate() const { ::kill(pid_, SIGTERM); }
  // Reaps the process if it exits within `ms`.
  bool wait_exit(int ms) {
    for (int i = 0; i <= ms / 10; ++i) {
      if (exited()) return true;
      if (ms > 0) std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::uint16_t plain = 0, tls = 0, limited = 0;

 private:
  bool exited() {
    if (reaped_) return true;
    int status = 0;
    reaped_ = ::waitpid(pid_, &status, WNOHANG) == pid_;
    return reaped_;
  }
  std::string dir_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

std::string node_url(std::uint16_t port, bool tls, std::string_view path) {
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) +
         std::string(path);
}

class ClientH2Node : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required";
    node_ = std::make_unique<NodeH2Server>();
    ASSERT_TRUE(node_->up()) << "the Node http2 server did not start";
  }
  static void TearDownTestSuite() { node_.reset(); }
  static std::unique_ptr<NodeH2Server> node_;
};
std::unique_ptr<NodeH2Server> ClientH2Node::node_;

// The sessions Node's servers have seen: {"plain":n,"tls":n,"limited":n}.
Task<std::string> node_sessions(http::Client client, std::string u) {
  auto r = co_await client.get(u).send();
  if (!r) co_return "error: " + r.error().message();
  auto text = co_await r->body.text(1024);
  co_return text ? *text : "error";
}

Task<void> node_basics(std::uint16_t plain, std::uint16_t tls_port) {
  http::Client client(h2_config());
  for (bool tls : {false, true}) {
    const std::uint16_t port = tls ? tls_port : plain;
    auto r = co_await client.get(node_url(port, tls, "/hello")).send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->version, http::Version::http_2);
    auto text = co_await r->body.text(1024);
    CO_ASSERT_OK(text);
    EXPECT_EQ(*text, "node h2");
    const std::string body = pattern(1 << 20);
    auto e = co_await client.post(node_url(port, tls, "/echo")).body(body).send();
    CO_ASSERT_OK(e);
    auto echoed = co_await e->body.text(4 << 20);
    CO_ASSERT_OK(echoed);
    EXPECT_TRUE(*echoed == body) << echoed->size();
    // Node's stream API never answers 100 by itself: the body goes when the wait ends.
    auto late =
        co_await client.post(node_url(port, tls, "/echo")).body(body).expect_continue(100ms).send();
    CO_ASSERT_OK(late);
    auto late_echo = co_await late->body.text(4 << 20);
    CO_ASSERT_OK(late_echo);
    EXPECT_TRUE(*late_echo == body) << late_echo->size();
    // A caller's Host goes out as :authority, and no Host field is sent (RFC 9113 §8.3.1).
    auto a = co_await client.get(node_url(port, tls, "/authority"))
                 .header("Host", "api.example.test")
                 .send();
    CO_ASSERT_OK(a);
    auto seen = co_await a->body.text(1024);
    CO_ASSERT_OK(seen);
    EXPECT_EQ(*seen, R"({"authority":"api.example.test","host":null})");
  }
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().http2_connections, 2u);
}

TEST_F(ClientH2Node, GetEchoAndAuthorityOverH2cAndTls) {
  run_current(node_basics(node_->plain, node_->tls));
}

Task<void> node_sixty_four(std::uint16_t tls_port) {
  http::Client client(h2_config());
  const std::string stats = node_url(tls_port, true, "/sessions");
  const std::string before = co_await node_sessions(client, stats);  // opens our connection
  co_await concurrent_gets(client, node_url(tls_port, true, "/slow"), 64, "slow");
  const std::string after = co_await node_sessions(client, stats);
  EXPECT_EQ(after, before) << "Node saw a new session";
  EXPECT_NE(before.find("\"tls\""), std::string::npos) << before;
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().requests, 66u);
}

TEST_F(ClientH2Node, SixtyFourConcurrentRequestsOnOneSession) {
  run_current(node_sixty_four(node_->tls));
}

Task<void> node_goaway(std::uint16_t limited, std::uint16_t plain) {
  http::Client client(h2_config());
  co_await concurrent_gets(client, node_url(limited, false, "/slow"), 30, "slow");
  // Node ended each session after its 10th stream; the streams above it were retried.
  EXPECT_GE(client.stats().connections_opened, 3u);
  EXPECT_GT(client.stats().stale_retries, 0u);
  http::Client other(h2_config());
  const std::string seen = co_await node_sessions(other, node_url(plain, false, "/sessions"));
  const std::size_t at = seen.find(R"("limited":)");
  EXPECT_NE(at, std::string::npos) << seen;
  if (at == std::string::npos) co_return;
  EXPECT_GE(std::atoi(seen.c_str() + at + 10), 3) << seen;
}

TEST_F(ClientH2Node, GoawayRefusedStreamsAreRetriedOnANewSession) {
  run_current(node_goaway(node_->limited, node_->plain));
}

// SIGTERM makes Node close its sessions gracefully (GOAWAY): the request in flight completes,
// the connection is retired, and once Node is gone the next request fails.
Task<void> node_shutdown(NodeH2Server* node) {
  http::Client client(h2_config());
  const std::string hello = node_url(node->plain, false, "/hello");
  std::string out;
  int failures = 0;
  co_await get_text(client, hello, &out, &failures);
  EXPECT_EQ(out, "node h2");
  EXPECT_EQ(client.open_connections(), 1u);
  auto slow = spawn([](http::Client c, std::string u) -> Task<Result<std::string>> {
    auto r = co_await c.get(u).header("x-delay-ms", "300").send();
    if (!r) co_return std::unexpected(r.error());
    co_return co_await r->body.text(1024);
  }(client, node_url(node->plain, false, "/slow")));
  co_await sleep(50ms);
  node->terminate();
  auto done = co_await slow;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
  EXPECT_EQ(**done, "slow");
  for (int i = 0; i < 500 && client.open_connections() != 0; ++i) co_await sleep(10ms);
  EXPECT_EQ(client.open_connections(), 0u);
  // Node exits once its sessions are closed: the client closed the retired connection.
  for (int i = 0; i < 1000 && !node->wait_exit(0); ++i) co_await sleep(10ms);
  EXPECT_TRUE(node->wait_exit(0)) << "the client kept the connection open after GOAWAY";
  auto after = co_await client.get(hello).send();
  EXPECT_FALSE(after);
  EXPECT_EQ(failures, 0);
}

TEST(ClientH2NodeShutdown, GoawayMidFlightLetsTheStreamFinish) {
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required";
  NodeH2Server node;
  ASSERT_TRUE(node.up()) << "the Node http2 server did not start";
  run_current(node_shutdown(&node), 30s);
}

}  // namespace
}  // namespace strata::test
