// h1::BodyDecoder: the body of one HTTP/1.1 message, decoded from buffered bytes, without I/O.
// The server's request body and the client's response body both read through it (hyper's
// proto/h1/decode.rs): Content-Length countdown, chunked (ChunkedDecoder, with trailers) or
// close-delimited, and the size limit.
//
//   std::string_view in = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
//   h1::RequestParser parser;
//   h1::RequestHead head;
//   in.remove_prefix(parser.parse(in, head).consumed);  // `in` now holds the buffered body
//   h1::BodyDecoder dec(h1::Limits{});
//   dec.start(head.body(), head.content_length.value_or(0), /*max_bytes=*/1 << 20);
//   for (;;) {
//     h1::BodyStep s = dec.decode(in);                   // data is a view into the input
//     in.remove_prefix(s.consumed);
//     if (s.status == h1::BodyStatus::need_more) s = dec.end_of_input();   // or read more
//     if (s.status == h1::BodyStatus::data) use(s.data);
//     else if (s.status == h1::BodyStatus::done) break;    // the rest belongs to the next message
//     else if (s.status == h1::BodyStatus::error) co_return s.error;
//   }
//
// Errors (BodyStatus::error): a ParseError code for bad chunked framing (status_for() names the
// status), std::errc::message_size past max_bytes, Errc::closed for a body cut short by the
// end of input. After an error or the end every call returns the same and consumes nothing.
// Allocation: none, except trailer storage inside ChunkedDecoder when a message has trailers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "strata/http/h1/chunked.hpp"
#include "strata/http/h1/limits.hpp"
#include "strata/http/h1/parser.hpp"

namespace strata::http::h1 {

// What one decode() call produced.
enum class BodyStatus : std::uint8_t {
  data,       // `data` holds body bytes (a view into the input)
  need_more,  // the input is used up: read more, or call end_of_input() at EOF
  done,       // the body ended; input after `consumed` is not part of it
  error,      // see `error`
};

// The result of one decode() call; `consumed` counts framing and data bytes.
struct BodyStep {
  BodyStatus status = BodyStatus::need_more;
  std::size_t consumed = 0;
  std::string_view data;
  std::error_code error;
};

// Decodes one body at a time; start() begins the next.
class BodyDecoder {
 public:
  explicit BodyDecoder(const Limits& limits = {}) noexcept : chunked_(limits) {}

  // Begins a body framed as `kind` (content_length: `length` bytes) of at most `max_bytes`
  // bytes (0 = no limit). BodyKind::none is a body that is already done.
  void start(BodyKind kind, std::uint64_t length, std::uint64_t max_bytes) noexcept;
  // Consumes framing and at most one slice of data from `in`.
  BodyStep decode(std::string_view in) noexcept;
  // The input ended (the peer closed): done for a close-delimited body, else an error.
  BodyStep end_of_input() noexcept;

  BodyKind kind() const noexcept { return kind_; }
  bool active() const noexcept { return kind_ != BodyKind::none; }
  bool finished() const noexcept { return state_ == State::done; }
  bool failed() const noexcept { return state_ == State::failed; }
  // Bytes left if known exactly (Content-Length minus what was decoded), else nullopt.
  std::optional<std::uint64_t> size_hint() const noexcept;
  // Data bytes returned so far.
  std::uint64_t total() const noexcept { return total_; }
  // The trailer fields of a chunked body, once finished(); views valid until start().
  std::span<const HeaderField> trailers() const noexcept { return chunked_.trailers(); }
  // The error of a failed body.
  std::error_code error() const noexcept { return error_; }

 private:
  enum class State : std::uint8_t { reading, done, failed };
  BodyStep fail(std::error_code e, std::size_t consumed) noexcept;
  BodyStep deliver(std::string_view data, std::size_t consumed) noexcept;

  ChunkedDecoder chunked_;
  BodyKind kind_ = BodyKind::none;
  State state_ = State::done;
  std::uint64_t remaining_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t max_bytes_ = 0;
  std::error_code error_;
};

}  // namespace strata::http::h1
