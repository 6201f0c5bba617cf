// Fuzzes the address parsers of strata/net (Ipv4Addr, Ipv6Addr, IpAddr, SocketAddrV4,
// SocketAddrV6, SocketAddr) and SocketAddr::from_sockaddr. For every input:
//
//   - every parser either fails with Errc::invalid_input and a context, or succeeds; on success
//     to_string() fits max_string_len, equals to_chars(), re-parses to an equal value, and is a
//     fixed point (formatting the re-parsed value gives the same text: canonical, idempotent);
//   - IpAddr and SocketAddr agree with the family parser they dispatch to;
//   - Ipv4Addr/Ipv6Addr accept exactly what glibc's inet_pton accepts, with the same bytes (the
//     grammars coincide: dotted decimal without leading zeros; RFC 4291 §2.2), and the IPv6
//     text equals inet_ntop's, except for one deliberate difference: glibc prints addresses
//     whose first six groups are zero (and seventh is not) in the deprecated IPv4-compatible
//     form ::a.b.c.d, RFC 5952 and Strata print them in hex (::102:304);
//   - the raw bytes, read as a sockaddr of that length, either fail or round-trip through
//     to_sockaddr(); ASan catches any read outside the input.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "strata/net.hpp"

namespace {

using namespace strata::net;

[[noreturn]] void die(const char* what, std::string_view input) {
  std::fprintf(stderr, "addr fuzz: %s; input (%zu bytes): \"%.*s\"\n", what, input.size(),
               int(input.size()), input.data());
  std::abort();
}

void check(bool ok, const char* what, std::string_view input) {
  if (!ok) die(what, input);
}

// Parses with T; on success checks the formatting contract. Returns the parse result.
template <class T>
strata::Result<T> parse_and_check(std::string_view text) {
  strata::Result<T> r = T::parse(text);
  if (!r) {
    check(r.error() == strata::Errc::invalid_input, "error is not invalid_input", text);
    check(!r.error().context().empty(), "error has no context", text);
    return r;
  }
  const std::string s = r->to_string();
  check(s.size() <= T::max_string_len, "to_string longer than max_string_len", text);
  char buf[T::max_string_len];
  check(std::string_view(buf, std::size_t(r->to_chars(buf) - buf)) == s,
        "to_chars differs from to_string", text);
  strata::Result<T> again = T::parse(s);
  check(again.has_value(), "to_string output does not parse", s);
  check(*again == *r, "to_string output parses to a different value", s);
  check(!(*again < *r) && !(*r < *again), "ordering disagrees with equality", s);
  check(again->to_string() == s, "formatting is not idempotent", s);
  return r;
}

bool glibc_prints_compatible(const Ipv6Addr& a) {
  for (std::size_t i = 0; i < 6; ++i) {
    if (a.segment(i) != 0) return false;
  }
  return a.segment(6) != 0;
}

void cross_check_inet(std::string_view text, const strata::Result<Ipv4Addr>& v4,
                      const strata::Result<Ipv6Addr>& v6) {
  if (text.find('\0') != std::string_view::npos) {
    // inet_pton would stop at the NUL; NUL is in neither grammar.
    check(!v4 && !v6, "accepted a NUL byte", text);
    return;
  }
  const std::string z(text);
  in_addr raw4;
  const bool glibc4 = inet_pton(AF_INET, z.c_str(), &raw4) == 1;
  check(glibc4 == v4.has_value(), "ipv4 acceptance differs from inet_pton", text);
  if (glibc4) check(htonl(v4->to_bits()) == raw4.s_addr, "ipv4 bytes differ", text);

  in6_addr raw6;
  const bool glibc6 = inet_pton(AF_INET6, z.c_str(), &raw6) == 1;
  check(glibc6 == v6.has_value(), "ipv6 acceptance differs from inet_pton", text);
  if (!glibc6) return;
  check(std::memcmp(&raw6, v6->octets().data(), 16) == 0, "ipv6 bytes differ", text);
  if (!glibc_prints_compatible(*v6)) {
    char buf[INET6_ADDRSTRLEN];
    check(inet_ntop(AF_INET6, &raw6, buf, sizeof buf) != nullptr, "inet_ntop failed", text);
    check(v6->to_string() == buf, "ipv6 text differs from inet_ntop", text);
  }
}

// Classification: the blocks are disjoint where the RFCs make them so, is_global() excludes
// every special block, and IpAddr classifies a mapped address as its IPv4 address.
void check_classification(const IpAddr& a, std::string_view input) {
  const int special = a.is_unspecified() + a.is_loopback() + a.is_private() + a.is_link_local() +
                      a.is_multicast() + a.is_broadcast() + a.is_documentation() +
                      a.is_benchmarking();
  check(special <= 1, "address in more than one special block", input);
  check(!(a.is_global() && special != 0), "is_global() on a special address", input);
  if (auto v6 = a.as_ipv6()) {
    check(v6->multicast_scope().has_value() <= v6->is_multicast(), "scope on unicast", input);
    if (auto v4 = v6->to_ipv4_mapped()) {
      check(v4->to_ipv6_mapped() == *v6, "mapping does not round-trip", input);
      check(a.to_canonical() == IpAddr(*v4), "to_canonical differs", input);
      const IpAddr plain(*v4);
      check(a.is_loopback() == plain.is_loopback() && a.is_private() == plain.is_private() &&
                a.is_global() == plain.is_global() && a.is_multicast() == plain.is_multicast() &&
                a.is_broadcast() == plain.is_broadcast() &&
                a.is_link_local() == plain.is_link_local(),
            "mapped address classified differently", input);
      check(!v6->is_global() && !v6->is_loopback(), "Ipv6Addr looked through a mapping", input);
    }
  }
}

void check_sockaddr(const std::uint8_t* data, std::size_t size) {
  const auto len = socklen_t(size);
  auto sa = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(data), len);
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (!sa) {
    check(sa.error() == strata::Errc::invalid_input, "sockaddr error is not invalid_input", raw);
    return;
  }
  sockaddr_storage ss;
  const socklen_t out_len = sa->to_sockaddr(ss);
  check(out_len <= len, "to_sockaddr longer than the input", raw);
  auto back = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), out_len);
  check(back.has_value() && *back == *sa, "sockaddr does not round-trip", raw);
  auto text = SocketAddr::parse(sa->to_string());
  check(text.has_value(), "sockaddr text does not parse", raw);
  // Text carries no flow info: compare the rest.
  check(text->ip() == sa->ip() && text->port() == sa->port(), "sockaddr text differs", raw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto v4 = parse_and_check<Ipv4Addr>(text);
  const auto v6 = parse_and_check<Ipv6Addr>(text);
  const auto ip = parse_and_check<IpAddr>(text);
  if (text.find(':') != std::string_view::npos) {
    check(ip.has_value() == v6.has_value(), "IpAddr disagrees with Ipv6Addr", text);
    if (ip) check(*ip == IpAddr(*v6), "IpAddr value differs from Ipv6Addr", text);
  } else {
    check(ip.has_value() == v4.has_value(), "IpAddr disagrees with Ipv4Addr", text);
    if (ip) check(*ip == IpAddr(*v4), "IpAddr value differs from Ipv4Addr", text);
  }
  cross_check_inet(text, v4, v6);
  if (ip) check_classification(*ip, text);

  const auto s4 = parse_and_check<SocketAddrV4>(text);
  const auto s6 = parse_and_check<SocketAddrV6>(text);
  const auto sa = parse_and_check<SocketAddr>(text);
  check(!(s4 && s6), "both SocketAddrV4 and SocketAddrV6 accept", text);
  if (!text.empty() && text[0] == '[') {
    check(sa.has_value() == s6.has_value(), "SocketAddr disagrees with SocketAddrV6", text);
    if (sa) check(*sa == SocketAddr(*s6), "SocketAddr value differs from SocketAddrV6", text);
  } else {
    check(sa.has_value() == s4.has_value(), "SocketAddr disagrees with SocketAddrV4", text);
    if (sa) check(*sa == SocketAddr(*s4), "SocketAddr value differs from SocketAddrV4", text);
  }
  if (s6) {
    // The address inside the brackets is an Ipv6Addr in its own right.
    const std::size_t end = text.find_first_of("%]");
    check(Ipv6Addr::parse(text.substr(1, end - 1)) == s6->ip(), "bracketed address differs", text);
  }

  check_sockaddr(data, size);
  return 0;
}
