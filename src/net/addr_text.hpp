// Text primitives shared by the address parsers and formatters (src/net only).
//
// The parsers report failure as a static message ("ipv6: more than one '::'") instead of an
// Error, so that they allocate nothing at all; the public parse() functions turn a message into
// Error(Errc::invalid_input, message).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "strata/net/ip_addr.hpp"

namespace strata::net::detail {

// Each returns nullptr on success (and sets `out`), or a static message naming what was wrong.
const char* parse_ipv4(std::string_view text, Ipv4Addr& out) noexcept;
const char* parse_ipv6(std::string_view text, Ipv6Addr& out) noexcept;

// Writes `v` in decimal (no NUL) and returns the end: at most 10 characters.
char* write_decimal(char* out, std::uint32_t v) noexcept;

// to_string() and operator<< of every address type, through its to_chars().
template <class T>
std::string format(const T& a) {
  char buf[T::max_string_len];
  return std::string(buf, a.to_chars(buf));
}
template <class T>
std::ostream& print(std::ostream& os, const T& a) {
  char buf[T::max_string_len];
  return os.write(buf, a.to_chars(buf) - buf);
}

}  // namespace strata::net::detail
