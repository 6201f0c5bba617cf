// HTTP/1.1 message heads on the wire: response heads (server) and request heads (client),
// appended to a caller-owned std::string whose capacity is reused from message to message, so
// that serializing allocates nothing in steady state.
//
//   http::Response resp = http::Response::text("hello");
//   std::string out;                                          // kept per connection
//   h1::Framing f = h1::response_framing(resp, /*head_request=*/false, http::Version::http_1_1);
//   h1::append_response_head(out, resp, f, {.keep_alive = true, .server = "strata"});
//   out.append(resp.body.bytes());                            // small bodies: one write
//
// The status line comes pre-built (status_line()), the Date value from a per-thread cache
// refreshed once per second (cached_date()), numbers through std::to_chars: no formatting
// library, no locale, no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"

namespace strata::http::h1 {

// How a body is delimited on the wire.
struct Framing {
  enum class Kind : std::uint8_t {
    none,     // no body bytes at all (HEAD response, 1xx/204/304, bodiless request)
    length,   // Content-Length: `length`
    chunked,  // Transfer-Encoding: chunked
    close,    // HTTP/1.0 response of unknown length: the end of the connection ends it
  };
  Kind kind = Kind::none;
  std::uint64_t length = 0;
  // A HEAD response (or 304) still announces the length the GET body would have.
  bool announce_length_only = false;
};

// The framing of a response to a request (HEAD: head_request) of version `v`.
Framing response_framing(const Response& r, bool head_request, Version v);
// The framing of a client request: length for whole bytes, chunked for streams of unknown
// length, none for an empty body of a method that defines no body semantics (GET, HEAD, ...).
Framing request_framing(const Request& r);

struct ResponseHeadOptions {
  bool keep_alive = true;          // false: "Connection: close"
  bool http10_keep_alive = false;  // an HTTP/1.0 client asked for keep-alive: say so
  std::string_view server;         // Server field value ("" = none)
};

// Appends status line, Date (unless the response has one), Server, the response's fields
// (minus Content-Length / Transfer-Encoding / Connection, which come from `f` and `o`), the
// framing field, Connection, and the empty line.
void append_response_head(std::string& out, const Response& r, const Framing& f,
                          const ResponseHeadOptions& o);

// Appends request line, Host (unless present), the request's fields (framing fields replaced by
// `f`'s) and the empty line. `target` is what goes on the request line (origin form for
// servers, absolute form for proxies).
void append_request_head(std::string& out, const Request& r, std::string_view target,
                         std::string_view host, const Framing& f);

// "<hex size>\r\n" before a chunk of `size` bytes (size > 0).
void append_chunk_header(std::string& out, std::uint64_t size);
// The end of a chunked body without trailers.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";
// The end of a chunked body with the body's trailer fields, if any (RFC 9112 §7.1.2); fields
// that must not be trailers (framing, Host, ...) are left out.
void append_last_chunk(std::string& out, const Headers* trailers);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), regenerated at most
// once per second per thread; valid until the calling thread's next call.
std::string_view cached_date() noexcept;

}  // namespace strata::http::h1
