// http::Server: serves HTTP/1.1 on TCP listeners, plaintext and TLS, with any Service (a Router,
// or a function).
//
//   Task<http::Response> hello(http::Request& req) {
//     co_return http::Response::text("Hello, World!");
//   }
//
//   STRATA_MAIN(RuntimeConfig::multi_thread()) {
//     http::ServerConfig config;
//     config.listeners = 2;                       // default: one per worker (SO_REUSEPORT)
//     auto server = http::Server::bind(*net::SocketAddr::parse("127.0.0.1:8080"), config);
//     if (!server) co_return 1;
//     tls::ServerConfig tls_config;                // HTTPS on a second port, same routes
//     tls_config.identities.push_back(*tls::Identity::from_pem_files("cert.pem", "key.pem"));
//     tls_config.alpn = {"http/1.1"};
//     auto tls_ctx = tls::ServerContext::create(std::move(tls_config));
//     if (!tls_ctx) co_return 1;
//     auto https = server->listen_tls(*net::SocketAddr::parse("127.0.0.1:8443"), *tls_ctx);
//     if (!https) co_return 1;
//     auto service = http::service_fn(hello);     // or a http::Router
//     co_await server->serve(service);            // until server->shutdown(...) is called
//     co_return 0;
//   }
//
// Design (measured and explained in docs/http.md):
// - one task per connection; it runs the handler inline (no hand-off between tasks), so a
//   request costs one coroutine frame from the recycling frame allocator and no malloc;
// - an idle keep-alive connection holds no buffer: it waits for readability, then borrows a read
//   buffer and its per-request state from the thread's pools, and gives them back once it has
//   answered everything it read;
// - pipelined requests are answered in order and their responses are written in one batch;
// - every wait has a deadline (header, body, idle, write), so a slow or silent client cannot
//   hold a connection: slowloris gets a 408 or a close;
// - at most max_connections connections; beyond that, accept waits (the kernel's backlog
//   queues), so overload degrades into latency, not into failure;
// - graceful shutdown: stop accepting, close idle connections, let in-flight requests finish
//   until the deadline, then cancel what is left;
// - TLS listeners (listen_tls) run the handshake inside the connection's task, as one more
//   non-blocking read, under the context's handshake_timeout; then the same HTTP/1.1 code
//   serves the TlsStream, and handlers see the session as Request::tls. A failed handshake is
//   counted (ServerStats::tls_handshake_failures) and closes the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "strata/http/access_log.hpp"
#include "strata/http/h1/connection_config.hpp"
#include "strata/http/h2/settings.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/service.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/net/tcp_listener.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"
#include "strata/tls/context.hpp"

namespace strata::http {

// A server's settings: the listeners' own, and everything each connection needs (deadlines,
// limits, Server header, access log: h1::ConnectionConfig, whose fields are used directly, as
// in `config.idle_timeout = 5s`).
struct ServerConfig : h1::ConnectionConfig {
  // Listening sockets on the address (SO_REUSEPORT when > 1); the kernel spreads connections
  // across them. Listener k is registered with worker k's reactor (strata::WorkerAffinity), so
  // its accept loop and the connections it accepts live on worker k. 0 = one per worker of the
  // runtime that calls bind().
  std::uint32_t listeners = 0;
  int backlog = 4096;
  // Open connections at most; accept() pauses at the limit.
  std::size_t max_connections = 100000;
  // TCP_NODELAY on accepted sockets (responses are written in one batch anyway).
  bool nodelay = true;
  // HTTP/2: h2c with prior knowledge on plaintext listeners, h2 by ALPN on TLS ones, with these
  // SETTINGS and limits (docs/http2.md).
  h2::Settings http2;
};

// Counters of one server (atomics; readable at any time).
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t connections_tls_active = 0;  // of the active ones: over TLS (handshake done)
  std::uint64_t connections_h2_active = 0;   // of the active ones: speaking HTTP/2 (h2 or h2c)
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;    // answered 4xx by the server itself (parse errors, limits)
  std::uint64_t timeouts = 0;        // connections closed by a deadline
  std::uint64_t tls_handshakes = 0;  // completed (full or resumed)
  std::uint64_t tls_resumed = 0;     // of which resumed from a ticket
  std::uint64_t tls_handshake_failures = 0;  // failed or timed out
};

namespace detail {
struct ServerState;
}

class Server {
 public:
  // Binds the listeners (call inside a runtime). Errors: address in use, permission, ...
  static Result<Server> bind(const net::SocketAddr& addr, ServerConfig config = {});

  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;
  ~Server();

  // The bound address (with the port the kernel picked for port 0).
  net::SocketAddr local_addr() const;

  // Also serves TLS on `addr` with `ctx` (as many listeners as bind() made; call before
  // serve()). Returns the bound address. A server may have any number of TLS addresses.
  Result<net::SocketAddr> listen_tls(const net::SocketAddr& addr, tls::ServerContext ctx);

  // Accepts and serves connections until shutdown() has completed. Call once.
  Task<Result<void>> serve(std::shared_ptr<Service> service);

  // Stops accepting, closes idle connections and lets in-flight requests finish; whatever is
  // still running after `grace` is cancelled. Callable from any thread, any number of times;
  // serve() returns when every connection is gone.
  void shutdown(Duration grace = std::chrono::seconds(10)) const;

  ServerStats stats() const;

 private:
  explicit Server(std::shared_ptr<detail::ServerState> s) noexcept;
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace strata::http
