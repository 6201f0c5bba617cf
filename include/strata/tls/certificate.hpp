// tls::Certificate and tls::Identity: X.509 certificates and a certificate chain with its key.
//
//   Result<tls::Identity> id = tls::Identity::from_pem_files("cert.pem", "key.pem");
//   if (!id) co_return fail(id.error());              // TlsErrc::invalid_config, with the reason
//   std::string who = id->leaf().subject();           // "CN=example.com,O=Example"
//   auto names = id->leaf().dns_names();              // subjectAltName DNS entries
//
// Both are cheap to copy (they share OpenSSL's reference-counted objects) and immutable.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/rt/error.hpp"

struct x509_st;
struct evp_pkey_st;

namespace strata::tls {

// One X.509 certificate.
class Certificate {
 public:
  // Every certificate in a PEM text, in order (a chain: leaf first). Errors: none found, or a
  // malformed one (TlsErrc::invalid_config).
  static Result<std::vector<Certificate>> parse_pem(std::string_view pem);
  static Result<Certificate> parse_der(std::span<const std::byte> der);

  // Takes one reference of `x` (OpenSSL's X509).
  static Certificate adopt(x509_st* x) noexcept;
  static Certificate share(x509_st* x) noexcept;  // adds a reference of its own

  Certificate(const Certificate&) noexcept;
  Certificate& operator=(const Certificate&) noexcept;
  Certificate(Certificate&& o) noexcept : x_(o.x_) { o.x_ = nullptr; }
  Certificate& operator=(Certificate&&) noexcept;
  ~Certificate();

  std::string subject() const;  // RFC 2253 form: "CN=example.com,O=Example"
  std::string issuer() const;
  std::string common_name() const;                // the subject's last CN, "" when none
  std::vector<std::string> dns_names() const;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses() const;  // subjectAltName IP entries, as text
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;
  std::string serial_hex() const;
  std::string sha256_fingerprint() const;  // lower-case hex of the DER's SHA-256
  std::vector<std::byte> der() const;
  std::string pem() const;

  x509_st* native() const noexcept { return x_; }

 private:
  explicit Certificate(x509_st* x) noexcept : x_(x) {}
  x509_st* x_ = nullptr;
};

// A certificate chain (leaf first, then intermediates) and the leaf's private key (RSA, ECDSA
// or Ed25519). The key is checked against the leaf when the identity is made.
class Identity {
 public:
  static Result<Identity> from_pem(std::string_view chain_pem, std::string_view key_pem);
  static Result<Identity> from_pem_files(const std::string& chain_path,
                                         const std::string& key_path);

  const Certificate& leaf() const noexcept;
  // The intermediates sent after the leaf.
  std::span<const Certificate> intermediates() const noexcept;
  // The names this identity serves for SNI: subjectAltName DNS entries (or the CN when there
  // are none), lower case; "*.example.com" wildcards match one label.
  const std::vector<std::string>& names() const noexcept;
  bool matches(std::string_view host) const noexcept;

  evp_pkey_st* native_key() const noexcept;

 private:
  struct Data;
  explicit Identity(std::shared_ptr<const Data> d) noexcept : d_(std::move(d)) {}
  std::shared_ptr<const Data> d_;
};

}  // namespace strata::tls
