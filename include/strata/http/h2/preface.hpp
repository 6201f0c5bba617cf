// The HTTP/2 connection preface (RFC 9113 §3.4) and how a server tells it from HTTP/1.1.
//
//   bool h2 = strata::http::h2::looks_like_preface("PRI * HTTP/2.0\r\n");   // true
#pragma once

#include <algorithm>
#include <string_view>

namespace strata::http::h2 {

inline constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// True if `bytes` (the first bytes a client sent) match the preface's first line,
// "PRI * HTTP/2.0\r\n", as far as they go, and are at least "PRI" (no HTTP/1.1 method starts
// so). Only the first line decides: a client that starts so and then garbles the rest of the
// preface is answered by HTTP/2 (GOAWAY PROTOCOL_ERROR), not by an HTTP/1.1 400.
constexpr bool looks_like_preface(std::string_view bytes) noexcept {
  constexpr std::string_view first_line = client_preface.substr(0, 16);
  if (bytes.size() < 3) return false;
  const std::size_t n = std::min(bytes.size(), first_line.size());
  return bytes.substr(0, n) == first_line.substr(0, n);
}

}  // namespace strata::http::h2
