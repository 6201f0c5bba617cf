// HTTP-date (RFC 9110 §5.6.7): formatting IMF-fixdate without allocation or locale, and strict
// parsing of the three formats a recipient must accept.
//
//   char buf[strata::http::http_date_len];
//   strata::http::format_http_date(784111777, buf);        // "Sun, 06 Nov 1994 08:49:37 GMT"
//   auto t = strata::http::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT");   // 784111777
//
//   strata::http::DateCache cache;                         // one per worker
//   strata::http::Headers headers;
//   headers.append_view("date", cache.now());              // reformats once per second
//
// Times are Unix seconds (int64, UTC, leap seconds not counted). Formatting covers years
// 0000-9999 and clamps anything outside that range to its ends, so it always writes exactly
// http_date_len bytes. Parsing is strict: exact spacing, case-sensitive day and month names
// ("GMT" required), field ranges checked (second 60 is accepted as a leap second and counts as
// the next minute's 0), and the day name must match the date. RFC 850 two-digit years follow
// RFC 9110: a year that would be more than 50 years after `now` is taken as the century before.
// Errors are Errc::invalid_input.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "strata/rt/error.hpp"

namespace strata::http {

// Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_len = 29;

// Writes the IMF-fixdate of `unix_seconds` (clamped to years 0000-9999) into `out`.
void format_http_date(std::int64_t unix_seconds, std::span<char, http_date_len> out) noexcept;
inline void format_http_date(std::chrono::system_clock::time_point t,
                             std::span<char, http_date_len> out) noexcept {
  format_http_date(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(),
                   out);
}

// Parses IMF-fixdate, RFC 850 or asctime format into Unix seconds; `now_unix_seconds` only
// matters for RFC 850's two-digit years.
Result<std::int64_t> parse_http_date(std::string_view text, std::int64_t now_unix_seconds) noexcept;
// The same, with now = the system clock.
Result<std::int64_t> parse_http_date(std::string_view text) noexcept;

// The current Date header value, reformatted only when the second changes: one per thread.
class DateCache {
 public:
  // The IMF-fixdate of `unix_seconds`; the view is valid until the next call.
  std::string_view get(std::int64_t unix_seconds) noexcept {
    if (unix_seconds != second_) {
      format_http_date(unix_seconds, buf_);
      second_ = unix_seconds;
    }
    return {buf_, http_date_len};
  }
  // Reads the system clock.
  std::string_view now() noexcept {
    return get(std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count());
  }

 private:
  std::int64_t second_ = INT64_MIN;
  char buf_[http_date_len]{};
};

}  // namespace strata::http
