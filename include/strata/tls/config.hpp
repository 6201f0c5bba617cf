// tls::ServerConfig and tls::ClientConfig: what a TLS context is made from (plain data; the
// defaults are the safe choice).
//
//   tls::ServerConfig server;
//   server.identities.push_back(*tls::Identity::from_pem_files("cert.pem", "key.pem"));
//   server.alpn = {"http/1.1"};                          // server preference order
//
//   tls::ClientConfig client;                            // verifies against the system CA store
//   client.ca_file = "test-ca.pem";                      // ... or against this CA as well
//   client.alpn = {"http/1.1"};
//
// Defaults (Mozilla's "intermediate" profile): TLS 1.2 and 1.3 only; TLS 1.2 restricted to ECDHE
// with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), so every session has forward secrecy; groups
// X25519, P-256, P-384; no renegotiation, no compression. Widen them only on purpose.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "strata/rt/time.hpp"
#include "strata/tls/certificate.hpp"

namespace strata::tls {

enum class Version { tls1_2, tls1_3 };

// Whether a server asks for client certificates (mutual TLS).
enum class ClientAuth {
  none,      // never asks
  optional,  // asks; a client may send none, but one that is sent must verify
  required,  // a client without a valid certificate fails the handshake
};

inline constexpr const char* default_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* default_tls13_ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
inline constexpr const char* default_groups = "X25519:P-256:P-384";

// What both sides share.
struct CommonConfig {
  Version min_version = Version::tls1_2;
  Version max_version = Version::tls1_3;
  std::string tls12_ciphers = default_tls12_ciphers;            // OpenSSL cipher list syntax
  std::string tls13_ciphersuites = default_tls13_ciphersuites;  // TLS 1.3 suite names
  std::string groups = default_groups;
  // ALPN protocol names ("h2", "http/1.1"), most preferred first; empty: no ALPN.
  std::vector<std::string> alpn;
  // The handshake must complete within this (TlsErrc::handshake_timeout); zero: no limit.
  Duration handshake_timeout = std::chrono::seconds(10);
};

struct ServerConfig : CommonConfig {
  // The certificates served. The first is the default; a client's SNI name picks the first
  // identity whose names() match it. At least one is required.
  std::vector<Identity> identities;

  // Mutual TLS: whether to ask for client certificates, and the CAs that sign them (PEM text
  // and/or a file; required unless client_auth is none).
  ClientAuth client_auth = ClientAuth::none;
  std::string client_ca_pem;
  std::string client_ca_file;

  // Resumption with stateless tickets (TLS 1.3 PSK and TLS 1.2 tickets), encrypted with keys the
  // context makes itself and rotates every ticket_key_rotation; a ticket stays accepted for two
  // more rotations (then the client does a full handshake), and clients are told to keep it
  // for session_lifetime. false: no resumption at all.
  bool session_tickets = true;
  Duration ticket_key_rotation = std::chrono::hours(1);
  Duration session_lifetime = std::chrono::hours(2);
  // TLS 1.3 tickets sent after each full handshake (OpenSSL's default is 2; each costs the
  // server an encryption, and one is enough for one client connection to resume).
  std::size_t tickets_per_handshake = 1;
  // ALPN: a client that offers protocols, none of them in `alpn`, fails the handshake with the
  // no_application_protocol alert (RFC 7301 §3.2, as nginx does). false: carry on without ALPN.
  bool reject_unknown_alpn = true;
};

struct ClientConfig : CommonConfig {
  // Trust: the system's CA store (Debian: /etc/ssl/certs), plus the CAs given here.
  bool use_system_roots = true;
  std::string ca_pem;
  std::string ca_file;

  // The certificate sent when a server asks for one (mutual TLS).
  std::optional<Identity> identity;

  // Turns certificate verification OFF: any certificate from anyone is accepted, so a
  // man-in-the-middle can read and change everything. For tests against throwaway servers
  // only. (Host name checks go with it.)
  bool danger_accept_invalid_certificates = false;
  // Keeps the chain check but skips the host name / IP address check. Also dangerous.
  bool danger_accept_invalid_hostnames = false;

  // Remembers the latest session ticket per server (keyed by the name the caller passes to
  // connect) and offers it on the next connection: a resumed handshake costs no certificate
  // check and no signature. At most session_cache_size servers are remembered.
  bool session_resumption = true;
  std::size_t session_cache_size = 256;
};

}  // namespace strata::tls
