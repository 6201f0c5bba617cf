// HTTP/1.1 message heads (RFC 9112 §2-§6, RFC 9110 §5): a strict, zero-copy, incremental parser
// for request heads (server side) and response heads (client side).
//
// The parser reads the caller's buffer and fills a RequestHead / ResponseHead whose string_views
// point into that buffer: nothing is copied and nothing is allocated. The caller re-calls it with
// a longer buffer (same first byte, more bytes; the buffer may move) until it reports Complete
// with the number of bytes the head used; the body, or the next pipelined request, starts there.
//
//   std::string_view buffered = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";   // the bytes read so far
//   strata::http::h1::RequestParser parser;            // one per connection; Limits{} defaults
//   strata::http::h1::RequestHead head;
//   h1::ParseResult r = parser.parse(buffered, head);
//   if (r.is_incomplete()) { /* read more, call again */ }
//   else if (r.is_error()) co_return h1::status_for(r.error);   // answer it, then close
//   else use(head.method, head.target, buffered.substr(r.consumed));   // the body starts here
//
// Strictness (each rule has its own ParseError, so a server can log why it refused):
//   - lines end in CRLF; a bare CR or a bare LF anywhere in the head is an error (RFC 9112 §2.2
//     lets a recipient accept a bare LF; we do not, because lenient line endings are a known
//     request-smuggling lever between a proxy and a server);
//   - up to Limits::max_leading_empty_lines CRLFs before a request-line are skipped (§2.2);
//   - method and field names are tokens; the request-target is visible ASCII (0x21-0x7E); field
//     values are VCHAR / SP / HTAB / obs-text (0x80-0xFF), trimmed of OWS; obs-fold, whitespace
//     before the colon and empty names are errors;
//   - an origin-form target ("/path?query", nearly every request) is also checked against the
//     URI grammar (strata/http/uri.hpp) in the same scan and marked RequestHead::origin_form, so
//     a server need not parse it again; any other target is left for Uri::parse_target();
//   - only HTTP/1.0 and HTTP/1.1 are accepted; any other well-formed HTTP/x.y is 505;
//   - Content-Length is 1*DIGIT without sign and fits 64 bits; a second Content-Length field is
//     an error even with the same value, and so is a list ("5, 5") (§6.3 allows rejecting);
//   - Transfer-Encoding with Content-Length, in an HTTP/1.0 message, with chunked twice or with
//     parameters is an error; in a request chunked must be last (400, §6.3); any coding besides
//     chunked is 501, since chunked is the only one we decode (§6.1);
//   - an HTTP/1.1 request needs exactly one Host field (§3.2);
//   - limits are checked in byte order as the bytes arrive, so the verdict on an input does not
//     depend on how it was split across calls;
//   - responses: the status is 100-599; "HTTP/1.1 200" without a reason (and without its SP) is
//     accepted; no empty lines may precede the status-line.
//
// Thread safety: a parser is a value owned by one connection; parsing touches nothing shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "strata/http/h1/limits.hpp"

namespace strata::http::h1 {

// Why a head or a chunked body was refused. status_for() names the status a server answers.
enum class ParseError : std::uint8_t {
  none = 0,
  // start line
  invalid_method,         // method is not a token followed by one SP
  invalid_target,         // request-target empty, or holds SP, controls or non-ASCII
  uri_too_long,           // request-line longer than Limits::max_start_line (414)
  invalid_version,        // not "HTTP/" DIGIT "." DIGIT where the grammar wants it
  version_not_supported,  // well-formed but neither HTTP/1.0 nor HTTP/1.1 (505)
  invalid_status_line,    // response: bad status code or reason phrase
  start_line_too_long,    // response: status-line longer than Limits::max_start_line
  too_many_empty_lines,   // more than Limits::max_leading_empty_lines before the request-line
  // line endings
  bare_cr,  // CR not followed by LF
  bare_lf,  // LF not preceded by CR
  // field lines
  obs_fold,                 // a field line starting with SP or HTAB (RFC 9112 §5.2)
  whitespace_before_colon,  // "Name :" (RFC 9112 §5.1)
  invalid_field_name,       // empty, or not a token
  invalid_field_value,      // a control character (other than HTAB) or DEL in a value
  too_many_fields,          // more than Limits::max_headers fields (431)
  head_too_large,           // head longer than Limits::max_head_bytes (431)
  missing_host,             // HTTP/1.1 request without Host
  duplicate_host,           // more than one Host field
  // framing
  invalid_content_length,    // not 1*DIGIT, signed, a list, or more than 2^64-1
  duplicate_content_length,  // a second Content-Length field
  content_length_with_transfer_encoding,
  invalid_transfer_encoding,  // malformed list, parameters, no coding, or chunked twice
  chunked_not_final,          // request whose last transfer coding is not chunked
  unknown_transfer_coding,    // a coding we do not implement (501)
  transfer_encoding_in_http10,
  // chunked body (strata/http/h1/chunked.hpp)
  invalid_chunk_size,       // not 1*HEXDIG where a chunk-size belongs
  chunk_size_too_long,      // more than 16 hex digits
  invalid_chunk_ext,        // chunk-ext not BWS ";" BWS token [BWS "=" BWS (token / quoted)]
  chunk_ext_too_long,       // longer than Limits::max_chunk_ext_bytes
  missing_chunk_crlf,       // chunk data not followed by CRLF
  trailer_too_large,        // trailer section longer than Limits::max_trailer_bytes
  too_many_trailers,        // more than Limits::max_trailers fields
  forbidden_trailer_field,  // Content-Length or Transfer-Encoding in a trailer
};

// The status a server answers for a refused request: 400, 414, 431, 501 or 505.
// (docs/http.md has the table; tests/http/server_conformance_test.cpp checks it on the wire.)
int status_for(ParseError e) noexcept;
// A short English description ("bare LF in head").
std::string_view describe(ParseError e) noexcept;
// The category of ParseError as std::error_code ("strata.http.h1"), for strata::Error.
const std::error_category& h1_category() noexcept;
inline std::error_code make_error_code(ParseError e) noexcept {
  return {static_cast<int>(e), h1_category()};
}

// What a parse call concluded.
enum class ParseStatus : std::uint8_t { incomplete, complete, error };

// The outcome of one parse call: Complete with the bytes the head used, Incomplete, or Error.
struct ParseResult {
  ParseStatus status = ParseStatus::incomplete;
  ParseError error = ParseError::none;
  std::size_t consumed = 0;  // complete: bytes of the head, final CRLF and leading CRLFs included

  bool is_complete() const noexcept { return status == ParseStatus::complete; }
  bool is_incomplete() const noexcept { return status == ParseStatus::incomplete; }
  bool is_error() const noexcept { return status == ParseStatus::error; }
};

// One field line: views into the parsed buffer; the value has no leading or trailing OWS.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// The field lines of a head, in order, in a fixed inline array (no allocation).
class HeaderFields {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const HeaderField& operator[](std::size_t i) const noexcept { return fields_[i]; }
  const HeaderField* begin() const noexcept { return fields_.data(); }
  const HeaderField* end() const noexcept { return fields_.data() + size_; }
  // The value of the first field named `name` (ASCII case-insensitive), if any.
  std::optional<std::string_view> find(std::string_view name) const noexcept;

  void clear() noexcept { size_ = 0; }
  // Appends a field; false when max_header_capacity fields are already held.
  bool push(HeaderField f) noexcept {
    if (size_ == fields_.size()) return false;
    fields_[size_++] = f;
    return true;
  }

 private:
  std::array<HeaderField, max_header_capacity> fields_;
  std::size_t size_ = 0;
};

// How the body of a message is delimited (RFC 9112 §6.3).
enum class BodyKind : std::uint8_t {
  none,             // no body (request without CL/TE; HEAD/1xx/204/304 responses, CONNECT 2xx)
  content_length,   // exactly content_length bytes
  chunked,          // chunked transfer coding: feed a ChunkedDecoder
  close_delimited,  // response only: the body ends when the server closes the connection
};

// A parsed request head; every view points into the buffer given to the parser. It holds the
// field array inline (about 4 KiB): keep one per worker or on the stack, not per idle connection.
struct RequestHead {
  std::string_view method;  // a token, case-sensitive ("GET")
  std::string_view target;  // request-target as sent ("/a?b", "*", "host:443", "http://h/")
  // The target is a valid origin-form by Uri's grammar (Uri::origin_form_length()), checked
  // while the request line was scanned; false for other forms and for targets Uri would refuse.
  bool origin_form = false;
  std::uint8_t version_major = 1;
  std::uint8_t version_minor = 1;
  HeaderFields headers;
  std::string_view host;                        // the Host value (empty when absent)
  std::optional<std::uint64_t> content_length;  // a valid, single Content-Length
  bool has_host = false;
  bool chunked = false;          // Transfer-Encoding present (its last coding is chunked)
  bool keep_alive = true;        // version default, overridden by Connection close/keep-alive
  bool expect_continue = false;  // HTTP/1.1 and "Expect: 100-continue"
  bool upgrade = false;          // Connection: upgrade and an Upgrade field

  BodyKind body() const noexcept {
    if (chunked) return BodyKind::chunked;
    return content_length ? BodyKind::content_length : BodyKind::none;
  }
};

// What the client knows about the request a response answers (it decides the body framing).
struct ResponseContext {
  bool head_request = false;     // the request was HEAD: the response has no body
  bool connect_request = false;  // the request was CONNECT: a 2xx response starts a tunnel
};

// A parsed response head; every view points into the buffer given to the parser.
struct ResponseHead {
  std::uint8_t version_major = 1;
  std::uint8_t version_minor = 1;
  std::uint16_t status = 0;  // 100-599
  std::string_view reason;   // may be empty
  HeaderFields headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;    // Transfer-Encoding present and its last coding is chunked
  bool keep_alive = true;  // false also when the body is close-delimited
  bool upgrade = false;    // Connection: upgrade and an Upgrade field
  BodyKind body = BodyKind::none;
};

namespace detail {
// Where the end-of-head search resumes: every LF before `scanned` was checked (preceded by CR,
// not the end of the head); `line_end` is the offset just past the start line's LF, 0 if unseen.
struct HeadScan {
  std::size_t scanned = 0;
  std::size_t line_end = 0;
};
}  // namespace detail

// Parses request heads, resuming the end-of-head search where the previous call stopped. After
// Complete or Error the next call starts a new head (pipelining: pass the bytes after consumed).
class RequestParser {
 public:
  explicit RequestParser(const Limits& limits = {}) noexcept : limits_(limits) {}

  // `buf` starts at the first byte of the request (or of its leading CRLFs); on a repeated call
  // it must hold the same bytes as before plus more. `out` is meaningful only on Complete.
  ParseResult parse(std::string_view buf, RequestHead& out) noexcept;
  // Forgets a partial scan (e.g. the caller discarded its buffer).
  void reset() noexcept { scan_ = {}; }
  const Limits& limits() const noexcept { return limits_; }

 private:
  Limits limits_;
  detail::HeadScan scan_;
};

// Parses response heads; see RequestParser.
class ResponseParser {
 public:
  explicit ResponseParser(const Limits& limits = {}) noexcept : limits_(limits) {}

  ParseResult parse(std::string_view buf, ResponseHead& out, ResponseContext ctx = {}) noexcept;
  void reset() noexcept { scan_ = {}; }
  const Limits& limits() const noexcept { return limits_; }

 private:
  Limits limits_;
  detail::HeadScan scan_;
};

// One-shot forms (no resume state): the same result as a fresh parser.
ParseResult parse_request(std::string_view buf, const Limits& limits, RequestHead& out) noexcept;
ParseResult parse_response(std::string_view buf, const Limits& limits, ResponseHead& out,
                           ResponseContext ctx = {}) noexcept;

namespace detail {

// Character classes of RFC 9110 §5.6 / RFC 9112, one table lookup per byte.
enum : std::uint8_t {
  k_tchar = 1,        // token character
  k_field_vchar = 2,  // VCHAR / obs-text / SP / HTAB: may appear in a field value
  k_target = 4,       // request-target: 0x21-0x7E
  k_ows = 8,          // SP / HTAB
  k_qdtext = 16,      // quoted-string text (HTAB, SP, 0x21, 0x23-0x5B, 0x5D-0x7E, obs-text)
};

struct CharTable {
  std::array<std::uint8_t, 256> cls{};
  constexpr CharTable() {
    constexpr std::string_view extra_tchar = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
      std::uint8_t v = 0;
      const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (alnum || extra_tchar.find(char(c)) != std::string_view::npos) v |= k_tchar;
      if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') v |= k_field_vchar;
      if (c >= 0x21 && c <= 0x7e) v |= k_target;
      if (c == ' ' || c == '\t') v |= k_ows;
      if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
          (c >= 0x5d && c <= 0x7e) || c >= 0x80)
        v |= k_qdtext;
      cls[std::size_t(c)] = v;
    }
  }
};
inline constexpr CharTable char_table{};

inline bool is(char c, std::uint8_t cls) noexcept {
  return (char_table.cls[static_cast<unsigned char>(c)] & cls) != 0;
}

// ASCII case-insensitive equality; `lower` must already be lower case.
inline bool iequals_lower(std::string_view s, std::string_view lower) noexcept {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char l = (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c;
    if (l != lower[i]) return false;
  }
  return true;
}

// Parses one field line without its CRLF ("Name: value") into views of `line`.
ParseError parse_field_line(std::string_view line, HeaderField& out) noexcept;

}  // namespace detail
}  // namespace strata::http::h1

template <>
struct std::is_error_code_enum<strata::http::h1::ParseError> : std::true_type {};
