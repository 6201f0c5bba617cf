// HTTP protocol versions: HTTP/1.0, HTTP/1.1, HTTP/2 and HTTP/3 (HTTP/0.9 is not supported).
//
//   auto v = strata::http::Version::parse("HTTP/1.1");   // Result<Version>
//   v->as_str();                                          // "HTTP/1.1"
//   *v < strata::http::Version::http_2;                   // versions are ordered
//
// parse() accepts exactly the four texts as_str() prints (case-sensitive, RFC 9112 §2.3) and
// fails with Errc::invalid_input otherwise.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

#include "strata/rt/error.hpp"

namespace strata::http {

// An HTTP version; a one-byte ordered value.
class Version {
 public:
  static const Version http_1_0, http_1_1, http_2, http_3;

  // HTTP/1.1.
  constexpr Version() noexcept : v_(1) {}

  static constexpr Result<Version> parse(std::string_view text) noexcept {
    for (std::uint8_t i = 0; i < 4; ++i) {
      if (text == names[i]) return Version(i);
    }
    return fail(Errc::invalid_input, "http version");
  }

  // "HTTP/1.0", "HTTP/1.1", "HTTP/2" or "HTTP/3".
  constexpr std::string_view as_str() const noexcept { return names[v_]; }
  constexpr std::uint8_t major() const noexcept { return v_ < 2 ? 1 : v_; }
  constexpr std::uint8_t minor() const noexcept { return v_ == 1 ? 1 : 0; }

  friend constexpr bool operator==(Version, Version) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(Version, Version) noexcept = default;

 private:
  explicit constexpr Version(std::uint8_t v) noexcept : v_(v) {}
  static constexpr std::string_view names[4] = {"HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"};

  std::uint8_t v_;
};

inline constexpr Version Version::http_1_0{0};
inline constexpr Version Version::http_1_1{1};
inline constexpr Version Version::http_2{2};
inline constexpr Version Version::http_3{3};

}  // namespace strata::http
