// Parsing and formatting of socket addresses, and the sockaddr conversions.
//
//   socket-v4 = ipv4 ":" port
//   socket-v6 = "[" ipv6 [ "%" zone ] "]" ":" port
//   port      = "0" / %x31-39 0*4DIGIT                  ; 0-65535, no leading zeros
//   zone      = scope-id / ifname
//   scope-id  = "0" / %x31-39 0*9DIGIT                  ; 0-4294967295, no leading zeros
//   ifname    = 1*15( %x21-7E except "/" ":" "%" "[" "]" )   ; resolved by if_nametoindex()
#include "strata/net/socket_addr.hpp"

#include <net/if.h>

#include <cstddef>
#include <cstring>

#include "addr_text.hpp"

namespace strata::net {

namespace {

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// A decimal number without sign or leading zeros, at most `max`; nullptr on success, otherwise
// the message for the failure.
template <class T>
const char* parse_decimal(std::string_view s, std::uint64_t max, T& out, const char* empty,
                          const char* not_number, const char* leading_zero,
                          const char* out_of_range) noexcept {
  if (s.empty()) return empty;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return not_number;
  }
  if (s.size() > 1 && s[0] == '0') return leading_zero;
  if (s.size() > 10) return out_of_range;  // also keeps v far from overflow
  for (char c : s) v = v * 10 + std::uint64_t(c - '0');
  if (v > max) return out_of_range;
  out = T(v);
  return nullptr;
}

const char* parse_port(std::string_view s, std::uint16_t& out) noexcept {
  return parse_decimal(s, 65535, out, "port: empty", "port: not a decimal number",
                       "port: leading zero", "port: out of range (0-65535)");
}

// Splits "host:port" at the last ':'; the port must follow it directly.
const char* parse_v4(std::string_view s, SocketAddrV4& out) noexcept {
  if (!s.empty() && s[0] == '[') return "socket address: ipv6 address where ipv4 expected";
  const std::size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return "socket address: missing ':port'";
  if (s.find(':') != colon) return "socket address: ipv6 address without brackets";
  Ipv4Addr ip;
  if (const char* err = detail::parse_ipv4(s.substr(0, colon), ip)) return err;
  std::uint16_t port = 0;
  if (const char* err = parse_port(s.substr(colon + 1), port)) return err;
  out = SocketAddrV4(ip, port);
  return nullptr;
}

bool is_ifname_char(char c) noexcept {
  return c >= 0x21 && c <= 0x7e && c != '/' && c != ':' && c != '%' && c != '[' && c != ']';
}

const char* parse_zone(std::string_view zone, std::uint32_t& scope_id) noexcept {
  if (zone.empty()) return "scope id: empty";
  if (is_digit(zone[0])) {
    bool all_digits = true;
    for (char c : zone) all_digits = all_digits && is_digit(c);
    if (all_digits) {
      return parse_decimal(zone, 0xffffffff, scope_id, "scope id: empty",
                           "scope id: not a decimal number", "scope id: leading zero",
                           "scope id: out of range");
    }
  }
  char name[IF_NAMESIZE];
  if (zone.size() >= sizeof name) return "scope id: interface name too long";
  for (char c : zone) {
    if (!is_ifname_char(c)) return "scope id: invalid character in interface name";
  }
  std::memcpy(name, zone.data(), zone.size());
  name[zone.size()] = '\0';
  const unsigned index = ::if_nametoindex(name);
  if (index == 0) return "scope id: unknown interface";
  scope_id = index;
  return nullptr;
}

const char* parse_v6(std::string_view s, SocketAddrV6& out) noexcept {
  if (s.empty() || s[0] != '[') return "socket address: expected '['";
  const std::size_t close = s.find(']');
  if (close == std::string_view::npos) return "socket address: missing ']'";
  std::string_view host = s.substr(1, close - 1);
  std::string_view zone;
  bool has_zone = false;
  if (const std::size_t pct = host.find('%'); pct != std::string_view::npos) {
    zone = host.substr(pct + 1);
    host = host.substr(0, pct);
    has_zone = true;
  }
  Ipv6Addr ip;
  if (const char* err = detail::parse_ipv6(host, ip)) return err;
  std::uint32_t scope_id = 0;
  if (has_zone) {
    if (const char* err = parse_zone(zone, scope_id)) return err;
  }
  const std::string_view rest = s.substr(close + 1);
  if (rest.empty()) return "socket address: missing ':port'";
  if (rest[0] != ':') return "socket address: expected ':' after ']'";
  std::uint16_t port = 0;
  if (const char* err = parse_port(rest.substr(1), port)) return err;
  out = SocketAddrV6(ip, port, 0, scope_id);
  return nullptr;
}

}  // namespace

// --- SocketAddrV4 ---

Result<SocketAddrV4> SocketAddrV4::parse(std::string_view text) {
  SocketAddrV4 a;
  if (const char* err = parse_v4(text, a)) return fail(Errc::invalid_input, err);
  return a;
}

sockaddr_in SocketAddrV4::to_sockaddr_in() const noexcept {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port_);
  sin.sin_addr.s_addr = htonl(ip_.to_bits());
  return sin;
}

SocketAddrV4 SocketAddrV4::from_sockaddr_in(const sockaddr_in& sin) noexcept {
  return {Ipv4Addr::from_bits(ntohl(sin.sin_addr.s_addr)), ntohs(sin.sin_port)};
}

char* SocketAddrV4::to_chars(char* out) const noexcept {
  out = ip_.to_chars(out);
  *out++ = ':';
  return detail::write_decimal(out, port_);
}

std::string SocketAddrV4::to_string() const {
  return detail::format(*this);
}

// --- SocketAddrV6 ---

Result<SocketAddrV6> SocketAddrV6::parse(std::string_view text) {
  SocketAddrV6 a;
  if (const char* err = parse_v6(text, a)) return fail(Errc::invalid_input, err);
  return a;
}

sockaddr_in6 SocketAddrV6::to_sockaddr_in6() const noexcept {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port_);
  sin6.sin6_flowinfo = htonl(flowinfo_);
  std::memcpy(sin6.sin6_addr.s6_addr, ip_.octets().data(), 16);
  sin6.sin6_scope_id = scope_id_;
  return sin6;
}

SocketAddrV6 SocketAddrV6::from_sockaddr_in6(const sockaddr_in6& sin6) noexcept {
  std::array<std::uint8_t, 16> octets;
  std::memcpy(octets.data(), sin6.sin6_addr.s6_addr, 16);
  return {Ipv6Addr(octets), ntohs(sin6.sin6_port), ntohl(sin6.sin6_flowinfo), sin6.sin6_scope_id};
}

char* SocketAddrV6::to_chars(char* out) const noexcept {
  *out++ = '[';
  out = ip_.to_chars(out);
  if (scope_id_ != 0) {
    *out++ = '%';
    out = detail::write_decimal(out, scope_id_);
  }
  *out++ = ']';
  *out++ = ':';
  return detail::write_decimal(out, port_);
}

std::string SocketAddrV6::to_string() const {
  return detail::format(*this);
}

// --- SocketAddr ---

Result<SocketAddr> SocketAddr::parse(std::string_view text) {
  const char* err = nullptr;
  if (!text.empty() && text[0] == '[') {
    SocketAddrV6 a;
    if ((err = parse_v6(text, a)) == nullptr) return a;
  } else {
    SocketAddrV4 a;
    if ((err = parse_v4(text, a)) == nullptr) return a;
  }
  return fail(Errc::invalid_input, err);
}

Result<SocketAddr> SocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return fail(Errc::invalid_input, "sockaddr: null pointer");
  sa_family_t family;
  if (len < socklen_t(offsetof(sockaddr, sa_family) + sizeof family)) {
    return fail(Errc::invalid_input, "sockaddr: too short");
  }
  // memcpy: the caller's buffer need not be aligned for sockaddr_in/sockaddr_in6.
  std::memcpy(&family, reinterpret_cast<const char*>(sa) + offsetof(sockaddr, sa_family),
              sizeof family);
  if (family == AF_INET) {
    if (len < socklen_t(sizeof(sockaddr_in))) {
      return fail(Errc::invalid_input, "sockaddr: too short for AF_INET");
    }
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    return SocketAddrV4::from_sockaddr_in(sin);
  }
  if (family == AF_INET6) {
    if (len < socklen_t(sizeof(sockaddr_in6))) {
      return fail(Errc::invalid_input, "sockaddr: too short for AF_INET6");
    }
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    return SocketAddrV6::from_sockaddr_in6(sin6);
  }
  return fail(Errc::invalid_input, "sockaddr: address family is not AF_INET or AF_INET6");
}

socklen_t SocketAddr::to_sockaddr(sockaddr_storage& ss) const noexcept {
  std::memset(&ss, 0, sizeof ss);
  if (auto v4 = as_v4()) {
    const sockaddr_in sin = v4->to_sockaddr_in();
    std::memcpy(&ss, &sin, sizeof sin);
    return sizeof sin;
  }
  const sockaddr_in6 sin6 = as_v6()->to_sockaddr_in6();
  std::memcpy(&ss, &sin6, sizeof sin6);
  return sizeof sin6;
}

char* SocketAddr::to_chars(char* out) const noexcept {
  return visit([out](const auto& a) { return a.to_chars(out); });
}

std::string SocketAddr::to_string() const {
  return detail::format(*this);
}

std::ostream& operator<<(std::ostream& os, const SocketAddrV4& a) {
  return detail::print(os, a);
}

std::ostream& operator<<(std::ostream& os, const SocketAddrV6& a) {
  return detail::print(os, a);
}

std::ostream& operator<<(std::ostream& os, const SocketAddr& a) {
  return detail::print(os, a);
}

}  // namespace strata::net
