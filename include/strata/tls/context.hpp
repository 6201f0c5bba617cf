// tls::ServerContext and tls::ClientContext: a validated configuration, ready to start sessions.
// Make one per configuration and share it: copies are handles to the same context, safe to use
// from every worker thread at once.
//
//   tls::ServerConfig config;
//   config.identities.push_back(*tls::Identity::from_pem_files("cert.pem", "key.pem"));
//   Result<tls::ServerContext> server = tls::ServerContext::create(std::move(config));
//
//   Result<tls::ClientContext> client = tls::ClientContext::create({});  // system CAs, verify on
//
//   // Later, e.g. on SIGHUP: new connections get the new certificates; live ones keep theirs.
//   auto renewed = tls::Identity::from_pem_files("cert.pem", "key.pem");
//   if (renewed) server->reload({*renewed});
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "strata/rt/error.hpp"
#include "strata/tls/config.hpp"
#include "strata/tls/session.hpp"

namespace strata::tls {

namespace detail {
struct ServerContextImpl;
struct ClientContextImpl;
}  // namespace detail

class ServerContext {
 public:
  // Errors (TlsErrc::invalid_config): no identity, an unusable cipher list or group, a CA file
  // that cannot be read, client_auth without CAs.
  static Result<ServerContext> create(ServerConfig config);

  // Replaces the identities served to new connections (all or none: on an error nothing
  // changes). Ticket keys are kept, so sessions stay resumable across a reload.
  Result<void> reload(std::vector<Identity> identities) const;
  // Starts a new ticket key now (the old ones keep decrypting for two more rotations).
  void rotate_ticket_keys() const;

  // A server-side session for one connection (TlsStream drives it).
  Result<Session> new_session() const;

  const ServerConfig& config() const noexcept;

 private:
  explicit ServerContext(std::shared_ptr<detail::ServerContextImpl> i) noexcept
      : impl_(std::move(i)) {}
  std::shared_ptr<detail::ServerContextImpl> impl_;
};

class ClientContext {
 public:
  // Errors (TlsErrc::invalid_config): an unreadable CA file or PEM, a bad cipher list or group,
  // an identity whose key does not match.
  static Result<ClientContext> create(ClientConfig config = {});

  // A client-side session for one connection to `server_name`: a DNS name (sent as SNI, and the
  // certificate must be valid for it) or an IP address literal (checked against the
  // certificate's IP entries; no SNI). `cache_key` names the server in the session cache
  // (default: server_name; http::Client uses "host:port").
  Result<Session> new_session(std::string_view server_name, std::string_view cache_key = {}) const;

  // Sessions remembered for resumption.
  std::size_t cached_sessions() const;
  void clear_session_cache() const;

  const ClientConfig& config() const noexcept;

 private:
  explicit ClientContext(std::shared_ptr<detail::ClientContextImpl> i) noexcept
      : impl_(std::move(i)) {}
  std::shared_ptr<detail::ClientContextImpl> impl_;
};

}  // namespace strata::tls
