// Small helpers over OpenSSL for src/tls: owning pointers, the error queue as text.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "strata/tls/error.hpp"

namespace strata::tls::detail {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct SslCtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A read-only memory BIO over `text` (no copy; `text` must outlive it).
inline BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The reasons on OpenSSL's error queue (oldest first), emptying it: "what; what".
inline std::string drain_openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// `return config_error("load key");`: TlsErrc::invalid_config with OpenSSL's reasons.
inline std::unexpected<Error> config_error(std::string what) {
  std::string why = drain_openssl_errors();
  if (!why.empty()) what += ": " + why;
  return std::unexpected(Error(make_error_code(TlsErrc::invalid_config), std::move(what)));
}

}  // namespace strata::tls::detail
