// tls::TlsErrc: why a TLS handshake, record or configuration failed, as a typed error code.
//
//   auto ctx = tls::ClientContext::create({});
//   auto tcp = co_await net::TcpStream::connect(addr);
//   if (!ctx || !tcp) co_return;
//   auto s = co_await tls::connect(*ctx, "example.com", std::move(*tcp));
//   if (!s && s.error() == tls::TlsErrc::certificate_expired) { /* renew it! */ }
//   // s.error().message() says why, with OpenSSL's reason and the verifier's message
//
// Verification codes (expired, unknown_ca, name_mismatch, ...) are reported by the side that
// verified; the other side, told by the peer's alert, sees certificate_rejected. The error's
// context carries OpenSSL's own reason text and the verifier's message for the details.
#pragma once

#include <system_error>

#include "strata/rt/error.hpp"

namespace strata::tls {

enum class TlsErrc {
  handshake_failed = 1,       // a handshake failure not described by a code below
  handshake_timeout,          // the handshake did not finish within its deadline
  certificate_expired,        // the peer's certificate (or one in its chain) has expired
  certificate_not_yet_valid,  // ... is not valid yet
  unknown_ca,                 // the chain does not lead to a trusted root (or is self-signed)
  name_mismatch,              // the certificate is for another host name or IP address
  certificate_invalid,        // any other verification failure (signature, purpose, revoked, ...)
  certificate_required,       // the server requires a client certificate and none was sent
  certificate_rejected,       // the peer refused our certificate (bad/unknown/expired alert)
  protocol_version,           // no TLS version both sides accept
  no_shared_cipher,           // no cipher suite or group both sides accept
  no_application_protocol,    // ALPN: the client offered protocols the server speaks none of
  unexpected_eof,             // the peer closed the connection without close_notify
  protocol_error,             // malformed or unexpected TLS records (or not TLS at all)
  plaintext_http,             // a plain HTTP request arrived on a TLS port
  invalid_config,             // a certificate, key, CA file or setting that cannot be used
};

}  // namespace strata::tls

template <>
struct std::is_error_code_enum<strata::tls::TlsErrc> : std::true_type {};

namespace strata::tls {

// Category "strata.tls".
const std::error_category& tls_category() noexcept;
inline std::error_code make_error_code(TlsErrc e) noexcept {
  return {static_cast<int>(e), tls_category()};
}
inline bool operator==(const Error& e, TlsErrc c) noexcept {
  return e.code() == make_error_code(c);
}

}  // namespace strata::tls
