// Bounds for the HTTP/1.1 parsers (strata/http/h1): how many bytes and fields a peer may send
// before the parser gives up with a typed error instead of buffering more.
//
//   strata::http::h1::Limits limits;            // defaults suit a public server
//   limits.max_headers = 50;                    // tighter for an internal service
//   strata::http::h1::RequestParser parser(limits);
//
// Every limit is enforced while the head is still incomplete, so a peer that never finishes a
// head cannot make the caller buffer more than max_head_bytes.
#pragma once

#include <cstddef>

namespace strata::http::h1 {

// Limits of one message head (request or response) and of a chunked body's framing.
struct Limits {
  // The most header fields a head may hold; at most max_header_capacity (larger is clamped).
  std::size_t max_headers = 100;
  // The longest request-line / status-line, CRLF excluded; a longer request-line is 414.
  std::size_t max_start_line = 8 * 1024;
  // The longest head (start line, fields and the final CRLF); beyond it: 431.
  std::size_t max_head_bytes = 64 * 1024;
  // Empty lines (CRLF) tolerated before a request-line (RFC 9112 §2.2 says "at least one").
  std::size_t max_leading_empty_lines = 4;
  // The longest chunk-ext of one chunk (from the first ';' to the CR).
  std::size_t max_chunk_ext_bytes = 1024;
  // The longest trailer section of a chunked body (field lines and their CRLFs).
  std::size_t max_trailer_bytes = 8 * 1024;
  // The most trailer fields of a chunked body.
  std::size_t max_trailers = 32;
};

// The compile-time capacity of a head's field array (RequestHead / ResponseHead hold it inline
// so that parsing allocates nothing).
inline constexpr std::size_t max_header_capacity = 128;

}  // namespace strata::http::h1
