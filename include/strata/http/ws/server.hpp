// ws::accept: the server side of the WebSocket opening handshake (RFC 6455 §4.2), as a
// handler's return value. It checks the upgrade request and returns either the 101 response
// whose upgrade task runs `session` with a ws::WebSocket, or the error response to send.
//
//   Task<http::Response> chat(http::Request& req) {
//     ws::AcceptOptions opts;
//     opts.protocols = {"chat.v2", "chat.v1"};         // ours, by preference
//     opts.check_origin = [](std::string_view o) { return o == "https://example.com"; };
//     opts.deflate.enabled = true;                     // permessage-deflate when offered
//     co_return ws::accept(req, [](ws::WebSocket& ws) -> Task<void> {
//       Result<ws::Message> m = co_await ws.receive();
//       if (m) (void)co_await ws.send_text("hello " + m->data);
//     }, opts);
//   }
//
// Checks, in order, with the response for each failure:
// - GET, HTTP/1.1 or later: 405 / 400;
// - `Upgrade: websocket` (426 with `Upgrade: websocket` and `Sec-WebSocket-Version: 13`),
//   `Connection: upgrade` (400);
// - `Sec-WebSocket-Version: 13` (426 with `Sec-WebSocket-Version: 13`);
// - `Sec-WebSocket-Key` is base64 of exactly 16 bytes (400);
// - check_origin, when set, approves the Origin value ("" when absent): else 403.
// The subprotocol is the first of `protocols` the client offered (none if no match: the
// client decides whether to go on). The session runs in the connection's task; when it returns
// the WebSocket is closed (1000 unless a close already happened) and the connection ends.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/ws/websocket.hpp"

namespace strata::http::ws {

using Session = std::function<Task<void>(WebSocket&)>;

struct AcceptOptions {
  Options options;
  std::vector<std::string> protocols;  // supported subprotocols, preferred first
  std::function<bool(std::string_view origin)> check_origin;  // empty: any origin
  DeflateOptions deflate;                                     // enabled: accept permessage-deflate
};

// Whether `req` asks for a WebSocket upgrade (Upgrade: websocket), valid or not.
bool is_upgrade_request(const Request& req) noexcept;

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455's GUID)).
std::string accept_key(std::string_view key);

// The response to a WebSocket upgrade request (see the top of this file).
Response accept(const Request& req, Session session, const AcceptOptions& opts);
Response accept(const Request& req, Session session);

}  // namespace strata::http::ws
