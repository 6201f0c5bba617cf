// Parsing and formatting of IP addresses.
//
// Both parsers are single left-to-right passes over the string_view, with every index checked
// against its size before use; they never look past the view and never allocate. Their grammars
// are exactly those of glibc's inet_pton(AF_INET / AF_INET6), which fuzz/addr.cpp checks:
//
//   ipv4     = octet "." octet "." octet "." octet
//   octet    = "0" / %x31-39 0*2DIGIT                  ; 0-255, no leading zeros
//   ipv6     = groups with at most one "::", where "::" stands for one or more zero groups,
//              8 groups without "::", at most 7 with it; a group is 1*4HEXDIG (either case);
//              the last two groups may be replaced by an ipv4 (RFC 4291 §2.2 form 3).
//
// The formatter follows RFC 5952 §4: lowercase, no leading zeros, the longest run of at least
// two zero groups becomes "::" (the first run on ties), and ::ffff:0:0/96 prints its IPv4 tail
// in dotted decimal (§5). IPv4-compatible addresses (::a.b.c.d, deprecated) print as hex.
#include "strata/net/ip_addr.hpp"

#include "addr_text.hpp"

namespace strata::net {

namespace detail {

namespace {

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char hex_digits[] = "0123456789abcdef";

char* write_octet(char* out, std::uint8_t v) noexcept {
  if (v >= 100) *out++ = char('0' + v / 100);
  if (v >= 10) *out++ = char('0' + v / 10 % 10);
  *out++ = char('0' + v % 10);
  return out;
}

char* write_ipv4(char* out, std::uint32_t bits) noexcept {
  out = write_octet(out, std::uint8_t(bits >> 24));
  *out++ = '.';
  out = write_octet(out, std::uint8_t(bits >> 16));
  *out++ = '.';
  out = write_octet(out, std::uint8_t(bits >> 8));
  *out++ = '.';
  return write_octet(out, std::uint8_t(bits));
}

char* write_hex_group(char* out, std::uint16_t v) noexcept {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (v >> shift) & 0xf;
    if (nibble != 0 || started || shift == 0) {
      *out++ = hex_digits[nibble];
      started = true;
    }
  }
  return out;
}

}  // namespace

char* write_decimal(char* out, std::uint32_t v) noexcept {
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = char('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = tmp[--n];
  return out;
}

const char* parse_ipv4(std::string_view s, Ipv4Addr& out) noexcept {
  if (s.empty()) return "ipv4: empty address";
  const std::size_t n = s.size();
  std::size_t i = 0;
  std::uint32_t bits = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i == n) return "ipv4: fewer than 4 octets";
      if (s[i] != '.') return "ipv4: unexpected character";
      ++i;
    }
    const std::size_t start = i;
    unsigned value = 0;
    // Four digits are enough to decide: a fourth one is out of range or follows a leading zero.
    while (i < n && i - start < 4 && is_digit(s[i])) value = value * 10 + unsigned(s[i++] - '0');
    const std::size_t digits = i - start;
    if (digits == 0) {
      return i == n || s[i] == '.' ? "ipv4: empty octet" : "ipv4: unexpected character";
    }
    if (digits > 1 && s[start] == '0') return "ipv4: leading zero in octet";
    if (value > 255) return "ipv4: octet out of range";
    bits = bits << 8 | value;
  }
  if (i != n) return s[i] == '.' ? "ipv4: more than 4 octets" : "ipv4: unexpected character";
  out = Ipv4Addr::from_bits(bits);
  return nullptr;
}

const char* parse_ipv6(std::string_view s, Ipv6Addr& out) noexcept {
  if (s.empty()) return "ipv6: empty address";
  const std::size_t n = s.size();
  std::array<std::uint16_t, 8> groups{};
  std::size_t count = 0;  // groups parsed
  int gap = -1;           // index in `groups` where "::" stands, if any
  std::size_t i = 0;
  if (s[0] == ':') {
    if (n < 2 || s[1] != ':') return "ipv6: leading single ':'";
    gap = 0;
    i = 2;
  }
  while (i < n) {
    // At the start of a group (or of the embedded IPv4 tail).
    const std::size_t start = i;
    unsigned value = 0;
    // Five digits are enough to decide: a fifth one is an error unless a '.' follows.
    for (int h; i < n && i - start < 5 && (h = hex_value(s[i])) >= 0; ++i) {
      value = value << 4 | unsigned(h);
    }
    const std::size_t digits = i - start;
    if (i < n && s[i] == '.') {
      // The dotted IPv4 tail: it must run to the end and fill the last two groups.
      if (count > 6) return "ipv6: too many groups";
      Ipv4Addr v4;
      if (parse_ipv4(s.substr(start), v4) != nullptr) return "ipv6: invalid embedded ipv4";
      groups[count++] = std::uint16_t(v4.to_bits() >> 16);
      groups[count++] = std::uint16_t(v4.to_bits());
      break;
    }
    if (digits == 0) {  // i < n here: the loop condition, and no digit was consumed
      if (s[i] == ':') return "ipv6: empty group";
      if (s[i] == '%') return "ipv6: zone id not allowed (only in a socket address)";
      return "ipv6: unexpected character";
    }
    if (digits > 4) return "ipv6: group has more than 4 hex digits";
    if (count == 8) return "ipv6: too many groups";
    groups[count++] = std::uint16_t(value);
    if (i == n) break;
    if (s[i] != ':') {
      if (s[i] == '%') return "ipv6: zone id not allowed (only in a socket address)";
      return "ipv6: unexpected character";
    }
    ++i;
    if (i == n) return "ipv6: trailing ':'";
    if (s[i] == ':') {
      if (gap >= 0) return "ipv6: more than one '::'";
      gap = int(count);
      ++i;
    }
  }
  if (gap < 0) {
    if (count != 8) return "ipv6: fewer than 8 groups and no '::'";
    out = Ipv6Addr(groups);
    return nullptr;
  }
  if (count == 8) return "ipv6: too many groups ('::' stands for at least one)";
  // Move the groups after the gap to the end; the gap becomes zeros.
  std::array<std::uint16_t, 8> full{};
  const std::size_t g = std::size_t(gap), tail = count - g;
  for (std::size_t k = 0; k < g; ++k) full[k] = groups[k];
  for (std::size_t k = 0; k < tail; ++k) full[8 - tail + k] = groups[g + k];
  out = Ipv6Addr(full);
  return nullptr;
}

}  // namespace detail

// --- Ipv4Addr ---

Result<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  Ipv4Addr a;
  if (const char* err = detail::parse_ipv4(text, a)) return fail(Errc::invalid_input, err);
  return a;
}

char* Ipv4Addr::to_chars(char* out) const noexcept {
  return detail::write_ipv4(out, bits_);
}

std::string Ipv4Addr::to_string() const {
  return detail::format(*this);
}

// --- Ipv6Addr ---

Result<Ipv6Addr> Ipv6Addr::parse(std::string_view text) {
  Ipv6Addr a;
  if (const char* err = detail::parse_ipv6(text, a)) return fail(Errc::invalid_input, err);
  return a;
}

char* Ipv6Addr::to_chars(char* out) const noexcept {
  if (auto v4 = to_ipv4_mapped()) {
    for (char c : std::string_view("::ffff:")) *out++ = c;
    return detail::write_ipv4(out, v4->to_bits());
  }
  const std::array<std::uint16_t, 8> g = segments();
  // The longest run of zero groups, first on ties; a run of one is not compressed (§4.2.2).
  std::size_t best = 8, best_len = 1;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best) {
      *out++ = ':';
      *out++ = ':';
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best + best_len) *out++ = ':';
    out = detail::write_hex_group(out, g[i]);
  }
  return out;
}

std::string Ipv6Addr::to_string() const {
  return detail::format(*this);
}

// --- IpAddr ---

Result<IpAddr> IpAddr::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    Ipv6Addr a;
    if (const char* err = detail::parse_ipv6(text, a)) return fail(Errc::invalid_input, err);
    return a;
  }
  Ipv4Addr a;
  if (const char* err = detail::parse_ipv4(text, a)) return fail(Errc::invalid_input, err);
  return a;
}

char* IpAddr::to_chars(char* out) const noexcept {
  return visit([out](const auto& a) { return a.to_chars(out); });
}

std::string IpAddr::to_string() const {
  return detail::format(*this);
}

std::ostream& operator<<(std::ostream& os, Ipv4Addr a) {
  return detail::print(os, a);
}

std::ostream& operator<<(std::ostream& os, const Ipv6Addr& a) {
  return detail::print(os, a);
}

std::ostream& operator<<(std::ostream& os, const IpAddr& a) {
  return detail::print(os, a);
}

}  // namespace strata::net
