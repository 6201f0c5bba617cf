// HTTP/2 on http::Server (h2::ServerConnection over nghttp2), driven by real clients: curl
// (--http2-prior-knowledge on the plaintext port, ALPN h2 on the TLS port), nghttp (concurrent
// streams on one connection, uploads with small flow-control windows) and h2load; plus a raw
// socket for the malformed-preface rule.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../tls/pki.hpp"
#include "http_test_util.hpp"
#include "strata/http.hpp"
#include "strata/tls.hpp"

namespace strata::test {
namespace {

const Pki& pki = Pki::get();

Task<http::Response> version_handler(http::Request& req) {
  co_return http::Response::text(req.version == http::Version::http_2 ? "h2" : "h1");
}

// /wait answers only once /release has been requested: on one HTTP/2 connection both must be
// in flight at once, or the test times out.
struct Gate {
  sync::Notify released;
};
Gate* gate = nullptr;

Task<http::Response> wait_handler(http::Request&) {
  co_await gate->released.notified();
  co_return http::Response::text("waited");
}
Task<http::Response> release_handler(http::Request&) {
  gate->released.notify_one();
  co_return http::Response::text("released");
}

// Answers before reading the request body (an auth failure, say).
Task<http::Response> refuse_handler(http::Request&) {
  http::Response r = http::Response::text("refused before the body");
  r.status = http::StatusCode::unauthorized;
  co_return r;
}

// Reads the body chunk by chunk and waits between taking a chunk and using it, so DATA frames
// arrive while the handler holds a view: the bytes must stay where they are (ASan would see a
// view into a moved buffer). Answers the byte count and a checksum.
Task<http::Response> slow_sum_handler(http::Request& req) {
  std::uint64_t n = 0, sum = 0;
  for (;;) {
    Result<io::BufferView> chunk = co_await req.body.next();
    if (!chunk) co_return http::Response::error(http::StatusCode::bad_request);
    if (chunk->empty()) break;
    co_await sleep(std::chrono::milliseconds(1));
    for (char c : std::string_view(reinterpret_cast<const char*>(chunk->data()), chunk->size()))
      sum = sum * 31 + static_cast<unsigned char>(c);
    n += chunk->size();
  }
  co_return http::Response::text(std::to_string(n) + " " + std::to_string(sum));
}

std::shared_ptr<http::Router> routes() {
  auto r = std::make_shared<http::Router>();
  r->get("/version", version_handler)
      .get("/plaintext", plaintext_handler)
      .get("/wait", wait_handler)
      .get("/release", release_handler)
      .post("/echo", echo_handler<8 << 20>)
      .post("/refuse", refuse_handler)
      .post("/slow-sum", slow_sum_handler);
  return r;
}

struct Ports {
  net::SocketAddr plain;
  net::SocketAddr tls;
  const http::Server* server = nullptr;
};

template <class F>
Task<void> with_h2_server(F body) {
  Gate g;
  gate = &g;
  auto server = http::Server::bind(loopback(), http::ServerConfig{});
  CO_ASSERT_OK(server);
  auto tls_config = pki.server_config();
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
  gate = nullptr;
}

std::string h2c(const Ports& p, const std::string& path) {
  return "http://" + p.plain.to_string() + path;
}

std::string make_file(const std::string& name, int size) {
  const std::string file = pki.path(name);
  std::ofstream out(file, std::ios::binary);
  for (int i = 0; i < size; ++i) out.put(static_cast<char>(i * 37 + (i >> 11)));
  return file;
}

Task<void> curl_speaks_h2(Ports p) {
  // Prior knowledge on the plaintext port (the preface is detected), HTTP/1.1 still there.
  Curl h2 = co_await curl("--http2-prior-knowledge -w ' %{http_version}' " + h2c(p, "/version"));
  EXPECT_EQ(h2.out, "h2 2");
  Curl h1 = co_await curl("-w ' %{http_version}' " + h2c(p, "/version"));
  EXPECT_EQ(h1.out, "h1 1.1");
  // ALPN on the TLS port.
  const std::string tls_url = "https://localhost:" + std::to_string(p.tls.port()) + "/version";
  Curl alpn = co_await curl("--cacert " + pki.path("ca.pem") + " -w ' %{http_version}' " + tls_url);
  EXPECT_EQ(alpn.out, "h2 2");
  Curl alpn11 = co_await curl("--http1.1 --cacert " + pki.path("ca.pem") +
                              " -w ' %{http_version}' " + tls_url);
  EXPECT_EQ(alpn11.out, "h1 1.1");
  // A 3 MB upload echoed, over both.
  const std::string file = make_file("h2-upload.bin", 3'000'000);
  Curl echo = co_await curl("--http2-prior-knowledge --data-binary @" + file + " " +
                            h2c(p, "/echo") + " | cmp - " + file + " && echo same");
  EXPECT_EQ(echo.out, "same\n");
  Curl tls_echo = co_await curl("--cacert " + pki.path("ca.pem") + " --data-binary @" + file +
                                " https://localhost:" + std::to_string(p.tls.port()) +
                                "/echo | cmp - " + file + " && echo same");
  EXPECT_EQ(tls_echo.out, "same\n");
}
TEST(HttpServerH2, curl_prior_knowledge_alpn_and_uploads) {
  run_multi(with_h2_server(curl_speaks_h2), 2, 60s);
}

// Runs a command off the runtime's threads.
Task<std::string> shell(std::string cmd) {
  auto h = spawn_blocking([cmd = std::move(cmd)] {
    int status = 0;
    std::string out = run(cmd, status);
    return out + "exit=" + std::to_string(status);
  });
  auto r = co_await h;
  co_return r ? std::move(*r) : std::string("spawn_blocking failed");
}

Task<void> upgrade_h2c(Ports p) {
  // curl --http2 on http:// asks for `Upgrade: h2c` (RFC 7540 §3.2): 101, then the request is
  // answered as stream 1 over HTTP/2.
  Curl up = co_await curl("--http2 -w ' %{http_version}' " + h2c(p, "/version"));
  EXPECT_EQ(up.out, "h2 2");
  Curl head = co_await curl("--http2 -I -w '%{http_version}' " + h2c(p, "/version"));
  EXPECT_NE(head.out.find("HTTP/2 200"), std::string::npos) << head.out;
  // A small body is read whole before the 101 and given to the handler on stream 1.
  Curl small = co_await curl("--http2 --data-binary 'hello over h2c' -w ' %{http_version}' " +
                             h2c(p, "/echo"));
  EXPECT_EQ(small.out, "hello over h2c 2");
  // A body beyond h2::upgrade_body_limit: the upgrade is ignored, HTTP/1.1 serves it.
  const std::string file = make_file("h2c-upgrade.bin", 100'000);
  Curl large = co_await curl("--http2 --data-binary @" + file +
                             " -o /dev/null -w '%{http_version}' " + h2c(p, "/echo"));
  EXPECT_EQ(large.out, "1.1");
  // An invalid HTTP2-Settings (not base64url; a bad entry; two fields): HTTP/1.1 answers.
  const std::string upgrade = "-H 'Connection: Upgrade, HTTP2-Settings' -H 'Upgrade: h2c' ";
  for (const std::string settings :
       {"-H 'HTTP2-Settings: !!!!'", "-H 'HTTP2-Settings: AAIAAAAC'",
        "-H 'HTTP2-Settings: AAMAAABk' -H 'HTTP2-Settings: AAMAAABk'"}) {
    Curl bad = co_await curl("--http1.1 -i " + upgrade + settings + " " + h2c(p, "/version"));
    EXPECT_TRUE(bad.out.starts_with("HTTP/1.1 200")) << settings << ": " << bad.out;
    EXPECT_TRUE(bad.out.ends_with("h1")) << settings << ": " << bad.out;
  }
  // The same request with a valid field switches (the 101 is what curl --http1.1 shows).
  Curl good =
      co_await curl("--http1.1 -i --max-time 2 " + upgrade + "-H 'HTTP2-Settings: AAMAAABk' " +
                    h2c(p, "/version") + " 2>/dev/null || true");
  EXPECT_TRUE(good.out.starts_with("HTTP/1.1 101 Switching Protocols")) << good.out;
  // TLS never upgrades to h2c: the request is served as HTTP/1.1.
  Curl tls = co_await curl("--http1.1 -i --cacert " + pki.path("ca.pem") + " " + upgrade +
                           "-H 'HTTP2-Settings: AAMAAABk' https://localhost:" +
                           std::to_string(p.tls.port()) + "/version");
  EXPECT_TRUE(tls.out.starts_with("HTTP/1.1 200")) << tls.out;
  EXPECT_TRUE(tls.out.ends_with("h1")) << tls.out;
  // nghttp's own upgrade (-u), several requests on the upgraded connection.
  std::string out = co_await shell("timeout 10 nghttp -u " + h2c(p, "/version") + " " +
                                   h2c(p, "/plaintext") + " 2>&1; echo");
  EXPECT_NE(out.find("h2"), std::string::npos) << out;
  EXPECT_NE(out.find("Hello, World!"), std::string::npos) << out;
}
TEST(HttpServerH2, UpgradeH2cFromHttp11) {
  run_multi(with_h2_server(upgrade_h2c), 2, 60s);
}

Task<void> streams_are_concurrent(Ports p) {
  // Both on one connection: /wait completes only because /release runs beside it.
  std::string out = co_await shell("timeout 10 nghttp " + h2c(p, "/wait") + " " +
                                   h2c(p, "/release") + " 2>&1; echo");
  EXPECT_NE(out.find("waited"), std::string::npos) << out;
  EXPECT_NE(out.find("released"), std::string::npos) << out;
  EXPECT_NE(out.find("exit=0"), std::string::npos) << out;
}
TEST(HttpServerH2, a_waiting_stream_does_not_block_the_others_on_its_connection) {
  run_multi(with_h2_server(streams_are_concurrent), 2, 60s);
}

Task<void> small_windows(Ports p) {
  // 64 KiB windows on the client (-w/-W 16): the response needs many WINDOW_UPDATEs, the upload
  // waits for ours, which follow the handler's reads.
  const std::string file = make_file("h2-window.bin", 1'000'000);
  std::string out = co_await shell("timeout 20 nghttp -w 16 -W 16 -d " + file + " " +
                                   h2c(p, "/echo") + " | cmp - " + file + " && echo same");
  EXPECT_NE(out.find("same"), std::string::npos) << out;
  std::string load = co_await shell("timeout 30 h2load -n 40 -c 2 -m 8 -w 16 -W 16 -d " + file +
                                    " " + h2c(p, "/echo") + " 2>&1 | grep -E '^(requests|status)'");
  EXPECT_NE(load.find("40 succeeded, 0 failed, 0 errored"), std::string::npos) << load;
  EXPECT_NE(load.find("40 2xx"), std::string::npos) << load;
  std::string many = co_await shell("timeout 30 h2load -n 20000 -c 8 -m 32 " +
                                    h2c(p, "/plaintext") + " 2>&1 | grep -E '^requests'");
  EXPECT_NE(many.find("20000 succeeded, 0 failed"), std::string::npos) << many;
}
TEST(HttpServerH2, flow_control_with_small_windows_and_many_streams) {
  run_multi(with_h2_server(small_windows), 2, 90s);
}

// A response that comes before the request body is complete arrives whole; the upload is then
// stopped with RST_STREAM(NO_ERROR) after the response's END_STREAM, never before it.
Task<void> early_response(Ports p) {
  const std::string big = make_file("early-upload.bin", 300 * 1024);  // beyond the window
  for (int i = 0; i < 6; ++i) {
    Curl small = co_await curl("--http2-prior-knowledge -w ' %{http_code}' --data-binary x " +
                               h2c(p, "/refuse"));
    EXPECT_EQ(small.status, 0);
    EXPECT_EQ(small.out, "refused before the body 401");
    Curl large = co_await curl("--http2-prior-knowledge -w ' %{http_code}' --data-binary @" + big +
                               " " + h2c(p, "/refuse"));
    EXPECT_EQ(large.status, 0);
    EXPECT_EQ(large.out, "refused before the body 401");
  }
}

Task<void> held_chunks(Ports p) {
  const int size = 1 << 20;
  const std::string file = make_file("held-chunks.bin", size);
  std::uint64_t sum = 0;
  for (int i = 0; i < size; ++i)  // make_file's bytes
    sum = sum * 31 + static_cast<unsigned char>(static_cast<char>(i * 37 + (i >> 11)));
  Curl r =
      co_await curl("--http2-prior-knowledge --data-binary @" + file + " " + h2c(p, "/slow-sum"));
  EXPECT_EQ(r.out, std::to_string(size) + " " + std::to_string(sum));
}

TEST(HttpServerH2, a_chunk_stays_valid_while_more_data_arrives) {
  run_current(with_h2_server(held_chunks), 60s);
}

TEST(HttpServerH2, an_early_response_arrives_before_the_upload_is_reset) {
  run_current(with_h2_server(early_response), 60s);
}

Task<void> bad_preface(Ports p) {
  auto c = co_await connect(p.plain);
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(co_await c->send("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"));
  bool closed = co_await c->closed_within(5s);
  EXPECT_TRUE(closed);
  // SETTINGS, then GOAWAY (type 7) with PROTOCOL_ERROR (1): never an HTTP/1.1 400.
  const std::string& got = c->buffered();
  EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos);
  bool goaway = false;
  for (std::size_t i = 0; i + 9 <= got.size();) {
    const std::size_t len = (std::size_t(std::uint8_t(got[i])) << 16) |
                            (std::size_t(std::uint8_t(got[i + 1])) << 8) | std::uint8_t(got[i + 2]);
    const auto type = std::uint8_t(got[i + 3]);
    if (type == 7 && len >= 8 && i + 9 + 8 <= got.size()) {
      const std::size_t code = (std::size_t(std::uint8_t(got[i + 13])) << 24) |
                               (std::size_t(std::uint8_t(got[i + 14])) << 16) |
                               (std::size_t(std::uint8_t(got[i + 15])) << 8) |
                               std::uint8_t(got[i + 16]);
      goaway = code == 1;
    }
    i += 9 + len;
  }
  EXPECT_TRUE(goaway) << "no GOAWAY(PROTOCOL_ERROR) in " << got.size() << " bytes";
}
TEST(HttpServerH2, a_malformed_preface_gets_goaway_protocol_error) {
  run_multi(with_h2_server(bad_preface), 2, 30s);
}

}  // namespace
}  // namespace strata::test
