// Fuzzes the HTTP/3 server's datagram input path (src/http/h3): the input is a sequence of
// datagrams (2-byte big-endian length, then the bytes; a third byte picks the sender's port)
// routed by the endpoint exactly as h3::Server routes what its socket reads: header decoding,
// version negotiation, connection lookup by DCID, ngtcp2_accept, connection set-up (GnuTLS
// session, transport parameters) and ngtcp2_conn_read_pkt on the connections it made. After
// each input every connection is destroyed and the connection-ID table must be empty again.
// Limits: packets past the Initial are encrypted, so random bytes stop at decryption; the
// HTTP/3 and QPACK paths behind it are nghttp3's, reached in tests by a real browser.
#include <gnutls/gnutls.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "http/h3/connection.hpp"

namespace {

using namespace strata;
using http::h3::detail::Endpoint;
using http::h3::detail::Shared;

constexpr fuzz::Check check{"h3_datagram"};

// A throwaway self-signed P-256 certificate (CN=fuzz.test), made for this target.
constexpr std::string_view kCert = R"(-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUBu/xQxezrWWNJ2lMHLs5sVkc6AUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJZnV6ei50ZXN0MCAXDTI2MTIwNjAwMTUzMFoYDzIxMjYxMTEy
MDAxNTMwWjAUMRIwEAYDVQQDDAlmdXp6LnRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASUAIfhu+qbPtMXpByOFDgC1bxkkNsYOO58Ub1TZ7NLHLi5Ih+ZFqkH
kAunig2+TNpZ79bNegKc3ssV1uD0S1sMo1MwUTAdBgNVHQ4EFgQU1QScFOJqtvsN
B5onBxlfjjD/JpQwHwYDVR0jBBgwFoAU1QScFOJqtvsNB5onBxlfjjD/JpQwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA/qCACqZ931/r6eTDLrhR
pxZM/Fm4n9MQk8pb5VTmGLECIDOa+FM09thzEnx2K9zMn0Ub/TrGfYI4iDo1C8eS
h5xO
-----END CERTIFICATE-----
)";
constexpr std::string_view kKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOu637bGf5I3d9CpT
NwN/lrqjiFn0IpowcDeYpEp2qq2hRANCAASUAIfhu+qbPtMXpByOFDgC1bxkkNsY
OO58Ub1TZ7NLHLi5Ih+ZFqkHkAunig2+TNpZ79bNegKc3ssV1uD0S1sM
-----END PRIVATE KEY-----
)";

struct Fixture {
  http::h3::ServerConfig config;
  std::atomic<bool> draining{false};
  Shared shared;
  Fixture() {
    config.max_connections = 8;
    gnutls_certificate_allocate_credentials(&shared.cred);
    gnutls_datum_t cert{reinterpret_cast<unsigned char*>(const_cast<char*>(kCert.data())),
                        static_cast<unsigned>(kCert.size())};
    gnutls_datum_t key{reinterpret_cast<unsigned char*>(const_cast<char*>(kKey.data())),
                       static_cast<unsigned>(kKey.size())};
    const int rv =
        gnutls_certificate_set_x509_key_mem(shared.cred, &cert, &key, GNUTLS_X509_FMT_PEM);
    check(rv >= 0, "test certificate rejected", "");
    shared.config = &config;
    shared.local = *net::SocketAddr::parse("127.0.0.1:4433");
    shared.draining = &draining;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fx;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    Endpoint endpoint(fx.shared);
    std::vector<std::uint8_t> reply;
    std::size_t at = 0;
    while (at + 3 <= size) {
      const std::size_t len = std::size_t(data[at]) << 8 | data[at + 1];
      const std::uint16_t port = static_cast<std::uint16_t>(50000 + data[at + 2] % 4);
      at += 3;
      const std::size_t n = std::min(len, size - at);
      std::vector<std::uint8_t> dgram(data + at, data + at + n);  // exact size: ASan sees overreads
      at += n;
      reply.clear();
      endpoint.on_datagram(dgram.data(), dgram.size(),
                           net::SocketAddr(net::Ipv4Addr::localhost, port), Clock::now(), reply);
      check(reply.size() <= http::h3::detail::kMaxPacket, "reply larger than a packet", input);
      check(endpoint.conns.size() <= fx.config.max_connections, "connection limit", input);
    }
  }
  check(fx.shared.cids.empty(), "connection IDs left behind", input);
  return 0;
}
