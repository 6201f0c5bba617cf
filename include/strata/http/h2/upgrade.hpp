// h2::Upgrade: an HTTP/1.1 request that asked to continue as HTTP/2 over cleartext
// (`Upgrade: h2c`, RFC 7540 §3.2; RFC 9113 deprecates it, curl --http2 on http:// still uses it).
//
//   auto payload = strata::http::h2::decode_http2_settings("AAMAAABkAAQAoAAAAAIAAAAA");
//   bool upgradable = payload.has_value();   // 3 valid entries: the 101 can be sent
//
// A plaintext http::Server answers such a request with 101 Switching Protocols when its
// HTTP2-Settings field is valid and its body is at most `upgrade_body_limit` bytes with a
// Content-Length (a chunked body or a larger one: the request is served as HTTP/1.1, which the
// RFC allows). The request then becomes stream 1 of the HTTP/2 connection. TLS connections never
// upgrade (they negotiate h2 by ALPN).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "strata/http/request.hpp"

namespace strata::http::h2 {

// The largest request body an upgrade waits for (read whole before the 101 is written).
inline constexpr std::size_t upgrade_body_limit = 64 * 1024;

// What the HTTP/1.1 connection hands to the HTTP/2 one.
struct Upgrade {
  Request request;       // owned: method, target, fields (the body is `body`)
  std::string body;      // the whole request body
  std::string settings;  // the decoded HTTP2-Settings payload (a SETTINGS frame's payload)
  std::string rest;      // bytes read after the request (the start of the client preface)
};

// Decodes an HTTP2-Settings field (base64url, RFC 7540 §3.2.1) and checks its entries as a
// SETTINGS frame's (RFC 9113 §6.5.2: ENABLE_PUSH 0 or 1, INITIAL_WINDOW_SIZE at most 2^31-1,
// MAX_FRAME_SIZE within [2^14, 2^24-1]); nullopt if it is not a valid payload.
std::optional<std::string> decode_http2_settings(std::string_view field);

// True if a request's Upgrade field offers "h2c" and its Connection field lists both "upgrade"
// and "http2-settings" (tokens, any case).
bool wants_h2c(std::string_view upgrade, std::string_view connection);

}  // namespace strata::http::h2
