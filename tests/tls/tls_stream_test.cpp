// tls::TlsStream over in-memory duplexes: handshakes, ALPN, SNI, verification failures (each by
// its code), mutual TLS, resumption, reload, deadlines, backpressure and the close rules.
#include "strata/tls/stream.hpp"

#include <gtest/gtest.h>

#include <string>

#include "../io/io_test_util.hpp"
#include "pki.hpp"
#include "strata/io/duplex.hpp"
#include "strata/io/ext.hpp"

namespace strata::test {
namespace {

using Stream = tls::TlsStream<io::DuplexStream>;
using tls::TlsErrc;

struct Pair {
  Result<Stream> client;
  Result<Stream> server;
};

// Both handshakes over one duplex, concurrently.
Task<Pair> handshake_on(const tls::ClientContext& cc, const tls::ServerContext& sc,
                        std::string name, std::size_t pipe) {
  auto [a, b] = io::duplex(pipe);
  auto [c, s] = co_await join(tls::connect(cc, name, std::move(a)), tls::accept(sc, std::move(b)));
  co_return Pair{std::move(c), std::move(s)};
}
// (Not a coroutine: g++ 12 rejects a coroutine whose default argument is a string literal.)
Task<Pair> handshake(const tls::ClientContext& cc, const tls::ServerContext& sc,
                     std::string name = "localhost", std::size_t pipe = 64 * 1024) {
  return handshake_on(cc, sc, std::move(name), pipe);
}

std::string code_name(const Error& e) {
  return e.code().category().name() + std::string(":") + std::to_string(e.code().value()) + " " +
         e.message();
}

#define EXPECT_TLS_ERROR(result, errc)                               \
  do {                                                               \
    if (result) {                                                    \
      ADD_FAILURE() << "expected " #errc;                            \
    } else {                                                         \
      EXPECT_EQ((result).error().code(), tls::make_error_code(errc)) \
          << code_name((result).error());                            \
    }                                                                \
  } while (0)

const Pki& pki = Pki::get();

Task<void> tls13_handshake_agrees_alpn_and_moves_data_both_ways() {
  auto cfg = pki.client_config();
  cfg.alpn = {"h2", "http/1.1"};
  auto scfg = pki.server_config();
  scfg.alpn = {"http/1.1", "h2"};  // server preference wins
  Pair p = co_await handshake(Pki::client(cfg), Pki::server(scfg));
  CO_ASSERT_OK(p.client);
  CO_ASSERT_OK(p.server);
  EXPECT_EQ(p.client->session().version(), "TLSv1.3");
  EXPECT_EQ(p.client->session().alpn(), "http/1.1");
  EXPECT_EQ(p.server->session().alpn(), "http/1.1");
  EXPECT_EQ(p.server->session().server_name(), "localhost");
  EXPECT_FALSE(p.client->session().resumed());
  auto peer = p.client->session().peer_certificate();
  CO_ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->common_name(), "localhost");
  EXPECT_EQ(p.client->session().verified_chain().size(), 2u);  // leaf + test CA
  EXPECT_FALSE(p.server->session().peer_certificate().has_value());

  CO_ASSERT_OK(co_await io::write_all(*p.client, io::as_bytes("ping")));
  std::array<std::byte, 4> got{};
  CO_ASSERT_OK(co_await io::read_exact(*p.server, got));
  EXPECT_EQ(to_string(got), "ping");
  CO_ASSERT_OK(co_await io::write_all(*p.server, io::as_bytes("pong")));
  CO_ASSERT_OK(co_await io::read_exact(*p.client, got));
  EXPECT_EQ(to_string(got), "pong");

  // close_notify: the other side reads a clean end of stream.
  CO_ASSERT_OK(co_await io::shutdown(*p.client));
  auto n = co_await io::read(*p.server, got);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
}
TEST(TlsStream, tls13_handshake_agrees_alpn_and_moves_data_both_ways) {
  run_current(tls13_handshake_agrees_alpn_and_moves_data_both_ways());
}

Task<void> tls12_is_negotiated_when_the_client_caps_it_with_an_aead_ecdhe_suite() {
  auto cfg = pki.client_config();
  cfg.max_version = tls::Version::tls1_2;
  Pair p = co_await handshake(Pki::client(cfg), Pki::server(pki.server_config()));
  CO_ASSERT_OK(p.client);
  CO_ASSERT_OK(p.server);
  EXPECT_EQ(p.server->session().version(), "TLSv1.2");
  EXPECT_EQ(p.server->session().cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
}
TEST(TlsStream, tls12_is_negotiated_when_the_client_caps_it_with_an_aead_ecdhe_suite) {
  run_current(tls12_is_negotiated_when_the_client_caps_it_with_an_aead_ecdhe_suite());
}

Task<void> rsa_certificates_work_too() {
  Pair p = co_await handshake(Pki::client(pki.client_config()),
                              Pki::server(pki.server_config("server-rsa")));
  CO_ASSERT_OK(p.client);
  CO_ASSERT_OK(p.server);
}
TEST(TlsStream, rsa_certificates_work_too) {
  run_current(rsa_certificates_work_too());
}

// Each verification failure, by its code on the client, and the server sees the alert.
struct BadCert {
  const char* identity;
  const char* name;
  TlsErrc client;
};

class TlsVerify : public ::testing::TestWithParam<BadCert> {};

Task<void> refuse(BadCert b) {
  Pair p = co_await handshake(Pki::client(pki.client_config()),
                              Pki::server(pki.server_config(b.identity)), b.name);
  EXPECT_TLS_ERROR(p.client, b.client);
  EXPECT_TLS_ERROR(p.server, TlsErrc::certificate_rejected);
}
TEST_P(TlsVerify, the_client_refuses_with_a_typed_error_and_the_server_is_told) {
  run_current(refuse(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(
    Failures, TlsVerify,
    ::testing::Values(BadCert{"expired", "localhost", TlsErrc::certificate_expired},
                      BadCert{"future", "localhost", TlsErrc::certificate_not_yet_valid},
                      BadCert{"rogue", "localhost", TlsErrc::unknown_ca},
                      BadCert{"self", "localhost", TlsErrc::unknown_ca},
                      BadCert{"other", "localhost", TlsErrc::name_mismatch},
                      BadCert{"server", "127.0.0.2", TlsErrc::name_mismatch},
                      BadCert{"server", "elsewhere.test", TlsErrc::name_mismatch}));

Task<void> ip_addresses_are_checked_against_the_certificates_ip_entries() {
  Pair p = co_await handshake(Pki::client(pki.client_config()), Pki::server(pki.server_config()),
                              "127.0.0.1");
  CO_ASSERT_OK(p.client);
  EXPECT_EQ(p.server->session().server_name(), "");  // no SNI for an IP address
  Pair p6 = co_await handshake(Pki::client(pki.client_config()), Pki::server(pki.server_config()),
                               "[::1]");
  CO_ASSERT_OK(p6.client);
}
TEST(TlsStream, ip_addresses_are_checked_against_the_certificates_ip_entries) {
  run_current(ip_addresses_are_checked_against_the_certificates_ip_entries());
}

Task<void> turning_verification_off_must_be_explicit_and_then_accepts_anything() {
  auto cfg = pki.client_config();
  cfg.danger_accept_invalid_certificates = true;
  Pair p = co_await handshake(Pki::client(cfg), Pki::server(pki.server_config("expired")));
  CO_ASSERT_OK(p.client);
  auto hosts = pki.client_config();
  hosts.danger_accept_invalid_hostnames = true;
  Pair q = co_await handshake(Pki::client(hosts), Pki::server(pki.server_config("other")));
  CO_ASSERT_OK(q.client);
  // ... but only the host name: an unknown CA still fails.
  Pair r = co_await handshake(Pki::client(hosts), Pki::server(pki.server_config("rogue")));
  EXPECT_TLS_ERROR(r.client, TlsErrc::unknown_ca);
}
TEST(TlsStream, turning_verification_off_must_be_explicit_and_then_accepts_anything) {
  run_current(turning_verification_off_must_be_explicit_and_then_accepts_anything());
}

Task<void> the_system_ca_store_does_not_trust_the_test_ca() {
  tls::ClientConfig cfg;  // the defaults: system roots, verification on
  Pair p = co_await handshake(Pki::client(cfg), Pki::server(pki.server_config()));
  EXPECT_TLS_ERROR(p.client, TlsErrc::unknown_ca);
}
TEST(TlsStream, the_system_ca_store_does_not_trust_the_test_ca) {
  run_current(the_system_ca_store_does_not_trust_the_test_ca());
}

Task<void> no_common_version_is_protocol_version_on_both_sides() {
  auto cfg = pki.client_config();
  cfg.max_version = tls::Version::tls1_2;
  auto scfg = pki.server_config();
  scfg.min_version = tls::Version::tls1_3;
  Pair p = co_await handshake(Pki::client(cfg), Pki::server(scfg));
  EXPECT_TLS_ERROR(p.client, TlsErrc::protocol_version);
  EXPECT_TLS_ERROR(p.server, TlsErrc::protocol_version);
}
TEST(TlsStream, no_common_version_is_protocol_version_on_both_sides) {
  run_current(no_common_version_is_protocol_version_on_both_sides());
}

Task<void> no_shared_alpn_protocol_fails_the_handshake() {
  auto cfg = pki.client_config();
  cfg.alpn = {"h3-unknown"};
  Pair p = co_await handshake(Pki::client(cfg), Pki::server(pki.server_config()));
  EXPECT_TLS_ERROR(p.client, TlsErrc::no_application_protocol);
  EXPECT_TLS_ERROR(p.server, TlsErrc::no_application_protocol);
  // A client without ALPN is served without it.
  auto none = pki.client_config();
  none.alpn.clear();
  Pair q = co_await handshake(Pki::client(none), Pki::server(pki.server_config()));
  CO_ASSERT_OK(q.server);
  EXPECT_EQ(q.server->session().alpn(), "");
}
TEST(TlsStream, no_shared_alpn_protocol_fails_the_handshake) {
  run_current(no_shared_alpn_protocol_fails_the_handshake());
}

Task<void> sni_picks_the_identity_whose_names_match_else_the_default() {
  auto sc = Pki::server(pki.server_config("server", "other"));
  auto cc = Pki::client(pki.client_config());
  Pair a = co_await handshake(cc, sc, "other.test");
  CO_ASSERT_OK(a.client);
  EXPECT_EQ(a.client->session().peer_certificate()->common_name(), "other.test");
  Pair w = co_await handshake(cc, sc, "x.wild.test");  // wildcard, one label
  CO_ASSERT_OK(w.client);
  EXPECT_EQ(w.client->session().peer_certificate()->common_name(), "other.test");
  Pair d = co_await handshake(cc, sc, "localhost");
  CO_ASSERT_OK(d.client);
  EXPECT_EQ(d.client->session().peer_certificate()->common_name(), "localhost");
  Pair u = co_await handshake(cc, sc, "a.b.wild.test");  // two labels: the default, mismatch
  EXPECT_TLS_ERROR(u.client, TlsErrc::name_mismatch);
}
TEST(TlsStream, sni_picks_the_identity_whose_names_match_else_the_default) {
  run_current(sni_picks_the_identity_whose_names_match_else_the_default());
}

tls::ServerConfig mtls_server(tls::ClientAuth auth) {
  auto c = pki.server_config();
  c.client_auth = auth;
  c.client_ca_file = pki.path("ca.pem");
  return c;
}

// TLS 1.3: the client finishes its handshake before the server has checked its certificate, so
// the server's verdict reaches the client on its first read.
Task<Result<std::size_t>> read_some(Stream& s) {
  std::array<std::byte, 16> buf;
  co_return co_await io::read(s, buf);
}

Task<void> mutual_tls_required_refuses_a_client_without_a_certificate() {
  Pair p = co_await handshake(Pki::client(pki.client_config()),
                              Pki::server(mtls_server(tls::ClientAuth::required)));
  EXPECT_TLS_ERROR(p.server, TlsErrc::certificate_required);
  CO_ASSERT_OK(p.client);
  auto r = co_await read_some(*p.client);
  EXPECT_TLS_ERROR(r, TlsErrc::certificate_required);
}
TEST(TlsStream, mutual_tls_required_refuses_a_client_without_a_certificate) {
  run_current(mutual_tls_required_refuses_a_client_without_a_certificate());
}

Task<void> mutual_tls_gives_the_server_the_verified_client_chain() {
  auto cfg = pki.client_config();
  cfg.identity = pki.identity("client");
  Pair p =
      co_await handshake(Pki::client(cfg), Pki::server(mtls_server(tls::ClientAuth::required)));
  CO_ASSERT_OK(p.server);
  auto peer = p.server->session().peer_certificate();
  CO_ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->common_name(), "alice");
  EXPECT_EQ(p.server->session().verified_chain().size(), 2u);
  // A client certificate from another CA is refused.
  auto rogue = pki.client_config();
  rogue.identity = pki.identity("rogue");
  Pair q =
      co_await handshake(Pki::client(rogue), Pki::server(mtls_server(tls::ClientAuth::optional)));
  EXPECT_TLS_ERROR(q.server, TlsErrc::unknown_ca);
  // Optional: no certificate is fine.
  Pair o = co_await handshake(Pki::client(pki.client_config()),
                              Pki::server(mtls_server(tls::ClientAuth::optional)));
  CO_ASSERT_OK(o.server);
  EXPECT_FALSE(o.server->session().peer_certificate().has_value());
}
TEST(TlsStream, mutual_tls_gives_the_server_the_verified_client_chain) {
  run_current(mutual_tls_gives_the_server_the_verified_client_chain());
}

// A full handshake, then the client reads once so that it receives the TLS 1.3 ticket.
Task<bool> connect_and_talk(const tls::ClientContext& cc, const tls::ServerContext& sc) {
  Pair p = co_await handshake(cc, sc);
  if (!p.client || !p.server) {
    ADD_FAILURE() << (p.client ? p.server.error().message() : p.client.error().message());
    co_return false;
  }
  auto w = co_await io::write_all(*p.server, io::as_bytes("hi"));
  EXPECT_TRUE(w);
  std::array<std::byte, 2> got;
  auto r = co_await io::read_exact(*p.client, got);
  EXPECT_TRUE(r);
  co_return p.client->session().resumed();
}

Task<void> a_second_connection_resumes_with_the_ticket_tls13_and_tls12() {
  for (tls::Version v : {tls::Version::tls1_3, tls::Version::tls1_2}) {
    auto cfg = pki.client_config();
    cfg.max_version = v;
    auto cc = Pki::client(cfg);
    auto sc = Pki::server(pki.server_config());
    bool first = co_await connect_and_talk(cc, sc);
    EXPECT_FALSE(first);
    EXPECT_EQ(cc.cached_sessions(), 1u);
    bool second = co_await connect_and_talk(cc, sc);
    EXPECT_TRUE(second) << (v == tls::Version::tls1_3 ? "TLS 1.3" : "TLS 1.2");
    // Survives a certificate reload (same ticket keys) and one key rotation.
    auto reloaded = sc.reload({pki.identity("server-rsa")});
    CO_ASSERT_OK(reloaded);
    sc.rotate_ticket_keys();
    bool third = co_await connect_and_talk(cc, sc);
    EXPECT_TRUE(third);
    // After three rotations the key that sealed the client's ticket is gone: full handshake.
    for (int i = 0; i < 3; ++i) sc.rotate_ticket_keys();
    bool fourth = co_await connect_and_talk(cc, sc);
    EXPECT_FALSE(fourth);
  }
}
TEST(TlsStream, a_second_connection_resumes_with_the_ticket_tls13_and_tls12) {
  run_current(a_second_connection_resumes_with_the_ticket_tls13_and_tls12());
}

Task<void> reload_serves_new_connections_the_new_certificate() {
  auto sc = Pki::server(pki.server_config());
  auto cc = Pki::client(pki.client_config());
  Pair before = co_await handshake(cc, sc);
  CO_ASSERT_OK(before.client);
  auto bad = sc.reload({});
  EXPECT_TLS_ERROR(bad, TlsErrc::invalid_config);
  auto ok = sc.reload({pki.identity("server-rsa")});
  CO_ASSERT_OK(ok);
  cc.clear_session_cache();
  Pair after = co_await handshake(cc, sc);
  CO_ASSERT_OK(after.client);
  EXPECT_EQ(after.client->session().peer_certificate()->sha256_fingerprint(),
            pki.identity("server-rsa").leaf().sha256_fingerprint());
  // The connection made before the reload still works.
  CO_ASSERT_OK(co_await io::write_all(*before.client, io::as_bytes("x")));
  std::array<std::byte, 1> got;
  CO_ASSERT_OK(co_await io::read_exact(*before.server, got));
}
TEST(TlsStream, reload_serves_new_connections_the_new_certificate) {
  run_current(reload_serves_new_connections_the_new_certificate());
}

Task<void> a_silent_peer_makes_the_handshake_time_out() {
  auto scfg = pki.server_config();
  scfg.handshake_timeout = 50ms;
  auto sc = Pki::server(scfg);
  auto [a, b] = io::duplex(1024);
  auto s = co_await tls::accept(sc, std::move(b));
  EXPECT_TLS_ERROR(s, TlsErrc::handshake_timeout);
}
TEST(TlsStream, a_silent_peer_makes_the_handshake_time_out) {
  run_current(a_silent_peer_makes_the_handshake_time_out());
}

Task<void> plaintext_http_and_garbage_are_typed_errors() {
  auto sc = Pki::server(pki.server_config());
  {
    auto [a, b] = io::duplex(1024);
    CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    auto s = co_await tls::accept(sc, std::move(b));
    EXPECT_TLS_ERROR(s, TlsErrc::plaintext_http);
  }
  {
    auto [a, b] = io::duplex(1024);
    CO_ASSERT_OK(co_await io::write_all(
        a, io::as_bytes(std::string_view("\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9))));
    auto s = co_await tls::accept(sc, std::move(b));
    CO_ASSERT_TRUE(!s);
    EXPECT_TRUE(s.error() == TlsErrc::protocol_error || s.error() == TlsErrc::handshake_failed)
        << code_name(s.error());
  }
  {
    auto [a, b] = io::duplex(1024);
    CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("\x16\x03\x01")));
    { auto drop = std::move(a); }  // the peer goes away mid-record
    auto s = co_await tls::accept(sc, std::move(b));
    EXPECT_TLS_ERROR(s, TlsErrc::unexpected_eof);
  }
}
TEST(TlsStream, plaintext_http_and_garbage_are_typed_errors) {
  run_current(plaintext_http_and_garbage_are_typed_errors());
}

Task<void> a_peer_that_closes_without_close_notify_is_an_unexpected_eof() {
  Pair p = co_await handshake(Pki::client(pki.client_config()), Pki::server(pki.server_config()));
  CO_ASSERT_OK(p.client);
  CO_ASSERT_OK(p.server);
  { Stream gone = std::move(*p.client); }  // drops the transport, no close_notify
  auto r = co_await read_some(*p.server);
  EXPECT_TLS_ERROR(r, TlsErrc::unexpected_eof);
}
TEST(TlsStream, a_peer_that_closes_without_close_notify_is_an_unexpected_eof) {
  run_current(a_peer_that_closes_without_close_notify_is_an_unexpected_eof());
}

Task<std::string> read_all(Stream& s) {
  std::string out;
  std::vector<std::byte> buf(7000);
  for (;;) {
    auto n = co_await io::read(s, buf);
    if (!n) {
      ADD_FAILURE() << n.error().message();
      co_return out;
    }
    if (*n == 0) co_return out;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

Task<void> write_then_close(Stream& s, const std::string& data) {
  auto w = co_await io::write_all(s, io::as_bytes(data));
  EXPECT_TRUE(w) << (w ? "" : w.error().message());
  auto c = co_await io::shutdown(s);
  EXPECT_TRUE(c);
}

Task<void> megabytes_cross_a_small_pipe_both_ways_intact() {
  {
    // A 4 KiB pipe: every write meets a full transport, so the kept-ciphertext path and the
    // writer's backpressure are exercised on each record.
    Pair p = co_await handshake(Pki::client(pki.client_config()), Pki::server(pki.server_config()),
                                "localhost", 4096);
    CO_ASSERT_OK(p.client);
    CO_ASSERT_OK(p.server);
    std::string up(3 << 20, '\0'), down(2 << 20, '\0');
    for (std::size_t i = 0; i < up.size(); ++i) up[i] = static_cast<char>(i * 7 + (i >> 12));
    for (std::size_t i = 0; i < down.size(); ++i) down[i] = static_cast<char>(i * 13 + (i >> 9));
    auto [got_up, got_down, w1, w2] =
        co_await join(read_all(*p.server), read_all(*p.client), write_then_close(*p.client, up),
                      write_then_close(*p.server, down));
    (void)w1;
    (void)w2;
    EXPECT_TRUE(got_up == up) << got_up.size();
    EXPECT_TRUE(got_down == down) << got_down.size();
  }
}
STRATA_TEST_ALL_FLAVOURS(TlsStream, megabytes_cross_a_small_pipe_both_ways_intact) {
  run(megabytes_cross_a_small_pipe_both_ways_intact());
}

TEST(TlsContext, bad_configuration_is_invalid_config_with_the_reason) {
  tls::ServerConfig none;
  auto a = tls::ServerContext::create(none);
  EXPECT_TLS_ERROR(a, TlsErrc::invalid_config);
  auto c = pki.server_config();
  c.tls12_ciphers = "NOT-A-CIPHER";
  auto b = tls::ServerContext::create(c);
  EXPECT_TLS_ERROR(b, TlsErrc::invalid_config);
  auto mt = pki.server_config();
  mt.client_auth = tls::ClientAuth::required;  // no CA
  auto d = tls::ServerContext::create(mt);
  EXPECT_TLS_ERROR(d, TlsErrc::invalid_config);
  auto mismatch = tls::Identity::from_pem_files(pki.path("server.pem"), pki.path("other.key"));
  EXPECT_TLS_ERROR(mismatch, TlsErrc::invalid_config);
  auto missing = tls::Identity::from_pem_files(pki.path("nope.pem"), pki.path("nope.key"));
  EXPECT_TLS_ERROR(missing, TlsErrc::invalid_config);
  auto garbage =
      tls::Certificate::parse_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  EXPECT_TLS_ERROR(garbage, TlsErrc::invalid_config);
  tls::ClientConfig cc;
  cc.ca_file = pki.path("missing-ca.pem");
  auto e = tls::ClientContext::create(cc);
  EXPECT_TLS_ERROR(e, TlsErrc::invalid_config);
}

TEST(TlsCertificate, fields_read_back_from_the_test_certificates) {
  tls::Identity id = pki.identity("server");
  const tls::Certificate& c = id.leaf();
  EXPECT_EQ(c.subject(), "CN=localhost");
  EXPECT_EQ(c.issuer(), "CN=Strata Test CA");
  EXPECT_EQ(c.dns_names(), std::vector<std::string>{"localhost"});
  EXPECT_EQ(c.ip_addresses(), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(c.sha256_fingerprint().size(), 64u);
  EXPECT_TRUE(id.matches("LOCALHOST"));
  EXPECT_FALSE(id.matches("other.test"));
  auto again = tls::Certificate::parse_pem(c.pem());
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].der(), c.der());
  auto der = tls::Certificate::parse_der(c.der());
  ASSERT_TRUE(der);
  EXPECT_EQ(der->serial_hex(), c.serial_hex());
  EXPECT_LT(c.not_before(), c.not_after());
}

}  // namespace
}  // namespace strata::test
