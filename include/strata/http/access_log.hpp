// http::AccessLogEntry: one line of a server's access log, handed to the configured callback
// after each response, whatever the protocol.
//
//   strata::http::ServerConfig config;                 // or an h1::ConnectionConfig
//   config.access_log = [](const strata::http::AccessLogEntry& e) {
//     std::printf("%s %s %u\n", e.peer.to_string().c_str(), std::string(e.request.path()).c_str(),
//                 e.status.as_u16());
//   };
#pragma once

#include <cstdint>

#include "strata/http/request.hpp"
#include "strata/http/status.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/rt/time.hpp"

namespace strata::http {

// References are valid only during the callback.
struct AccessLogEntry {
  const net::SocketAddr& peer;
  const Request& request;
  StatusCode status;
  std::uint64_t body_bytes;  // response body bytes written
  Duration elapsed;          // from the complete request head to the last byte written
};

}  // namespace strata::http
