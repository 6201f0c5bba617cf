// ws::Utf8Validator: incremental UTF-8 validation (RFC 3629) for WebSocket text messages,
// which may be split anywhere, even inside a character, across frames and reads.
//
//   ws::Utf8Validator v;
//   if (!v.feed(piece)) close_with(ws::CloseCode::invalid_payload);   // at the bad byte
//   // ... more pieces, then at the end of the message:
//   if (!v.complete()) close_with(ws::CloseCode::invalid_payload);    // ends mid-character
//
// feed() fails as soon as a byte cannot continue any valid UTF-8 text (overlong forms,
// surrogates, code points above U+10FFFF, stray continuation bytes), so a connection fails at
// the first bad byte, not at the end of the message (RFC 6455 §8.1). ASCII runs are checked
// eight bytes at a time. No allocation; the state is three bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace strata::http::ws {

class Utf8Validator {
 public:
  // Validates the next bytes; false from the first invalid byte on (and for every later call).
  bool feed(std::span<const std::byte> bytes) noexcept;
  bool feed(std::string_view s) noexcept { return feed(std::as_bytes(std::span(s))); }
  // Whether everything fed so far is valid and ends on a character boundary.
  bool complete() const noexcept { return need_ == 0 && !failed_; }
  bool failed() const noexcept { return failed_; }
  void reset() noexcept { *this = {}; }

 private:
  std::uint8_t need_ = 0;   // continuation bytes still expected
  std::uint8_t lo_ = 0x80;  // the range the next continuation byte must be in
  std::uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

// Whether `s` is complete, valid UTF-8.
inline bool is_valid_utf8(std::string_view s) noexcept {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

}  // namespace strata::http::ws
