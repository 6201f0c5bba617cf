// h1::ConnectionConfig: what one HTTP/1.1 server connection needs to know — its deadlines,
// limits and the fields it writes. http::ServerConfig extends it with the listener settings;
// code that serves a stream itself with h1::ServerConnection fills one directly.
//
//   strata::http::h1::ConnectionConfig cfg;
//   cfg.idle_timeout = std::chrono::seconds(5);
//   cfg.max_body_bytes = 1 << 20;          // larger request bodies: 413
//
// Every wait has a deadline, so a slow or silent client cannot hold a connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "strata/http/access_log.hpp"
#include "strata/http/h1/limits.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h1 {

struct ConnectionConfig {
  // Deadlines: a request head must arrive within header_timeout of its first byte (408 + close);
  // a keep-alive connection may sit idle for idle_timeout; each body read and each write must
  // make progress within body_timeout (408) / write_timeout.
  Duration header_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(60);
  Duration body_timeout = std::chrono::seconds(30);
  Duration write_timeout = std::chrono::seconds(30);
  // After the server closes a connection that may still be sending (an error, or a response
  // given before the request body was read), it reads and discards input for at most this
  // long, so that the client sees the response and not a connection reset.
  Duration linger_timeout = std::chrono::seconds(2);
  // Head limits (431 / 414 / 400), and the largest request body accepted (413).
  Limits limits{};
  std::uint64_t max_body_bytes = 64ull << 20;
  // Unread request body a connection discards after a response to stay keep-alive; beyond it
  // the connection is closed instead (like hyper/Go).
  std::uint64_t max_drain_bytes = 256 * 1024;
  // The value of the Server header ("" = none).
  std::string server_header;
  // An Alt-Svc field added to every response that has none ("" = none), e.g.
  // `h3=":8443"; ma=86400` to advertise an HTTP/3 endpoint (h3::Server) on that UDP port.
  std::string alt_svc;
  // Called after each response (from the connection's task; keep it cheap).
  std::function<void(const AccessLogEntry&)> access_log;
};

}  // namespace strata::http::h1
