// Socket addresses: an IP address plus a port — SocketAddrV4, SocketAddrV6, and SocketAddr
// (either one) — and their conversions to and from the BSD sockaddr structures.
//
// Text forms (strict; the grammar is in docs/net.md, "Addresses"): a SocketAddrV4 is
// `192.0.2.1:80`; a SocketAddrV6 is `[2001:db8::1]:8080`, `[fe80::1%2]:80` or, parse only,
// `[fe80::1%eth0]:80`.
//
// A port is 0-65535 in decimal without leading zeros. An IPv6 scope id (RFC 4007 zone) follows
// `%` inside the brackets: a decimal interface index, or an interface name that parse() resolves
// with if_nametoindex() (an unknown name is an error). to_string() always prints the numeric
// scope id, and only when it is not 0; the flow info is never printed.
//
//   auto sa = strata::net::SocketAddr::parse("[::1]:8080");   // Result<SocketAddr>
//   sockaddr_storage ss;
//   socklen_t len = sa->to_sockaddr(ss);                     // ready for bind()/connect()
//   auto back = strata::net::SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
//
// Like the IP types these are trivially copyable values; parse() never throws for malformed
// input and allocates nothing unless it fails.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "strata/net/ip_addr.hpp"
#include "strata/rt/error.hpp"

namespace strata::net {

// An IPv4 address and a port. Ordered by address, then port.
class SocketAddrV4 {
 public:
  // The longest text to_chars() writes: "255.255.255.255:65535".
  static constexpr std::size_t max_string_len = Ipv4Addr::max_string_len + 6;

  constexpr SocketAddrV4() noexcept = default;
  constexpr SocketAddrV4(Ipv4Addr ip, std::uint16_t port) noexcept : ip_(ip), port_(port) {}

  // "a.b.c.d:port".
  static Result<SocketAddrV4> parse(std::string_view text);

  constexpr Ipv4Addr ip() const noexcept { return ip_; }
  constexpr std::uint16_t port() const noexcept { return port_; }
  constexpr void set_ip(Ipv4Addr ip) noexcept { ip_ = ip; }
  constexpr void set_port(std::uint16_t port) noexcept { port_ = port; }

  // AF_INET, address and port in network order, the rest zeroed.
  sockaddr_in to_sockaddr_in() const noexcept;
  static SocketAddrV4 from_sockaddr_in(const sockaddr_in& sin) noexcept;

  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr bool operator==(const SocketAddrV4&, const SocketAddrV4&) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(const SocketAddrV4&,
                                                    const SocketAddrV4&) noexcept = default;

 private:
  Ipv4Addr ip_;
  std::uint16_t port_ = 0;
};

// An IPv6 address, a port, the flow info and the scope id (sockaddr_in6's four fields).
// Ordered by address, port, flow info, then scope id; all four take part in equality.
class SocketAddrV6 {
 public:
  // The longest text to_chars() writes: "[" address "%" 4294967295 "]:" 65535.
  static constexpr std::size_t max_string_len = Ipv6Addr::max_string_len + 19;

  constexpr SocketAddrV6() noexcept = default;
  // `flowinfo` is the 28-bit traffic class and flow label in host order (sin6_flowinfo holds
  // it in network order); `scope_id` is an interface index, 0 for none.
  constexpr SocketAddrV6(const Ipv6Addr& ip, std::uint16_t port, std::uint32_t flowinfo = 0,
                         std::uint32_t scope_id = 0) noexcept
      : ip_(ip), port_(port), flowinfo_(flowinfo), scope_id_(scope_id) {}

  // "[address]:port" or "[address%zone]:port"; a zone that is not a decimal number is an
  // interface name, resolved with if_nametoindex() (an error if there is no such interface).
  static Result<SocketAddrV6> parse(std::string_view text);

  constexpr const Ipv6Addr& ip() const noexcept { return ip_; }
  constexpr std::uint16_t port() const noexcept { return port_; }
  constexpr std::uint32_t flowinfo() const noexcept { return flowinfo_; }
  constexpr std::uint32_t scope_id() const noexcept { return scope_id_; }
  constexpr void set_ip(const Ipv6Addr& ip) noexcept { ip_ = ip; }
  constexpr void set_port(std::uint16_t port) noexcept { port_ = port; }
  constexpr void set_flowinfo(std::uint32_t flowinfo) noexcept { flowinfo_ = flowinfo; }
  constexpr void set_scope_id(std::uint32_t scope_id) noexcept { scope_id_ = scope_id; }

  // AF_INET6; port and flow info in network order, scope id in host order, the rest zeroed.
  sockaddr_in6 to_sockaddr_in6() const noexcept;
  static SocketAddrV6 from_sockaddr_in6(const sockaddr_in6& sin6) noexcept;

  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr bool operator==(const SocketAddrV6&, const SocketAddrV6&) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(const SocketAddrV6&,
                                                    const SocketAddrV6&) noexcept = default;

 private:
  Ipv6Addr ip_;
  std::uint16_t port_ = 0;
  std::uint32_t flowinfo_ = 0;
  std::uint32_t scope_id_ = 0;
};

// Either a SocketAddrV4 or a SocketAddrV6. Orders every IPv4 address before every IPv6 one.
class SocketAddr {
 public:
  // The longest text to_chars() writes.
  static constexpr std::size_t max_string_len = SocketAddrV6::max_string_len;

  // 0.0.0.0:0.
  constexpr SocketAddr() noexcept = default;
  constexpr SocketAddr(const SocketAddrV4& a) noexcept : addr_(a) {}  // NOLINT: implicit
  constexpr SocketAddr(const SocketAddrV6& a) noexcept : addr_(a) {}  // NOLINT: implicit
  // An IPv6 address gets flow info 0 and scope id 0.
  constexpr SocketAddr(const IpAddr& ip, std::uint16_t port) noexcept
      : addr_(ip.is_ipv4() ? Addr(SocketAddrV4(*ip.as_ipv4(), port))
                           : Addr(SocketAddrV6(*ip.as_ipv6(), port))) {}

  // "[...]:port" is parsed as SocketAddrV6, anything else as SocketAddrV4.
  static Result<SocketAddr> parse(std::string_view text);

  // Reads an AF_INET or AF_INET6 address of `len` bytes (as filled in by accept(),
  // getsockname(), recvfrom()). Errors (Errc::invalid_input): a null pointer, a length too
  // short for the family, any other family. `sa` need not be aligned.
  static Result<SocketAddr> from_sockaddr(const sockaddr* sa, socklen_t len);
  // Writes the address into `ss` (zeroed first) and returns the length to pass to bind() or
  // connect(): sizeof(sockaddr_in) or sizeof(sockaddr_in6).
  socklen_t to_sockaddr(sockaddr_storage& ss) const noexcept;

  constexpr bool is_ipv4() const noexcept { return addr_.index() == 0; }
  constexpr bool is_ipv6() const noexcept { return addr_.index() == 1; }
  constexpr std::optional<SocketAddrV4> as_v4() const noexcept {
    if (is_ipv4()) return std::get<0>(addr_);
    return std::nullopt;
  }
  constexpr std::optional<SocketAddrV6> as_v6() const noexcept {
    if (is_ipv6()) return std::get<1>(addr_);
    return std::nullopt;
  }
  // Calls f(const SocketAddrV4&) or f(const SocketAddrV6&).
  template <class F>
  constexpr decltype(auto) visit(F&& f) const {
    return std::visit(std::forward<F>(f), addr_);
  }

  constexpr IpAddr ip() const noexcept {
    return is_ipv4() ? IpAddr(std::get<0>(addr_).ip()) : IpAddr(std::get<1>(addr_).ip());
  }
  constexpr std::uint16_t port() const noexcept {
    return is_ipv4() ? std::get<0>(addr_).port() : std::get<1>(addr_).port();
  }
  // Replaces the address; a change of family resets flow info and scope id to 0 (as Rust).
  constexpr void set_ip(const IpAddr& ip) noexcept {
    if (is_ipv6() && ip.is_ipv6()) {
      std::get<1>(addr_).set_ip(*ip.as_ipv6());
    } else {
      *this = SocketAddr(ip, port());
    }
  }
  constexpr void set_port(std::uint16_t port) noexcept {
    if (is_ipv4()) {
      std::get<0>(addr_).set_port(port);
    } else {
      std::get<1>(addr_).set_port(port);
    }
  }

  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept {
    return a.addr_ == b.addr_;
  }
  friend constexpr std::strong_ordering operator<=>(const SocketAddr& a,
                                                    const SocketAddr& b) noexcept {
    if (a.addr_.index() != b.addr_.index()) return a.addr_.index() <=> b.addr_.index();
    if (a.is_ipv4()) return std::get<0>(a.addr_) <=> std::get<0>(b.addr_);
    return std::get<1>(a.addr_) <=> std::get<1>(b.addr_);
  }

 private:
  using Addr = std::variant<SocketAddrV4, SocketAddrV6>;
  Addr addr_;
};

std::ostream& operator<<(std::ostream& os, const SocketAddrV4& a);
std::ostream& operator<<(std::ostream& os, const SocketAddrV6& a);
std::ostream& operator<<(std::ostream& os, const SocketAddr& a);

}  // namespace strata::net

template <>
struct std::hash<strata::net::SocketAddrV4> {
  std::size_t operator()(const strata::net::SocketAddrV4& a) const noexcept {
    return strata::net::detail::hash_mix(std::uint64_t{a.ip().to_bits()} << 16 | a.port());
  }
};

template <>
struct std::hash<strata::net::SocketAddrV6> {
  std::size_t operator()(const strata::net::SocketAddrV6& a) const noexcept {
    using strata::net::detail::hash_mix;
    const std::uint64_t extra =
        std::uint64_t{a.port()} << 48 ^ std::uint64_t{a.flowinfo()} << 16 ^ a.scope_id();
    return hash_mix(std::hash<strata::net::Ipv6Addr>()(a.ip()) ^ hash_mix(extra));
  }
};

template <>
struct std::hash<strata::net::SocketAddr> {
  std::size_t operator()(const strata::net::SocketAddr& a) const noexcept {
    if (auto v4 = a.as_v4()) return std::hash<strata::net::SocketAddrV4>()(*v4);
    return std::hash<strata::net::SocketAddrV6>()(*a.as_v6()) ^ 0x9e3779b97f4a7c15ULL;
  }
};
