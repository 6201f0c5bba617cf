// The chunked transfer coding (RFC 9112 §7.1): an incremental, zero-copy decoder.
//
// Feed it the bytes after a head whose body() is BodyKind::chunked, in slices of any size (one
// byte at a time works). Each decode() call consumes framing bytes and returns at most one slice
// of chunk data, a view into the input; it never copies body bytes.
//
//   std::string_view in = "5\r\nhello\r\n0\r\n\r\n";        // the bytes read so far
//   strata::http::h1::ChunkedDecoder dec;                      // Limits{} defaults
//   while (!in.empty()) {
//     h1::ChunkedStep s = dec.decode(in);
//     in.remove_prefix(s.consumed);
//     if (s.status == h1::ChunkedStatus::data) use(s.data);
//     else if (s.status == h1::ChunkedStatus::done) break;  // `in` holds the next message
//     else if (s.status == h1::ChunkedStatus::error) co_return h1::status_for(s.error);
//   }                                                       // need_more: read, call again
//
// Strictness: chunk-size is 1-16 hex digits (no sign, no "0x", no whitespace before it);
// chunk-ext must follow the grammar `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted ) ] )`
// and is skipped, bounded (with any BWS before it) by Limits::max_chunk_ext_bytes; every line ends
// in CRLF (bare CR and bare LF are errors); chunk data must be followed by CRLF. The trailer
// section is parsed like header fields, bounded by Limits::max_trailer_bytes and max_trailers;
// Content-Length and Transfer-Encoding are refused in it. Trailer bytes may arrive split across
// calls, so they are copied into storage the decoder owns (allocated only when a message has
// trailers); trailers() returns views into it, valid until reset() or destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/http/h1/limits.hpp"
#include "strata/http/h1/parser.hpp"

namespace strata::http::h1 {

// What one decode() call produced.
enum class ChunkedStatus : std::uint8_t {
  data,       // `data` holds chunk bytes (a view into the input)
  need_more,  // all input consumed, nothing to return: feed more bytes
  done,       // the last chunk and the trailer section ended; bytes after `consumed` are not ours
  error,      // malformed or over a limit: see `error`; the message cannot be framed
};

// The result of one decode() call. `consumed` counts framing and data bytes taken from the input.
struct ChunkedStep {
  ChunkedStatus status = ChunkedStatus::need_more;
  ParseError error = ParseError::none;
  std::size_t consumed = 0;
  std::string_view data;
};

// Decodes one chunked body; reset() makes it ready for the next one.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const Limits& limits = {}) noexcept : limits_(limits) {}

  // Consumes bytes of `in` up to and including the next data slice, the end of the body, or an
  // error. After done or error every further call returns the same status and consumes nothing.
  ChunkedStep decode(std::string_view in) noexcept;

  bool done() const noexcept { return state_ == State::done; }
  // Total chunk-data bytes returned so far.
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }
  // The trailer fields, in order; meaningful once done().
  std::span<const HeaderField> trailers() const noexcept { return trailers_; }
  void reset() noexcept;

 private:
  enum class State : std::uint8_t {
    size_first,       // the first hex digit of a chunk-size
    size,             // more hex digits, ';', BWS or CR
    size_ws,          // BWS after the size: only ';' may follow
    ext_pre_name,     // BWS after ';'
    ext_name,         // chunk-ext-name
    ext_post_name,    // BWS after a name: '=' or ';'
    ext_pre_value,    // BWS after '='
    ext_token,        // token value
    ext_quoted,       // inside a quoted-string
    ext_escape,       // after '\' in a quoted-string
    ext_post_quoted,  // after the closing quote
    ext_post_value,   // BWS after a value: only ';' may follow
    size_lf,          // the LF ending a chunk-size line
    data,             // chunk data, remaining_ bytes left
    data_cr,          // the CR after chunk data
    data_lf,          // the LF after chunk data
    trailer_start,    // start of a trailer field line, or CR of the final CRLF
    trailer_line,     // inside a trailer field line
    trailer_lf,       // the LF ending a trailer field line
    final_lf,         // the LF of the final CRLF
    done,
    error,
  };

  ChunkedStep fail(ParseError e, std::size_t consumed) noexcept;
  ParseError end_trailer_line() noexcept;

  Limits limits_;
  State state_ = State::size_first;
  ParseError error_ = ParseError::none;
  std::uint8_t size_digits_ = 0;
  std::size_t ext_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // while reading a size: the size so far
  std::uint64_t body_bytes_ = 0;
  std::size_t trailer_total_ = 0;  // bytes of the trailer section so far, CRLFs included
  std::size_t line_start_ = 0;     // offset of the current trailer line in trailer_bytes_
  std::string trailer_bytes_;      // the trailer field lines, each ended by LF instead of CRLF
  std::vector<HeaderField> trailers_;
};

}  // namespace strata::http::h1
