// http::Client over https against a real nginx with TLS on loopback, serving the test PKI
// (tests/tls/make_pki.sh): success (GET, POST, keep-alive over one TLS connection, resumption
// on a second one, mutual TLS, redirects between http and https) and each failure kind,
// asserted by its tls::TlsErrc code.
#include "strata/http/client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "../tls/pki.hpp"
#include "http_test_util.hpp"
#include "nginx_process.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;
using tls::TlsErrc;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

// One nginx for the whole binary: a plaintext server and one TLS server per certificate case.
struct Ports {
  std::uint16_t plain = 0, ok = 0, expired = 0, future = 0, rogue = 0, other = 0, tls12 = 0,
                mtls = 0, short_keepalive = 0;
};

class ClientTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(NginxProcess::installed()) << "nginx is required (the bootstrap installs it)";
    const Pki& pki = Pki::get();
    nginx_ = std::make_unique<NginxProcess>();
    const std::string www = nginx_->dir() + "/www";
    std::ofstream(www + "/index.html") << "nginx over tls";
    std::ofstream(www + "/file.bin", std::ios::binary) << pattern(1 << 20);
    Ports& p = ports_;
    for (std::uint16_t* port : {&p.plain, &p.ok, &p.expired, &p.future, &p.rogue, &p.other,
                                &p.tls12, &p.mtls, &p.short_keepalive}) {
      *port = NginxProcess::free_port();
    }
    auto listen = [&](std::uint16_t port, const std::string& cert) {
      return "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl;\n" +
             "    ssl_certificate " + pki.path(cert + ".pem") + ";\n" + "    ssl_certificate_key " +
             pki.path(cert + ".key") + ";\n    root " + www + ";\n";
    };
    const std::string tls_base = "https://127.0.0.1:" + std::to_string(p.ok);
    const std::string plain_base = "http://127.0.0.1:" + std::to_string(p.plain);
    // nginx 1.22 leaves TLS 1.3 out of its default protocols.
    std::string conf = "  ssl_protocols TLSv1.2 TLSv1.3;\n";
    conf +=
        "  server {\n    listen 127.0.0.1:" + std::to_string(p.plain) + ";\n" +
        "    location /upstream { return 200 \"upstream $request_method $content_length\"; }\n" +
        "    location /hop { return 302 " + tls_base + "/final; }\n  }\n";
    conf += listen(p.ok, "server") + "    listen [::1]:" + std::to_string(p.ok) + " ssl;\n" +
            "    add_header X-Reused $ssl_session_reused always;\n"
            "    add_header X-Proto $ssl_protocol always;\n"
            "    location /post { proxy_pass " +
            plain_base + "/upstream; " + "add_header X-Body $request_body always; }\n" +
            "    location /to-plain { return 302 " + plain_base + "/hop; }\n" +
            "    location /same { return 302 /final; }\n" +
            "    location /final { add_header X-Auth \"$http_authorization\" always; "
            "return 200 \"final\"; }\n  }\n";
    for (auto [port, cert] : {std::pair{p.expired, "expired"}, std::pair{p.future, "future"},
                              std::pair{p.rogue, "rogue"}, std::pair{p.other, "other"}}) {
      conf += listen(port, cert) + "  }\n";
    }
    conf += listen(p.tls12, "server") +
            "    ssl_protocols TLSv1.2;\n    add_header X-Proto $ssl_protocol always;\n  }\n";
    conf += listen(p.mtls, "server") + "    ssl_verify_client on;\n" +
            "    ssl_client_certificate " + pki.path("ca.pem") + ";\n" +
            "    location / { return 200 \"$ssl_client_s_dn\"; }\n  }\n";
    conf += listen(p.short_keepalive, "server") + "    keepalive_timeout 1s;\n  }\n";
    nginx_->start(conf);
    for (std::uint16_t port : {p.plain, p.ok, p.expired, p.future, p.rogue, p.other, p.tls12,
                               p.mtls, p.short_keepalive}) {
      ASSERT_TRUE(nginx_->wait_listening(port)) << "nginx did not start:\n" << nginx_->error_log();
    }
  }
  static void TearDownTestSuite() { nginx_.reset(); }

  static std::unique_ptr<NginxProcess> nginx_;
  static Ports ports_;
};
std::unique_ptr<NginxProcess> ClientTls::nginx_;
Ports ClientTls::ports_;

std::string https(std::uint16_t port, std::string_view path, std::string_view host = "127.0.0.1") {
  return "https://" + std::string(host) + ":" + std::to_string(port) + std::string(path);
}

// A Client trusting only the test CA.
http::ClientConfig test_ca() {
  http::ClientConfig c;
  c.tls = Pki::get().client_config();
  return c;
}

// GETs `url` with a fresh client and expects the TLS error `want`.
Task<void> expect_tls_error(http::ClientConfig cfg, std::string url, TlsErrc want) {
  http::Client client(std::move(cfg));
  auto r = co_await client.get(url).send();
  CO_ASSERT_TRUE(!r);
  EXPECT_EQ(r.error(), want) << url << ": " << r.error().message();
  EXPECT_EQ(client.open_connections(), 0u);
}

// ---- success ----

Task<void> get_post_and_keep_alive(Ports p) {
  http::Client client(test_ca());
  // By name (SNI "localhost", DNS SAN) and by IP literals (IP SANs; no brackets in the name).
  for (const char* host : {"localhost", "127.0.0.1", "[::1]"}) {
    http::Client fresh(test_ca());
    auto r = co_await fresh.get(https(p.ok, "/index.html", host)).send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->status, http::StatusCode::ok);
    EXPECT_EQ(r->headers.get("x-proto"), "TLSv1.3");
    auto text = co_await r->body.text(100);
    CO_ASSERT_OK(text);
    EXPECT_EQ(*text, "nginx over tls") << host;
  }
  const std::string file = pattern(1 << 20);
  for (int i = 0; i < 3; ++i) {
    auto r = co_await client.get(https(p.ok, "/file.bin")).send();
    CO_ASSERT_OK(r);
    auto body = co_await r->body.text(2 << 20);
    CO_ASSERT_OK(body);
    EXPECT_TRUE(*body == file) << "download " << i << " differs (" << body->size() << " bytes)";
  }
  auto post = co_await client.post(https(p.ok, "/post")).body("hello world").send();
  CO_ASSERT_OK(post);
  EXPECT_EQ(post->status, http::StatusCode::ok);
  EXPECT_EQ(post->headers.get("x-body"), "hello world");
  auto upstream = co_await post->body.text(100);
  CO_ASSERT_OK(upstream);
  EXPECT_EQ(*upstream, "upstream POST 11");
  auto head = co_await client.head(https(p.ok, "/file.bin")).send();
  CO_ASSERT_OK(head);
  EXPECT_EQ(head->headers.get("content-length"), std::to_string(file.size()));
  EXPECT_EQ(client.stats().requests, 5u);
  EXPECT_EQ(client.stats().connections_opened, 1u);  // all of it over one TLS connection
  EXPECT_EQ(client.stats().connections_reused, 4u);
  EXPECT_EQ(client.open_connections(), 1u);
}
TEST_F(ClientTls, get_post_and_keep_alive_over_one_tls_connection) {
  run_current(get_post_and_keep_alive(ports_), 20s);
}
TEST_F(ClientTls, keep_alive_over_tls_multi_thread) {
  run_multi(get_post_and_keep_alive(ports_), 2, 20s);
}

Task<std::string> reused_header(http::Client& client, std::string url) {
  auto r = co_await client.get(url).send();
  if (!r) co_return "error: " + r.error().message();
  std::string reused(r->headers.get("x-reused").value_or("missing"));
  (void)co_await r->body.discard();
  co_return reused;
}

Task<void> resumes_on_a_second_connection(Ports p) {
  http::ClientConfig cfg = test_ca();
  cfg.max_idle_per_host = 0;  // every request on a new connection
  http::Client client(cfg);
  const std::string url = https(p.ok, "/index.html");
  EXPECT_EQ(co_await reused_header(client, url), ".");  // full handshake
  EXPECT_EQ(co_await reused_header(client, url), "r");  // resumed with the ticket of the first
  EXPECT_EQ(client.stats().connections_opened, 2u);
  // Another origin (the name instead of the IP literal) has its own cache entry.
  EXPECT_EQ(co_await reused_header(client, https(p.ok, "/index.html", "localhost")), ".");

  // A context given ready is shared: a second Client resumes from the first one's session.
  auto ctx = tls::ClientContext::create(Pki::get().client_config());
  CO_ASSERT_OK(ctx);
  http::ClientConfig shared_cfg;
  shared_cfg.tls_context = *ctx;
  http::Client a(shared_cfg), b(shared_cfg);
  EXPECT_EQ(co_await reused_header(a, url), ".");
  EXPECT_EQ(co_await reused_header(b, url), "r");
  EXPECT_EQ(ctx->cached_sessions(), 1u);
}
TEST_F(ClientTls, resumes_the_session_on_a_second_connection) {
  run_current(resumes_on_a_second_connection(ports_), 20s);
}

Task<void> mutual_tls(Ports p) {
  http::ClientConfig cfg = test_ca();
  cfg.tls.identity = Pki::get().identity("client");
  http::Client client(cfg);
  auto r = co_await client.get(https(p.mtls, "/")).send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::ok);
  auto dn = co_await r->body.text(200);
  CO_ASSERT_OK(dn);
  EXPECT_EQ(*dn, "CN=alice");
  // Without a certificate nginx finishes the handshake and answers 400 itself.
  http::Client anonymous(test_ca());
  auto no_cert = co_await anonymous.get(https(p.mtls, "/")).send();
  CO_ASSERT_OK(no_cert);
  EXPECT_EQ(no_cert->status, http::StatusCode::bad_request);
}
TEST_F(ClientTls, client_certificate_for_mutual_tls) {
  run_current(mutual_tls(ports_), 20s);
}

Task<void> redirects_between_http_and_https(Ports p) {
  http::Client client(test_ca());
  // https -> http (another origin: Authorization dropped) -> https.
  auto r = co_await client.get(https(p.ok, "/to-plain"))
               .header("authorization", "Basic c2VjcmV0")
               .send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::ok);
  EXPECT_EQ(r->headers.get("x-auth"), std::nullopt);  // nginx leaves out an empty field
  auto text = co_await r->body.text(100);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "final");
  // http -> https.
  auto up = co_await client.get("http://127.0.0.1:" + std::to_string(p.plain) + "/hop").send();
  CO_ASSERT_OK(up);
  EXPECT_EQ(up->status, http::StatusCode::ok);
  (void)co_await up->body.discard();
  // Same origin: the credentials stay.
  auto same =
      co_await client.get(https(p.ok, "/same")).header("authorization", "Basic c2VjcmV0").send();
  CO_ASSERT_OK(same);
  EXPECT_EQ(same->headers.get("x-auth"), "Basic c2VjcmV0");
  (void)co_await same->body.discard();
  EXPECT_EQ(client.stats().connections_opened, 2u);  // one per origin, reused
}
TEST_F(ClientTls, redirects_between_http_and_https) {
  run_current(redirects_between_http_and_https(ports_), 20s);
}

Task<void> scheme_is_part_of_the_pool_key(Ports p) {
  http::Client client(test_ca());
  auto tls = co_await client.get(https(p.ok, "/index.html")).send();
  CO_ASSERT_OK(tls);
  (void)co_await tls->body.discard();
  // Plain http to the same host:port must not ride the pooled TLS connection: it opens its own
  // and nginx answers 400 (a plain request on its TLS port).
  auto plain =
      co_await client.get("http://127.0.0.1:" + std::to_string(p.ok) + "/index.html").send();
  CO_ASSERT_OK(plain);
  EXPECT_EQ(plain->status, http::StatusCode::bad_request);
  (void)co_await plain->body.discard();
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}
TEST_F(ClientTls, http_and_https_to_one_port_are_separate_connections) {
  run_current(scheme_is_part_of_the_pool_key(ports_), 20s);
}

Task<void> stale_tls_connection_is_replaced(Ports p) {
  http::Client client(test_ca());
  const std::string url = https(p.short_keepalive, "/index.html");
  auto first = co_await client.get(url).send();
  CO_ASSERT_OK(first);
  (void)co_await first->body.discard();
  EXPECT_EQ(client.open_connections(), 1u);
  co_await sleep(2500ms);  // nginx closes the idle connection after 1 s (close_notify, FIN)
  auto second = co_await client.get(url).send();
  CO_ASSERT_OK(second);
  EXPECT_EQ(second->status, http::StatusCode::ok);
  (void)co_await second->body.discard();
  // The probe on checkout saw it closed: a new connection, no failed attempt and retry.
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
  EXPECT_EQ(client.stats().stale_retries, 0u);
}
TEST_F(ClientTls, stale_tls_connection_is_replaced_on_checkout) {
  run_current(stale_tls_connection_is_replaced(ports_), 20s);
}

Task<void> tls12_server(Ports p) {
  http::Client client(test_ca());  // the default range, 1.2 to 1.3
  auto r = co_await client.get(https(p.tls12, "/index.html")).send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->headers.get("x-proto"), "TLSv1.2");
  (void)co_await r->body.discard();
}
TEST_F(ClientTls, tls12_only_server_with_the_default_range) {
  run_current(tls12_server(ports_), 20s);
}

Task<void> accepts_invalid_on_request(Ports p) {
  http::ClientConfig cfg;  // the system store: none of these would verify
  cfg.tls.danger_accept_invalid_certificates = true;
  http::Client client(cfg);
  for (std::uint16_t port : {p.expired, p.rogue, p.other}) {
    auto r = co_await client.get(https(port, "/index.html")).send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->status, http::StatusCode::ok);
    (void)co_await r->body.discard();
  }
}
TEST_F(ClientTls, danger_accept_invalid_certificates_connects_anyway) {
  run_current(accepts_invalid_on_request(ports_), 20s);
}

// ---- failures, each by its code ----

TEST_F(ClientTls, expired_certificate) {
  run_current(
      expect_tls_error(test_ca(), https(ports_.expired, "/"), TlsErrc::certificate_expired));
}
TEST_F(ClientTls, not_yet_valid_certificate) {
  run_current(
      expect_tls_error(test_ca(), https(ports_.future, "/"), TlsErrc::certificate_not_yet_valid));
}
TEST_F(ClientTls, certificate_from_an_unknown_ca) {
  run_current(expect_tls_error(test_ca(), https(ports_.rogue, "/"), TlsErrc::unknown_ca));
}
TEST_F(ClientTls, certificate_for_another_name_or_address) {
  run_current(expect_tls_error(test_ca(), https(ports_.other, "/"), TlsErrc::name_mismatch));
  run_current(
      expect_tls_error(test_ca(), https(ports_.other, "/", "localhost"), TlsErrc::name_mismatch));
}
TEST_F(ClientTls, default_config_verifies_against_the_system_store) {
  run_current(expect_tls_error(http::ClientConfig{}, https(ports_.ok, "/"), TlsErrc::unknown_ca));
}
TEST_F(ClientTls, no_shared_protocol_version) {
  http::ClientConfig cfg = test_ca();
  cfg.tls.min_version = tls::Version::tls1_3;
  run_current(expect_tls_error(cfg, https(ports_.tls12, "/"), TlsErrc::protocol_version));
}
TEST_F(ClientTls, unusable_tls_config_fails_the_request) {
  http::ClientConfig cfg = test_ca();
  cfg.tls.ca_file = Pki::get().path("no-such-ca.pem");
  run_current(expect_tls_error(cfg, https(ports_.ok, "/"), TlsErrc::invalid_config));
}

// A TCP listener that never answers: the kernel completes the TCP handshake (backlog), nobody
// ever speaks TLS.
TEST_F(ClientTls, handshake_timeout_against_a_silent_listener) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  http::ClientConfig cfg = test_ca();
  cfg.tls.handshake_timeout = 300ms;
  run_current(expect_tls_error(cfg, https(ntohs(a.sin_port), "/"), TlsErrc::handshake_timeout));
  ::close(fd);
}

}  // namespace
}  // namespace strata::test
