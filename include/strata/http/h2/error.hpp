// h2::ErrorCode: the HTTP/2 error codes (RFC 9113 §7) as std::error_code values, category
// "strata.http.h2". A stream reset (RST_STREAM) or a connection ended (GOAWAY) by the peer, or a
// protocol violation we detected, is reported with its code.
//
//   Error e(http::h2::make_error_code(http::h2::ErrorCode::refused_stream), "http2 stream");
//   bool retry_safe = e == http::h2::ErrorCode::refused_stream;   // never processed by the peer
#pragma once

#include <cstdint>
#include <system_error>

#include "strata/rt/error.hpp"

namespace strata::http::h2 {

enum class ErrorCode : std::uint32_t {
  no_error = 0,              // graceful end
  protocol_error = 1,        // the peer broke the protocol (malformed frames, bad preface)
  internal_error = 2,        // the peer failed unexpectedly
  flow_control_error = 3,    // a flow-control window was exceeded
  settings_timeout = 4,      // SETTINGS were not acknowledged in time
  stream_closed = 5,         // a frame arrived on a half-closed stream
  frame_size_error = 6,      // a frame of an invalid size
  refused_stream = 7,        // the stream was refused before any processing: safe to retry
  cancel = 8,                // the stream is no longer needed
  compression_error = 9,     // the HPACK state broke
  connect_error = 10,        // a CONNECT tunnel failed
  enhance_your_calm = 11,    // the peer considers us abusive
  inadequate_security = 12,  // TLS parameters below RFC 9113 §9.2's
  http_1_1_required = 13,    // the peer wants HTTP/1.1 for this request
};

// Category "strata.http.h2".
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(ErrorCode e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace strata::http::h2

template <>
struct std::is_error_code_enum<strata::http::h2::ErrorCode> : std::true_type {};

namespace strata::http::h2 {
inline bool operator==(const Error& e, ErrorCode c) noexcept {
  return e.code() == make_error_code(c);
}
}  // namespace strata::http::h2
