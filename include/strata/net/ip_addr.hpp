// IP addresses: Ipv4Addr, Ipv6Addr, and IpAddr (either one), as small immutable values.
//
// Modelled on Rust's std::net: construct from octets or segments, use the named constants,
// parse text with parse() and print it with to_string(). Text is strict in both directions:
//
//   - parse() accepts exactly the RFC 4291 §2.2 text forms for IPv6 (hex groups, one `::`,
//     an embedded dotted IPv4 tail such as `::ffff:192.0.2.1`) and dotted-decimal with four
//     parts for IPv4, with no leading zeros (`01.2.3.4` is rejected: octal or decimal?). Zone
//     ids (`fe80::1%eth0`) are not part of an IP address; SocketAddrV6 carries them as scope ids.
//   - to_string() writes the canonical RFC 5952 form: lowercase hex, no leading zeros, the
//     longest run of two or more zero groups shown as `::` (the first on ties), IPv4-mapped
//     addresses as `::ffff:a.b.c.d`.
//
//   auto ip = strata::net::IpAddr::parse("2001:DB8:0:0:1::1");  // Result<IpAddr>
//   if (!ip) return fail(ip.error());      // Errc::invalid_input, e.g. "ipv6: too many groups"
//   std::string s = ip->to_string();       // "2001:db8::1:0:0:1"
//   bool local = ip->is_loopback() || ip->is_private();
//
// Guarantees: values are trivially copyable and usable in constant expressions (except parsing
// and formatting). parse() never throws for malformed input, never reads outside its argument,
// and allocates nothing unless it fails (the Error's context is a std::string). The exact
// grammar and every classification rule are listed in docs/net.md ("Addresses").
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "strata/rt/error.hpp"

namespace strata::net {

class Ipv6Addr;

// An IPv4 address: 32 bits, ordered and hashed as the number a.b.c.d.
class Ipv4Addr {
 public:
  // The longest text to_chars() writes: "255.255.255.255".
  static constexpr std::size_t max_string_len = 15;

  static const Ipv4Addr localhost;    // 127.0.0.1
  static const Ipv4Addr unspecified;  // 0.0.0.0
  static const Ipv4Addr broadcast;    // 255.255.255.255

  // 0.0.0.0.
  constexpr Ipv4Addr() noexcept = default;
  constexpr Ipv4Addr(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept
      : bits_(std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d) {}
  constexpr explicit Ipv4Addr(const std::array<std::uint8_t, 4>& octets) noexcept
      : Ipv4Addr(octets[0], octets[1], octets[2], octets[3]) {}
  // From the address as a host-order number (0x7f000001 is 127.0.0.1).
  static constexpr Ipv4Addr from_bits(std::uint32_t bits) noexcept {
    Ipv4Addr a;
    a.bits_ = bits;
    return a;
  }

  // Dotted decimal, exactly four parts of 1-3 digits, each 0-255, no leading zeros.
  static Result<Ipv4Addr> parse(std::string_view text);

  constexpr std::uint32_t to_bits() const noexcept { return bits_; }
  constexpr std::array<std::uint8_t, 4> octets() const noexcept {
    return {std::uint8_t(bits_ >> 24), std::uint8_t(bits_ >> 16), std::uint8_t(bits_ >> 8),
            std::uint8_t(bits_)};
  }

  // Classification (docs/net.md lists the blocks and their RFCs).
  constexpr bool is_unspecified() const noexcept { return bits_ == 0; }
  constexpr bool is_loopback() const noexcept { return in(0x7f000000, 8); }  // 127.0.0.0/8
  // RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16.
  constexpr bool is_private() const noexcept {
    return in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16);
  }
  constexpr bool is_link_local() const noexcept { return in(0xa9fe0000, 16); }  // 169.254/16
  constexpr bool is_multicast() const noexcept { return in(0xe0000000, 4); }    // 224.0.0.0/4
  constexpr bool is_broadcast() const noexcept { return bits_ == 0xffffffff; }
  // RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24.
  constexpr bool is_documentation() const noexcept {
    return in(0xc0000200, 24) || in(0xc6336400, 24) || in(0xcb007100, 24);
  }
  constexpr bool is_shared() const noexcept { return in(0x64400000, 10); }        // 100.64/10 (CGN)
  constexpr bool is_benchmarking() const noexcept { return in(0xc6120000, 15); }  // 198.18/15
  // 240.0.0.0/4 except the broadcast address.
  constexpr bool is_reserved() const noexcept { return in(0xf0000000, 4) && !is_broadcast(); }
  // A globally reachable unicast address: not multicast, and in no block of the IANA IPv4
  // Special-Purpose Address Registry marked "not globally reachable": 0/8, 10/8, 100.64/10,
  // 127/8, 169.254/16, 172.16/12, 192.0.0/24 (except 192.0.0.9 and .10), 192.0.2/24,
  // 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 240/4, 255.255.255.255.
  constexpr bool is_global() const noexcept {
    if (bits_ == 0xc0000009 || bits_ == 0xc000000a) return true;
    return !(in(0, 8) || is_private() || is_shared() || is_loopback() || is_link_local() ||
             in(0xc0000000, 24) || is_documentation() || is_benchmarking() || in(0xf0000000, 4) ||
             is_multicast());
  }

  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
  constexpr Ipv6Addr to_ipv6_mapped() const noexcept;

  // Writes the canonical text (no terminating NUL) and returns the end; at most max_string_len.
  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr bool operator==(Ipv4Addr, Ipv4Addr) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(Ipv4Addr, Ipv4Addr) noexcept = default;

 private:
  constexpr bool in(std::uint32_t net, unsigned prefix) const noexcept {
    return (bits_ >> (32 - prefix)) == (net >> (32 - prefix));
  }

  std::uint32_t bits_ = 0;
};

inline constexpr Ipv4Addr Ipv4Addr::localhost{127, 0, 0, 1};
inline constexpr Ipv4Addr Ipv4Addr::unspecified{0, 0, 0, 0};
inline constexpr Ipv4Addr Ipv4Addr::broadcast{255, 255, 255, 255};

// Scope field of an IPv6 multicast address (RFC 7346 §2); other values are unassigned.
enum class Ipv6MulticastScope : std::uint8_t {
  interface_local = 0x1,
  link_local = 0x2,
  realm_local = 0x3,
  admin_local = 0x4,
  site_local = 0x5,
  organization_local = 0x8,
  global = 0xe,
};

// An IPv6 address: 128 bits in network order, ordered and hashed as the 128-bit number.
class Ipv6Addr {
 public:
  // The longest text to_chars() writes: eight groups of four digits, "ffff:...:ffff".
  static constexpr std::size_t max_string_len = 39;

  static const Ipv6Addr localhost;    // ::1
  static const Ipv6Addr unspecified;  // ::

  // ::.
  constexpr Ipv6Addr() noexcept = default;
  // From eight 16-bit groups, most significant first: Ipv6Addr(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).
  constexpr Ipv6Addr(std::uint16_t a, std::uint16_t b, std::uint16_t c, std::uint16_t d,
                     std::uint16_t e, std::uint16_t f, std::uint16_t g, std::uint16_t h) noexcept
      : Ipv6Addr(std::array<std::uint16_t, 8>{a, b, c, d, e, f, g, h}) {}
  constexpr explicit Ipv6Addr(const std::array<std::uint16_t, 8>& segments) noexcept {
    for (std::size_t i = 0; i < 8; ++i) {
      octets_[2 * i] = std::uint8_t(segments[i] >> 8);
      octets_[2 * i + 1] = std::uint8_t(segments[i]);
    }
  }
  // From sixteen octets in network order (as in in6_addr).
  constexpr explicit Ipv6Addr(const std::array<std::uint8_t, 16>& octets) noexcept
      : octets_(octets) {}

  // RFC 4291 §2.2 text: 1-4 hex digits per group, at most one `::` standing for one or more
  // zero groups, optionally a dotted IPv4 tail in place of the last two groups. No zone id.
  static Result<Ipv6Addr> parse(std::string_view text);

  constexpr const std::array<std::uint8_t, 16>& octets() const noexcept { return octets_; }
  constexpr std::array<std::uint16_t, 8> segments() const noexcept {
    std::array<std::uint16_t, 8> s{};
    for (std::size_t i = 0; i < 8; ++i) s[i] = segment(i);
    return s;
  }
  // Group i (0-7), most significant first.
  constexpr std::uint16_t segment(std::size_t i) const noexcept {
    return std::uint16_t(octets_[2 * i] << 8 | octets_[2 * i + 1]);
  }

  // Classification of the IPv6 address itself: ::ffff:127.0.0.1 is not a loopback address here
  // (IpAddr's predicates look through IPv4-mapped addresses; docs/net.md has the exact rules).
  constexpr bool is_unspecified() const noexcept { return *this == Ipv6Addr(); }
  constexpr bool is_loopback() const noexcept { return *this == Ipv6Addr(0, 0, 0, 0, 0, 0, 0, 1); }
  constexpr bool is_multicast() const noexcept { return octets_[0] == 0xff; }  // ff00::/8
  // fc00::/7 (RFC 4193).
  constexpr bool is_unique_local() const noexcept { return (octets_[0] & 0xfe) == 0xfc; }
  // Unicast link-local, fe80::/10 (RFC 4291 §2.4).
  constexpr bool is_link_local() const noexcept {
    return octets_[0] == 0xfe && (octets_[1] & 0xc0) == 0x80;
  }
  // 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637).
  constexpr bool is_documentation() const noexcept {
    return (segment(0) == 0x2001 && segment(1) == 0x0db8) ||
           (segment(0) == 0x3fff && (segment(1) & 0xf000) == 0);
  }
  // 2001:2::/48 (RFC 5180, corrected by erratum 1752).
  constexpr bool is_benchmarking() const noexcept {
    return segment(0) == 0x2001 && segment(1) == 0x0002 && segment(2) == 0;
  }
  // ::ffff:0:0/96.
  constexpr bool is_ipv4_mapped() const noexcept {
    for (std::size_t i = 0; i < 10; ++i) {
      if (octets_[i] != 0) return false;
    }
    return octets_[10] == 0xff && octets_[11] == 0xff;
  }
  // A globally reachable unicast address: not multicast, and in no block of the IANA IPv6
  // Special-Purpose Address Registry marked "not globally reachable": ::, ::1, ::ffff:0:0/96,
  // 64:ff9b:1::/48, 100::/64, 2001::/23 (except 2001:1::1, 2001:1::2, 2001:3::/32,
  // 2001:4:112::/48, 2001:20::/28 and 2001:30::/28), 2001:db8::/32, 2002::/16, 3fff::/20,
  // 5f00::/16, fc00::/7, fe80::/10.
  constexpr bool is_global() const noexcept;
  // The scope of a multicast address; nullopt for unicast addresses and unassigned scopes.
  constexpr std::optional<Ipv6MulticastScope> multicast_scope() const noexcept {
    if (!is_multicast()) return std::nullopt;
    switch (octets_[1] & 0x0f) {
      case 0x1:
      case 0x2:
      case 0x3:
      case 0x4:
      case 0x5:
      case 0x8:
      case 0xe:
        return Ipv6MulticastScope(octets_[1] & 0x0f);
      default:
        return std::nullopt;
    }
  }

  // a.b.c.d for ::ffff:a.b.c.d, nullopt for every other address (IPv4-compatible ::a.b.c.d
  // addresses are deprecated, RFC 4291 §2.5.5.1, and not converted).
  constexpr std::optional<Ipv4Addr> to_ipv4_mapped() const noexcept {
    if (!is_ipv4_mapped()) return std::nullopt;
    return Ipv4Addr(octets_[12], octets_[13], octets_[14], octets_[15]);
  }

  // Writes the canonical RFC 5952 text (no terminating NUL) and returns the end; at most
  // max_string_len characters.
  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr bool operator==(const Ipv6Addr&, const Ipv6Addr&) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(const Ipv6Addr&,
                                                    const Ipv6Addr&) noexcept = default;

 private:
  std::array<std::uint8_t, 16> octets_{};
};

inline constexpr Ipv6Addr Ipv6Addr::localhost{0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr Ipv6Addr Ipv6Addr::unspecified{};

constexpr Ipv6Addr Ipv4Addr::to_ipv6_mapped() const noexcept {
  return Ipv6Addr(0, 0, 0, 0, 0, 0xffff, std::uint16_t(bits_ >> 16), std::uint16_t(bits_));
}

constexpr bool Ipv6Addr::is_global() const noexcept {
  const std::uint16_t s0 = segment(0), s1 = segment(1), s2 = segment(2);
  const bool ietf_protocol_assignment =  // 2001::/23 minus its globally reachable parts
      s0 == 0x2001 && s1 < 0x200 &&
      !(*this == Ipv6Addr(0x2001, 1, 0, 0, 0, 0, 0, 1) ||
        *this == Ipv6Addr(0x2001, 1, 0, 0, 0, 0, 0, 2) || s1 == 3 || (s1 == 4 && s2 == 0x112) ||
        (s1 >= 0x20 && s1 <= 0x3f));
  return !(is_unspecified() || is_loopback() || is_ipv4_mapped() ||
           (s0 == 0x64 && s1 == 0xff9b && s2 == 1) ||                         // 64:ff9b:1::/48
           (s0 == 0x100 && s1 == 0 && s2 == 0 && segment(3) == 0) ||          // 100::/64
           ietf_protocol_assignment || s0 == 0x2002 || is_documentation() ||  // 2002::/16
           s0 == 0x5f00 || is_unique_local() || is_link_local() || is_multicast());
}

// Either an IPv4 or an IPv6 address. Orders every IPv4 address before every IPv6 address.
class IpAddr {
 public:
  // The longest text to_chars() writes.
  static constexpr std::size_t max_string_len = Ipv6Addr::max_string_len;

  // 0.0.0.0.
  constexpr IpAddr() noexcept = default;
  constexpr IpAddr(Ipv4Addr a) noexcept : addr_(a) {}         // NOLINT: implicit by design
  constexpr IpAddr(const Ipv6Addr& a) noexcept : addr_(a) {}  // NOLINT: implicit by design

  // IPv6 text if it contains a ':', IPv4 text otherwise (the error names the family tried).
  static Result<IpAddr> parse(std::string_view text);

  constexpr bool is_ipv4() const noexcept { return addr_.index() == 0; }
  constexpr bool is_ipv6() const noexcept { return addr_.index() == 1; }
  constexpr std::optional<Ipv4Addr> as_ipv4() const noexcept {
    if (is_ipv4()) return std::get<0>(addr_);
    return std::nullopt;
  }
  constexpr std::optional<Ipv6Addr> as_ipv6() const noexcept {
    if (is_ipv6()) return std::get<1>(addr_);
    return std::nullopt;
  }
  // Calls f(Ipv4Addr) or f(const Ipv6Addr&).
  template <class F>
  constexpr decltype(auto) visit(F&& f) const {
    return std::visit(std::forward<F>(f), addr_);
  }

  // The IPv4 address for an IPv4-mapped IPv6 address, the address itself otherwise.
  constexpr IpAddr to_canonical() const noexcept {
    if (is_ipv6()) {
      if (auto v4 = std::get<1>(addr_).to_ipv4_mapped()) return *v4;
    }
    return *this;
  }

  // Classification. Unlike Rust (and like Go's netip), an IPv4-mapped IPv6 address is
  // classified as the IPv4 address it maps: ::ffff:127.0.0.1 is a loopback address here.
  constexpr bool is_unspecified() const noexcept {
    return classify(&V4::is_unspecified, &V6::is_unspecified);
  }
  constexpr bool is_loopback() const noexcept {
    return classify(&V4::is_loopback, &V6::is_loopback);
  }
  // IPv4 RFC 1918 or IPv6 unique local (fc00::/7).
  constexpr bool is_private() const noexcept {
    return classify(&V4::is_private, &V6::is_unique_local);
  }
  constexpr bool is_link_local() const noexcept {
    return classify(&V4::is_link_local, &V6::is_link_local);
  }
  constexpr bool is_multicast() const noexcept {
    return classify(&V4::is_multicast, &V6::is_multicast);
  }
  constexpr bool is_documentation() const noexcept {
    return classify(&V4::is_documentation, &V6::is_documentation);
  }
  constexpr bool is_benchmarking() const noexcept {
    return classify(&V4::is_benchmarking, &V6::is_benchmarking);
  }
  constexpr bool is_global() const noexcept { return classify(&V4::is_global, &V6::is_global); }
  // IPv4 255.255.255.255 (or its mapped form); IPv6 has no broadcast.
  constexpr bool is_broadcast() const noexcept {
    const IpAddr c = to_canonical();
    return c.is_ipv4() && std::get<0>(c.addr_).is_broadcast();
  }

  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  friend constexpr bool operator==(const IpAddr& a, const IpAddr& b) noexcept {
    return a.addr_ == b.addr_;
  }
  friend constexpr std::strong_ordering operator<=>(const IpAddr& a, const IpAddr& b) noexcept {
    if (a.addr_.index() != b.addr_.index()) return a.addr_.index() <=> b.addr_.index();
    if (a.is_ipv4()) return std::get<0>(a.addr_) <=> std::get<0>(b.addr_);
    return std::get<1>(a.addr_) <=> std::get<1>(b.addr_);
  }

 private:
  using V4 = Ipv4Addr;
  using V6 = Ipv6Addr;
  constexpr bool classify(bool (V4::*p4)() const noexcept,
                          bool (V6::*p6)() const noexcept) const noexcept {
    const IpAddr c = to_canonical();
    return c.is_ipv4() ? (std::get<0>(c.addr_).*p4)() : (std::get<1>(c.addr_).*p6)();
  }

  std::variant<Ipv4Addr, Ipv6Addr> addr_;
};

std::ostream& operator<<(std::ostream& os, Ipv4Addr a);
std::ostream& operator<<(std::ostream& os, const Ipv6Addr& a);
std::ostream& operator<<(std::ostream& os, const IpAddr& a);

namespace detail {
// A 64-bit finaliser (splitmix64) so that hashes of nearby addresses spread over all bits.
constexpr std::size_t hash_mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<std::size_t>(x);
}
constexpr std::uint64_t load_be64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}
}  // namespace detail

}  // namespace strata::net

template <>
struct std::hash<strata::net::Ipv4Addr> {
  std::size_t operator()(strata::net::Ipv4Addr a) const noexcept {
    return strata::net::detail::hash_mix(a.to_bits());
  }
};

template <>
struct std::hash<strata::net::Ipv6Addr> {
  std::size_t operator()(const strata::net::Ipv6Addr& a) const noexcept {
    using strata::net::detail::hash_mix;
    using strata::net::detail::load_be64;
    return hash_mix(load_be64(a.octets().data()) ^ hash_mix(load_be64(a.octets().data() + 8)));
  }
};

template <>
struct std::hash<strata::net::IpAddr> {
  std::size_t operator()(const strata::net::IpAddr& a) const noexcept {
    if (auto v4 = a.as_ipv4()) return std::hash<strata::net::Ipv4Addr>()(*v4);
    return std::hash<strata::net::Ipv6Addr>()(*a.as_ipv6()) ^ 0x9e3779b97f4a7c15ULL;
  }
};
