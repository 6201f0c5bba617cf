// The prelude of the strata/http header examples (cmake/header_examples.py): the http layer and
// the net prelude below it.
#pragma once

#include <strata/http.hpp>
#include <strata/http/h2/server_connection.hpp>
#include <strata/http/sse.hpp>
#include <strata/http/ws.hpp>

#include "tls_prelude.hpp"

namespace strata_examples {
namespace h1 = strata::http::h1;
extern http::Request& req;                           // the request a handler received
Task<http::Response> show_user(http::Request& req);  // handlers a router dispatches to
Task<http::Response> create_user(http::Request& req);
}  // namespace strata_examples
namespace strata_examples {
namespace ws = strata::http::ws;
namespace sse = strata::http::sse;
// What the WebSocket examples (strata/http/ws) take as given.
extern std::span<const std::byte> bytes;  // bytes read from the connection
extern std::span<std::byte> payload;      // a frame's payload, in place
extern std::string_view piece;            // a piece of a text message
Task<void> session(ws::WebSocket& socket);
void fail_connection(ws::CloseCode code);
void close_with(ws::CloseCode code);
}  // namespace strata_examples
