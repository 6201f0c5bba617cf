#include "strata/tls/error.hpp"

#include <string>

namespace strata::tls {

namespace {

class TlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.tls"; }
  std::string message(int ev) const override {
    switch (static_cast<TlsErrc>(ev)) {
      case TlsErrc::handshake_failed:
        return "TLS handshake failed";
      case TlsErrc::handshake_timeout:
        return "TLS handshake timed out";
      case TlsErrc::certificate_expired:
        return "certificate has expired";
      case TlsErrc::certificate_not_yet_valid:
        return "certificate is not yet valid";
      case TlsErrc::unknown_ca:
        return "certificate is not signed by a trusted CA";
      case TlsErrc::name_mismatch:
        return "certificate does not match the host name";
      case TlsErrc::certificate_invalid:
        return "certificate verification failed";
      case TlsErrc::certificate_required:
        return "a client certificate is required";
      case TlsErrc::certificate_rejected:
        return "the peer rejected our certificate";
      case TlsErrc::protocol_version:
        return "no TLS version in common";
      case TlsErrc::no_shared_cipher:
        return "no cipher suite or group in common";
      case TlsErrc::no_application_protocol:
        return "no application protocol (ALPN) in common";
      case TlsErrc::unexpected_eof:
        return "connection closed without TLS close_notify";
      case TlsErrc::protocol_error:
        return "TLS protocol error";
      case TlsErrc::plaintext_http:
        return "plain HTTP request on a TLS port";
      case TlsErrc::invalid_config:
        return "invalid TLS configuration";
    }
    return "unknown TLS error";
  }
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const TlsCategory category;
  return category;
}

}  // namespace strata::tls
