// ws::connect: a WebSocket client (RFC 6455 §4.1) over TCP (ws://) or TLS (wss://), or over
// any stream the caller connected; the same ws::WebSocket as the server side.
//
//   ws::ClientOptions opts;
//   opts.deflate.enabled = true;                               // offer permessage-deflate
//   Result<ws::WebSocket> ws = co_await ws::connect("wss://example.com/feed", opts);
//   if (!ws) co_return fail(ws.error());
//   (void)co_await ws->send_text("subscribe");
//   Result<ws::Message> m = co_await ws->receive();
//   (void)co_await ws->close();
//
// The handshake (DNS, TCP, TLS, HTTP exchange) has one deadline, handshake_timeout (10 s).
// The response must be a 101 with `Upgrade: websocket`, `Connection: upgrade`, the right
// Sec-WebSocket-Accept, a subprotocol among those offered (or none) and only extensions that
// were offered; anything else is Errc::invalid_input (a non-101 status: Errc::invalid_input
// with the status in the context). wss:// uses opts.tls, or a default context that verifies
// the server against the system's CAs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/http/ws/websocket.hpp"
#include "strata/tls/context.hpp"

namespace strata::http::ws {

struct ClientOptions {
  Options options;
  std::vector<std::string> protocols;                        // offered subprotocols
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (Origin, ...)
  DeflateOptions deflate;                                    // enabled: offer it
  const tls::ClientContext* tls = nullptr;                   // wss://; null: system CAs
  Duration handshake_timeout = std::chrono::seconds(10);
};

// Connects to a ws:// or wss:// URL.
[[nodiscard]] Task<Result<WebSocket>> connect(std::string url, ClientOptions opts);
[[nodiscard]] Task<Result<WebSocket>> connect(std::string url);

namespace detail {
Task<Result<WebSocket>> client_handshake(std::unique_ptr<io::DynStream> t, std::string host,
                                         std::string target, ClientOptions opts);
}  // namespace detail

// Runs the handshake over an already connected stream (owned by the WebSocket from then on).
// `host` is the Host field's value, `target` the request target ("/chat?room=1").
template <class S>
requires io::AsyncRead<S> && io::AsyncWrite<S> Task<Result<WebSocket>> connect(S stream,
                                                                               std::string host,
                                                                               std::string target,
                                                                               ClientOptions opts) {
  return detail::client_handshake(io::make_dyn_stream(std::move(stream)), std::move(host),
                                  std::move(target), std::move(opts));
}

}  // namespace strata::http::ws
