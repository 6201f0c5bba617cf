// Fuzzes the TLS record and handshake path (strata/tls) over an in-memory transport. The first
// byte picks the side: even, a server reads the rest as a client's bytes; odd, a client (which
// verifies nothing, to get further) reads them as a server's. The next byte sets how many bytes
// each transport read returns, so records arrive split at every place.
//
// For every input: the session ends in a clean end of stream or a typed error whose category is
// strata.tls (the transport itself never fails, so any other error is a bug); it never asks to
// wait (the transport is never Pending, so Pending means a lost wake-up); and ASan/UBSan see no
// fault in our BIO, the ciphertext buffers or the error mapping.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "strata/tls/stream.hpp"

namespace {

using namespace strata;

constexpr fuzz::Check check{"tls_record"};

// The fuzzer's bytes as a stream: reads return at most `chunk` bytes, then end of stream;
// writes are accepted and dropped.
struct FuzzPipe {
  std::string_view in;
  std::size_t chunk = 1;
  Poll<Result<std::size_t>> poll_read(Context&, io::MutableBuffer buf) {
    const std::size_t n = std::min({buf.size(), chunk, in.size()});
    std::memcpy(buf.data(), in.data(), n);
    in.remove_prefix(n);
    return n;
  }
  Poll<Result<std::size_t>> poll_write(Context&, io::ConstBuffer buf) { return buf.size(); }
  Poll<Result<void>> poll_flush(Context&) { return Result<void>{}; }
  Poll<Result<void>> poll_shutdown(Context&) { return Result<void>{}; }
};

// A self-signed ECDSA P-256 identity, made once.
tls::Identity make_identity() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  BIO* cert = BIO_new(BIO_s_mem());
  BIO* pkey = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert, x);
  PEM_write_bio_PrivateKey(pkey, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* c = nullptr;
  char* k = nullptr;
  const long cn = BIO_get_mem_data(cert, &c);
  const long kn = BIO_get_mem_data(pkey, &k);
  auto id = tls::Identity::from_pem(std::string_view(c, static_cast<std::size_t>(cn)),
                                    std::string_view(k, static_cast<std::size_t>(kn)));
  BIO_free(cert);
  BIO_free(pkey);
  X509_free(x);
  EVP_PKEY_free(key);
  check(id.has_value(), "test identity", "");
  return *id;
}

struct Contexts {
  tls::ServerContext server;
  tls::ClientContext client;
};

const Contexts& contexts() {
  static const Contexts c = [] {
    tls::ServerConfig s;
    s.identities.push_back(make_identity());
    s.alpn = {"h2", "http/1.1"};
    tls::ClientConfig cl;
    cl.danger_accept_invalid_certificates = true;
    cl.use_system_roots = false;
    cl.alpn = {"http/1.1"};
    cl.session_resumption = false;
    auto server = tls::ServerContext::create(std::move(s));
    auto client = tls::ClientContext::create(std::move(cl));
    check(server && client, "contexts", "");
    return Contexts{*server, *client};
  }();
  return c;
}

void expect_tls_error(const Error& e, std::string_view input) {
  check(e.code().category() == tls::tls_category(), "an error that is not a TlsErrc", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool server = (data[0] & 1) == 0;
  FuzzPipe pipe{std::string_view(reinterpret_cast<const char*>(data + 2), size - 2),
                std::size_t{1} + data[1]};
  Result<tls::Session> session =
      server ? contexts().server.new_session() : contexts().client.new_session("localhost");
  check(session.has_value(), "new session", input);
  tls::TlsStream<FuzzPipe> stream(pipe, std::move(*session));
  Waker noop = Waker::noop();
  Context cx(noop);
  Poll<Result<void>> h = stream.poll_handshake(cx);
  check(h.is_ready(), "handshake pending over a transport that never waits", input);
  if (!h.value()) {
    expect_tls_error(h.value().error(), input);
    return 0;
  }
  std::byte buf[4096];
  for (int i = 0; i < 4096; ++i) {
    Poll<Result<std::size_t>> r = stream.poll_read(cx, buf);
    check(r.is_ready(), "read pending over a transport that never waits", input);
    if (!r.value()) {
      expect_tls_error(r.value().error(), input);
      return 0;
    }
    if (*r.value() == 0) return 0;
  }
  return 0;
}
