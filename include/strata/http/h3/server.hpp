// h3::Server: serves HTTP/3 (RFC 9114) over QUIC v1 (RFC 9000) on one UDP socket, with the same
// Service (a Router, or a function) as the HTTP/1.1 and HTTP/2 server.
//
//   http::Router router;
//   router.get("/", [](http::Request&) -> Task<http::Response> {
//     co_return http::Response::text("hello over h3");
//   });
//   http::h3::ServerConfig config;
//   config.cert_file = "cert.pem";   // the same PEM files as the TCP TLS listener
//   config.key_file = "key.pem";
//   auto server = http::h3::Server::bind(*net::SocketAddr::parse("127.0.0.1:8443"), config);
//   if (!server) co_return;
//   co_await server->serve(std::make_shared<http::Router>(std::move(router)));
//
// QUIC and its TLS 1.3 handshake come from ngtcp2 with its GnuTLS back-end (OpenSSL 3.0 has no
// QUIC API), HTTP/3 framing and QPACK from nghttp3; Strata drives them from one task that owns
// the socket: it reads datagrams, routes them to connections by connection ID, polls each
// stream's handler (no spawn, as for HTTP/2), and writes the packets ngtcp2 produces, paced by
// ngtcp2's own timer. Request bodies are streamed to handlers with flow control tied to their
// reads; response bodies are pulled as congestion and flow control allow, at most
// `max_unacked_per_stream` bytes unacknowledged per stream. Everything is bounded: connections,
// streams per connection, header bytes. Handlers see req.version == Version::http_3.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "strata/http/h1/connection_config.hpp"
#include "strata/http/service.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h3 {

struct ServerConfig {
  // The certificate chain and private key (PEM), as for the TCP TLS listener.
  std::string cert_file;
  std::string key_file;
  // Server header, access log and max_body_bytes are used from here.
  h1::ConnectionConfig http;
  // QUIC connections at most; Initial packets beyond are dropped.
  std::size_t max_connections = 4096;
  // Concurrent request streams per connection (QUIC's initial_max_streams_bidi).
  std::uint64_t max_streams = 100;
  // Bytes of request header fields per request (431 beyond).
  std::size_t max_header_bytes = 64 * 1024;
  // Receive windows: per request stream and per connection.
  std::uint64_t stream_window = 256 * 1024;
  std::uint64_t connection_window = 4 * 1024 * 1024;
  // Response bytes sent and not yet acknowledged, per stream (backpressure on the body).
  std::size_t max_unacked_per_stream = 1024 * 1024;
  // QUIC idle timeout (the connection closes silently after it).
  Duration idle_timeout = std::chrono::seconds(30);
  // Handshake deadline.
  Duration handshake_timeout = std::chrono::seconds(10);
};

struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t datagrams_dropped = 0;  // undecodable, unknown connection, or over limits
};

namespace detail {
struct EndpointState;
}

class Server {
 public:
  // Binds the UDP socket and loads the certificate (call inside a runtime). Errors: address in
  // use, unreadable or mismatched certificate/key.
  static Result<Server> bind(const net::SocketAddr& addr, ServerConfig config);

  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;
  ~Server();

  net::SocketAddr local_addr() const;

  // Serves until shutdown() has completed. Call once.
  Task<Result<void>> serve(std::shared_ptr<Service> service);

  // Sends GOAWAY on every connection, lets in-flight requests finish, closes each connection
  // when it has none; what is left after `grace` is closed. Callable from any thread.
  void shutdown(Duration grace = std::chrono::seconds(10)) const;

  ServerStats stats() const;

 private:
  explicit Server(std::shared_ptr<detail::EndpointState> s) noexcept;
  std::shared_ptr<detail::EndpointState> state_;
};

}  // namespace strata::http::h3
