// Address types of strata/net: parsing (valid and invalid forms, with the reason), canonical
// formatting (RFC 5952), classification, ordering and hashing, sockaddr conversions, and
// cross-checks against glibc's inet_pton/inet_ntop on random inputs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "strata/net.hpp"

// Counts allocations while `counting` is set, to prove that successful parsing allocates nothing.
#include "../support/count_allocations.hpp"

namespace strata::net {
namespace {

using namespace std::string_view_literals;

// ---------------------------------------------------------------------------------------------
// Compile-time API: constants, constructors and classification are constexpr.

static_assert(Ipv4Addr::localhost == Ipv4Addr(127, 0, 0, 1));
static_assert(Ipv4Addr::unspecified.is_unspecified());
static_assert(Ipv4Addr::broadcast.to_bits() == 0xffffffff);
static_assert(Ipv4Addr(10, 1, 2, 3).is_private());
static_assert(Ipv4Addr::from_bits(0xc0000201).octets() ==
              std::array<std::uint8_t, 4>{192, 0, 2, 1});
static_assert(Ipv6Addr::localhost.is_loopback());
static_assert(Ipv6Addr::unspecified == Ipv6Addr());
static_assert(Ipv6Addr(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).segment(1) == 0xdb8);
static_assert(Ipv4Addr(192, 0, 2, 1).to_ipv6_mapped().to_ipv4_mapped() == Ipv4Addr(192, 0, 2, 1));
static_assert(IpAddr(Ipv4Addr::localhost.to_ipv6_mapped()).is_loopback());
static_assert(IpAddr(Ipv4Addr(1, 2, 3, 4)) < IpAddr(Ipv6Addr()));
static_assert(SocketAddr(IpAddr(Ipv6Addr::localhost), 80).port() == 80);
static_assert(sizeof(Ipv4Addr) == 4 && sizeof(Ipv6Addr) == 16);
static_assert(std::is_trivially_copyable_v<IpAddr> && std::is_trivially_copyable_v<SocketAddr>);

// ---------------------------------------------------------------------------------------------
// Helpers

struct Invalid {
  std::string_view text;
  std::string_view reason;  // the Error's context
};

template <class T>
void expect_invalid(const Invalid& row) {
  auto r = T::parse(row.text);
  ASSERT_FALSE(r.has_value()) << "accepted \"" << row.text << "\" as " << *r;
  EXPECT_TRUE(r.error() == Errc::invalid_input) << row.text;
  EXPECT_EQ(r.error().context(), row.reason) << "input \"" << row.text << "\"";
}

std::string ntop6(const Ipv6Addr& a) {
  char buf[INET6_ADDRSTRLEN];
  EXPECT_NE(inet_ntop(AF_INET6, a.octets().data(), buf, sizeof buf), nullptr);
  return buf;
}

// glibc prints IPv6 addresses whose first six groups are zero (and seventh is not) in the
// deprecated IPv4-compatible form ::a.b.c.d; RFC 5952 and Strata print them in hex.
bool glibc_prints_compatible(const Ipv6Addr& a) {
  auto s = a.segments();
  for (int i = 0; i < 6; ++i) {
    if (s[i] != 0) return false;
  }
  return s[6] != 0;
}

// Random addresses with many zero groups, so that every compression case occurs.
Ipv6Addr random_ipv6(std::mt19937_64& rng) {
  std::array<std::uint16_t, 8> s{};
  const int mode = int(rng() % 8);
  for (auto& g : s) {
    const auto r = rng();
    g = (r & 1) ? 0 : std::uint16_t(r >> 8);
    if (mode == 0 && (r & 2)) g = std::uint16_t((r >> 16) & 0xf);  // short groups
  }
  if (mode == 1) s = {0, 0, 0, 0, 0, 0xffff, std::uint16_t(rng()), std::uint16_t(rng())};
  if (mode == 2) s = {0, 0, 0, 0, 0, 0, std::uint16_t(rng()), std::uint16_t(rng())};
  return Ipv6Addr(s);
}

Ipv4Addr random_ipv4(std::mt19937_64& rng) {
  return Ipv4Addr::from_bits(std::uint32_t(rng()));
}

// ---------------------------------------------------------------------------------------------
// Ipv4Addr parsing and formatting

TEST(Ipv4Addr, ParsesDottedDecimalAndPrintsItBack) {
  struct Row {
    std::string_view text;
    std::array<std::uint8_t, 4> octets;
  };
  const Row rows[] = {
      {"0.0.0.0", {0, 0, 0, 0}},           {"255.255.255.255", {255, 255, 255, 255}},
      {"127.0.0.1", {127, 0, 0, 1}},       {"1.2.3.4", {1, 2, 3, 4}},
      {"10.0.0.1", {10, 0, 0, 1}},         {"192.168.100.200", {192, 168, 100, 200}},
      {"0.1.2.3", {0, 1, 2, 3}},           {"100.64.0.0", {100, 64, 0, 0}},
      {"9.99.199.249", {9, 99, 199, 249}}, {"250.251.252.253", {250, 251, 252, 253}},
  };
  for (const auto& row : rows) {
    auto a = Ipv4Addr::parse(row.text);
    ASSERT_TRUE(a) << row.text << ": " << a.error().message();
    EXPECT_EQ(a->octets(), row.octets) << row.text;
    EXPECT_EQ(a->to_string(), row.text);
  }
}

TEST(Ipv4Addr, RejectsMalformedTextWithTheReason) {
  const Invalid rows[] = {
      {"", "ipv4: empty address"},
      {"1", "ipv4: fewer than 4 octets"},
      {"1.2", "ipv4: fewer than 4 octets"},
      {"1.2.3", "ipv4: fewer than 4 octets"},
      {"4294967295", "ipv4: octet out of range"},
      {"1.2.3.4.5", "ipv4: more than 4 octets"},
      {"1.2.3.4.", "ipv4: more than 4 octets"},
      {"01.2.3.4", "ipv4: leading zero in octet"},
      {"1.2.3.04", "ipv4: leading zero in octet"},
      {"00.1.1.1", "ipv4: leading zero in octet"},
      {"012.004.002.000", "ipv4: leading zero in octet"},
      {"0000000.0.0.0", "ipv4: leading zero in octet"},
      {"256.1.1.1", "ipv4: octet out of range"},
      {"1.2.3.1000", "ipv4: octet out of range"},
      {"1.2.3.99999999999999999999", "ipv4: octet out of range"},
      {"1..2.3", "ipv4: empty octet"},
      {".1.2.3", "ipv4: empty octet"},
      {"1.2.3.", "ipv4: empty octet"},
      {"...", "ipv4: empty octet"},
      {"1.2.3.4 ", "ipv4: unexpected character"},
      {" 1.2.3.4", "ipv4: unexpected character"},
      {"1.2.3.-4", "ipv4: unexpected character"},
      {"+1.2.3.4", "ipv4: unexpected character"},
      {"0x1.2.3.4", "ipv4: unexpected character"},
      {"0xcb.0x0.0x71.0x00", "ipv4: unexpected character"},
      {"1.2.3.4/24", "ipv4: unexpected character"},
      {"1.2.3.4:80", "ipv4: unexpected character"},
      {"1,2,3,4", "ipv4: unexpected character"},
      {"a.b.c.d", "ipv4: unexpected character"},
      {"\xef\xbc\x91.2.3.4", "ipv4: unexpected character"},  // fullwidth digit one
      {"1.2.3.4\0"sv, "ipv4: unexpected character"},
      {"1.2\0.3.4"sv, "ipv4: unexpected character"},
      {"::1", "ipv4: unexpected character"},
  };
  for (const auto& row : rows) expect_invalid<Ipv4Addr>(row);
}

// ---------------------------------------------------------------------------------------------
// Ipv6Addr parsing and canonical formatting

struct Canonical {
  std::string_view text;
  std::string_view canonical;
};

TEST(Ipv6Addr, FormatsTheRfc5952ExamplesCanonically) {
  const Canonical rows[] = {
      // §2.1: eight spellings of one address.
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8::1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0db8::1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8:0:0:1::1", "2001:db8::1:0:0:1"},
      {"2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"},
      {"2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"},
      // §2.2: leading zeros, and "::" for a single group on input.
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:01", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd::1", "2001:db8:aaaa:bbbb:cccc:dddd:0:1"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:0:1", "2001:db8:aaaa:bbbb:cccc:dddd:0:1"},
      // §2.3: how much to compress.
      {"2001:db8:0:0:0::1", "2001:db8::1"},
      {"2001:db8:0:0::1", "2001:db8::1"},
      {"2001:db8:0::1", "2001:db8::1"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:db8::aaaa:0:0:1", "2001:db8::aaaa:0:0:1"},
      {"2001:db8:0:0:aaaa::1", "2001:db8::aaaa:0:0:1"},
      // §2.4: case.
      {"2001:db8::aaaa", "2001:db8::aaaa"},
      {"2001:db8::AAAA", "2001:db8::aaaa"},
      {"2001:db8::aaAA", "2001:db8::aaaa"},
      // §4.1: leading zeros; §4.2.1: "::" as long as possible.
      {"2001:0db8::0001", "2001:db8::1"},
      {"2001:db8::0:1", "2001:db8::1"},
      // §4.2.2: one 16-bit zero field is not compressed.
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      // §4.2.3: the longest run, the first one on ties.
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      // §4.3: lowercase.
      {"2001:DB8::ABCD:EF", "2001:db8::abcd:ef"},
      // §5: IPv4-mapped addresses keep their dotted tail.
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"0:0:0:0:0:ffff:c000:201", "::ffff:192.0.2.1"},
      {"::FFFF:C000:0201", "::ffff:192.0.2.1"},
      {"0000:0000:0000:0000:0000:ffff:192.0.2.1", "::ffff:192.0.2.1"},
  };
  for (const auto& row : rows) {
    auto a = Ipv6Addr::parse(row.text);
    ASSERT_TRUE(a) << row.text << ": " << a.error().message();
    EXPECT_EQ(a->to_string(), row.canonical) << "input " << row.text;
  }
}

TEST(Ipv6Addr, ParsesEveryTextFormAndPlacesTheGroups) {
  struct Row {
    std::string_view text;
    std::array<std::uint16_t, 8> segments;
    std::string_view canonical;
  };
  const Row rows[] = {
      {"::", {0, 0, 0, 0, 0, 0, 0, 0}, "::"},
      {"::1", {0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
      {"1::", {1, 0, 0, 0, 0, 0, 0, 0}, "1::"},
      {"0:0:0:0:0:0:0:0", {0, 0, 0, 0, 0, 0, 0, 0}, "::"},
      {"0:0:0:0:0:0:0:1", {0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
      {"1:2:3:4:5:6:7:8", {1, 2, 3, 4, 5, 6, 7, 8}, "1:2:3:4:5:6:7:8"},
      {"1:2:3:4:5:6:7::", {1, 2, 3, 4, 5, 6, 7, 0}, "1:2:3:4:5:6:7:0"},
      {"::2:3:4:5:6:7:8", {0, 2, 3, 4, 5, 6, 7, 8}, "0:2:3:4:5:6:7:8"},
      {"1::8", {1, 0, 0, 0, 0, 0, 0, 8}, "1::8"},
      {"1:2::7:8", {1, 2, 0, 0, 0, 0, 7, 8}, "1:2::7:8"},
      {"1:0:0:2:0:0:0:3", {1, 0, 0, 2, 0, 0, 0, 3}, "1:0:0:2::3"},
      {"1:0:0:0:2:0:0:3", {1, 0, 0, 0, 2, 0, 0, 3}, "1::2:0:0:3"},
      {"0:0:1:0:0:1:0:0", {0, 0, 1, 0, 0, 1, 0, 0}, "::1:0:0:1:0:0"},
      {"1:0:1:0:1:0:1:0", {1, 0, 1, 0, 1, 0, 1, 0}, "1:0:1:0:1:0:1:0"},
      {"ffff:FFFF:fFfF:FFff:ffff:ffff:ffff:ffff",
       {0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff},
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"fe80::1", {0xfe80, 0, 0, 0, 0, 0, 0, 1}, "fe80::1"},
      {"ff02::1:ff00:1", {0xff02, 0, 0, 0, 0, 1, 0xff00, 1}, "ff02::1:ff00:1"},
      // Embedded IPv4 (RFC 4291 §2.2 form 3).
      {"::1.2.3.4", {0, 0, 0, 0, 0, 0, 0x102, 0x304}, "::102:304"},
      {"::0.0.0.0", {0, 0, 0, 0, 0, 0, 0, 0}, "::"},
      {"::ffff:1.2.3.4", {0, 0, 0, 0, 0, 0xffff, 0x102, 0x304}, "::ffff:1.2.3.4"},
      {"::ffff:0:0", {0, 0, 0, 0, 0, 0xffff, 0, 0}, "::ffff:0.0.0.0"},
      {"::ffff:ffff:ffff", {0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff}, "::ffff:255.255.255.255"},
      {"0:0:0:0:0:0:255.255.255.255", {0, 0, 0, 0, 0, 0, 0xffff, 0xffff}, "::ffff:ffff"},
      {"1:2:3:4:5:6:1.2.3.4", {1, 2, 3, 4, 5, 6, 0x102, 0x304}, "1:2:3:4:5:6:102:304"},
      {"1::1.2.3.4", {1, 0, 0, 0, 0, 0, 0x102, 0x304}, "1::102:304"},
      {"1:2:3:4:5::1.2.3.4", {1, 2, 3, 4, 5, 0, 0x102, 0x304}, "1:2:3:4:5:0:102:304"},
      {"64:ff9b::192.0.2.33", {0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x221}, "64:ff9b::c000:221"},
      {"::ffff:0:1.2.3.4", {0, 0, 0, 0, 0xffff, 0, 0x102, 0x304}, "::ffff:0:102:304"},
  };
  for (const auto& row : rows) {
    auto a = Ipv6Addr::parse(row.text);
    ASSERT_TRUE(a) << row.text << ": " << a.error().message();
    EXPECT_EQ(a->segments(), row.segments) << row.text;
    EXPECT_EQ(*a, Ipv6Addr(row.segments)) << row.text;
    EXPECT_EQ(a->to_string(), row.canonical) << row.text;
  }
}

TEST(Ipv6Addr, RejectsMalformedTextWithTheReason) {
  const Invalid rows[] = {
      {"", "ipv6: empty address"},
      {":", "ipv6: leading single ':'"},
      {":1::", "ipv6: leading single ':'"},
      {":1:2:3:4:5:6:7:8", "ipv6: leading single ':'"},
      {"1:", "ipv6: trailing ':'"},
      {"1::2:", "ipv6: trailing ':'"},
      {"1:2:3:4:5:6:7:8:", "ipv6: trailing ':'"},
      {":::", "ipv6: empty group"},
      {"1:::2", "ipv6: empty group"},
      {"::1:::", "ipv6: more than one '::'"},
      {"1::2::3", "ipv6: more than one '::'"},
      {"::1::", "ipv6: more than one '::'"},
      {"::1::2", "ipv6: more than one '::'"},
      {"1:2:3:4:5:6:7:8:9", "ipv6: too many groups"},
      {"1:2:3:4:5:6:7:8:1.2.3.4", "ipv6: too many groups"},
      {"1:2:3:4:5:6:7:1.2.3.4", "ipv6: too many groups"},
      {"1:2:3:4:5:6:7:8::", "ipv6: too many groups ('::' stands for at least one)"},
      {"::1:2:3:4:5:6:7:8", "ipv6: too many groups ('::' stands for at least one)"},
      {"1::2:3:4:5:6:7:8", "ipv6: too many groups ('::' stands for at least one)"},
      {"1:2:3:4:5:6::1.2.3.4", "ipv6: too many groups ('::' stands for at least one)"},
      {"1:2:3:4:5:6:7", "ipv6: fewer than 8 groups and no '::'"},
      {"1", "ipv6: fewer than 8 groups and no '::'"},
      {"ffff:1.2.3.4", "ipv6: fewer than 8 groups and no '::'"},
      {"1.2.3.4", "ipv6: fewer than 8 groups and no '::'"},
      {"12345::", "ipv6: group has more than 4 hex digits"},
      {"::00000", "ipv6: group has more than 4 hex digits"},
      {"1:2:3:4:5:6:7:123456789", "ipv6: group has more than 4 hex digits"},
      {"g::", "ipv6: unexpected character"},
      {"::g", "ipv6: unexpected character"},
      {"1:2:3:4:5:6:7:8 ", "ipv6: unexpected character"},
      {" ::1", "ipv6: unexpected character"},
      {"::1\n", "ipv6: unexpected character"},
      {"::-1", "ipv6: unexpected character"},
      {"::+1", "ipv6: unexpected character"},
      {"::0x1", "ipv6: unexpected character"},
      {"[::1]", "ipv6: unexpected character"},
      {"::1/128", "ipv6: unexpected character"},
      {"::1\0"sv, "ipv6: unexpected character"},
      {"fe80::1%eth0", "ipv6: zone id not allowed (only in a socket address)"},
      {"fe80::1%3", "ipv6: zone id not allowed (only in a socket address)"},
      {"fe80::%3", "ipv6: zone id not allowed (only in a socket address)"},
      {"::ffff:01.2.3.4", "ipv6: invalid embedded ipv4"},
      {"::ffff:1.2.3", "ipv6: invalid embedded ipv4"},
      {"::ffff:256.1.1.1", "ipv6: invalid embedded ipv4"},
      {"::ffff:1.2.3.4.5", "ipv6: invalid embedded ipv4"},
      {"::1.2.3.4:5", "ipv6: invalid embedded ipv4"},
      {"::1.2.3.4::", "ipv6: invalid embedded ipv4"},
      {"1.2.3.4::", "ipv6: invalid embedded ipv4"},
      {"::a.2.3.4", "ipv6: invalid embedded ipv4"},
      {"::12345.1.1.1", "ipv6: invalid embedded ipv4"},
      {"::.1.2.3", "ipv6: invalid embedded ipv4"},
  };
  for (const auto& row : rows) expect_invalid<Ipv6Addr>(row);
}

// ---------------------------------------------------------------------------------------------
// IpAddr

TEST(IpAddr, ParseDispatchesOnColonAndKeepsTheFamilyError) {
  auto v4 = IpAddr::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_ipv4());
  EXPECT_EQ(v4->as_ipv4(), Ipv4Addr(192, 0, 2, 1));
  EXPECT_EQ(v4->as_ipv6(), std::nullopt);

  auto v6 = IpAddr::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_ipv6());
  EXPECT_EQ(v6->as_ipv6(), Ipv6Addr(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(v6->to_string(), "2001:db8::1");

  // A mapped address stays IPv6 until to_canonical().
  auto mapped = IpAddr::parse("::ffff:10.0.0.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_ipv6());
  EXPECT_EQ(mapped->to_canonical(), IpAddr(Ipv4Addr(10, 0, 0, 1)));
  EXPECT_EQ(v6->to_canonical(), *v6);

  expect_invalid<IpAddr>({"01.2.3.4", "ipv4: leading zero in octet"});
  expect_invalid<IpAddr>({"1::2::3", "ipv6: more than one '::'"});
  expect_invalid<IpAddr>({"", "ipv4: empty address"});
  expect_invalid<IpAddr>({"localhost", "ipv4: unexpected character"});
  expect_invalid<IpAddr>({"fe80::1%lo", "ipv6: zone id not allowed (only in a socket address)"});

  EXPECT_EQ(v4->visit([](const auto& a) { return a.to_string(); }), "192.0.2.1");
}

// ---------------------------------------------------------------------------------------------
// Classification

constexpr unsigned kUnspecified = 1, kLoopback = 2, kPrivate = 4, kLinkLocal = 8, kMulticast = 16,
                   kBroadcast = 32, kDocumentation = 64, kGlobal = 128;

unsigned flags(const IpAddr& a) {
  return (a.is_unspecified() ? kUnspecified : 0u) | (a.is_loopback() ? kLoopback : 0u) |
         (a.is_private() ? kPrivate : 0u) | (a.is_link_local() ? kLinkLocal : 0u) |
         (a.is_multicast() ? kMulticast : 0u) | (a.is_broadcast() ? kBroadcast : 0u) |
         (a.is_documentation() ? kDocumentation : 0u) | (a.is_global() ? kGlobal : 0u);
}

struct Classified {
  std::string_view text;
  unsigned flags;
};

TEST(Ipv4Addr, ClassifiesTheSpecialPurposeBlocks) {
  const Classified rows[] = {
      {"0.0.0.0", kUnspecified},
      {"0.1.2.3", 0},  // "this network", 0/8
      {"127.0.0.1", kLoopback},
      {"127.255.255.254", kLoopback},
      {"10.0.0.0", kPrivate},
      {"10.255.255.255", kPrivate},
      {"172.16.0.1", kPrivate},
      {"172.31.255.255", kPrivate},
      {"172.15.255.255", kGlobal},
      {"172.32.0.0", kGlobal},
      {"192.168.0.1", kPrivate},
      {"192.169.0.1", kGlobal},
      {"169.254.1.1", kLinkLocal},
      {"169.253.1.1", kGlobal},
      {"224.0.0.1", kMulticast},
      {"239.255.255.255", kMulticast},
      {"255.255.255.255", kBroadcast},
      {"240.0.0.1", 0},  // reserved
      {"192.0.2.1", kDocumentation},
      {"198.51.100.7", kDocumentation},
      {"203.0.113.255", kDocumentation},
      {"100.64.0.1", 0},  // shared (CGN)
      {"100.128.0.1", kGlobal},
      {"198.18.0.1", 0},  // benchmarking
      {"198.19.255.255", 0},
      {"198.20.0.0", kGlobal},
      {"192.0.0.8", 0},  // IETF protocol assignments
      {"192.0.0.9", kGlobal},
      {"192.0.0.10", kGlobal},
      {"192.0.0.11", 0},
      {"8.8.8.8", kGlobal},
      {"1.1.1.1", kGlobal},
      {"223.255.255.255", kGlobal},
  };
  for (const auto& row : rows) {
    auto a = Ipv4Addr::parse(row.text);
    ASSERT_TRUE(a) << row.text;
    EXPECT_EQ(flags(*a), row.flags) << row.text;
    // IpAddr classifies an IPv4-mapped IPv6 address as the IPv4 address it maps.
    EXPECT_EQ(flags(a->to_ipv6_mapped()), row.flags) << "::ffff:" << row.text;
  }
  EXPECT_TRUE(Ipv4Addr(100, 64, 0, 1).is_shared());
  EXPECT_TRUE(Ipv4Addr(198, 18, 0, 1).is_benchmarking());
  EXPECT_TRUE(Ipv4Addr(240, 0, 0, 1).is_reserved());
  EXPECT_FALSE(Ipv4Addr::broadcast.is_reserved());
}

TEST(Ipv6Addr, ClassifiesTheSpecialPurposeBlocks) {
  const Classified rows[] = {
      {"::", kUnspecified},
      {"::1", kLoopback},
      {"::2", kGlobal},  // IPv4-compatible ::0.0.0.2 is not special in the registry
      {"fc00::1", kPrivate},
      {"fdff:ffff::1", kPrivate},
      {"fe00::1", kGlobal},
      {"fe80::1", kLinkLocal},
      {"febf:ffff::1", kLinkLocal},
      {"fec0::1", kGlobal},  // deprecated site-local: global unicast per RFC 3879
      {"ff02::1", kMulticast},
      {"ff0e::1", kMulticast},
      {"2001:db8::1", kDocumentation},
      {"3fff::1", kDocumentation},
      {"3fff:fff::1", kDocumentation},
      {"3fff:1000::1", kGlobal},
      {"2001:2::1", 0},  // benchmarking
      {"2001::1", 0},    // TEREDO, inside 2001::/23
      {"2001:1::1", kGlobal},
      {"2001:1::2", kGlobal},
      {"2001:1::3", 0},
      {"2001:3::1", kGlobal},
      {"2001:4:112::1", kGlobal},
      {"2001:20::1", kGlobal},
      {"2001:3f::1", kGlobal},
      {"2001:40::1", 0},
      {"2001:200::1", kGlobal},
      {"2002::1", 0},           // 6to4
      {"64:ff9b::1", kGlobal},  // NAT64 well-known prefix is globally reachable
      {"64:ff9b:1::1", 0},
      {"100::1", 0},  // discard-only
      {"100:0:0:1::1", kGlobal},
      {"5f00::1", 0},  // SRv6 SIDs
      {"2606:4700::1111", kGlobal},
      {"2a00:1450:4001::200e", kGlobal},
  };
  for (const auto& row : rows) {
    auto a = Ipv6Addr::parse(row.text);
    ASSERT_TRUE(a) << row.text;
    EXPECT_EQ(flags(*a), row.flags) << row.text;
  }
  // Ipv6Addr's own predicates do not look through mapped addresses; IpAddr's do.
  const Ipv6Addr mapped_loopback = Ipv4Addr::localhost.to_ipv6_mapped();
  EXPECT_FALSE(mapped_loopback.is_loopback());
  EXPECT_FALSE(mapped_loopback.is_global());
  EXPECT_TRUE(IpAddr(mapped_loopback).is_loopback());
  EXPECT_TRUE(IpAddr(Ipv4Addr(8, 8, 8, 8).to_ipv6_mapped()).is_global());
  EXPECT_TRUE(IpAddr(Ipv4Addr::broadcast.to_ipv6_mapped()).is_broadcast());
  EXPECT_TRUE(mapped_loopback.is_ipv4_mapped());
  EXPECT_TRUE(Ipv6Addr(0x2001, 2, 0, 0, 0, 0, 0, 1).is_benchmarking());
  EXPECT_TRUE(Ipv6Addr(0xfd00, 0, 0, 0, 0, 0, 0, 1).is_unique_local());
}

TEST(Ipv6Addr, ReportsMulticastScope) {
  EXPECT_EQ(Ipv6Addr(0xff01, 0, 0, 0, 0, 0, 0, 1).multicast_scope(),
            Ipv6MulticastScope::interface_local);
  EXPECT_EQ(Ipv6Addr(0xff02, 0, 0, 0, 0, 0, 0, 1).multicast_scope(),
            Ipv6MulticastScope::link_local);
  EXPECT_EQ(Ipv6Addr(0xff05, 0, 0, 0, 0, 0, 0, 1).multicast_scope(),
            Ipv6MulticastScope::site_local);
  EXPECT_EQ(Ipv6Addr(0xff1e, 0, 0, 0, 0, 0, 0, 1).multicast_scope(), Ipv6MulticastScope::global);
  EXPECT_EQ(Ipv6Addr(0xff00, 0, 0, 0, 0, 0, 0, 1).multicast_scope(), std::nullopt);  // reserved
  EXPECT_EQ(Ipv6Addr(0xfe80, 0, 0, 0, 0, 0, 0, 1).multicast_scope(), std::nullopt);
}

TEST(IpAddr, ConvertsBetweenMappedAndPlainForms) {
  const Ipv4Addr v4(192, 0, 2, 1);
  EXPECT_EQ(v4.to_ipv6_mapped(), Ipv6Addr(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x201));
  EXPECT_EQ(v4.to_ipv6_mapped().to_ipv4_mapped(), v4);
  // Only ::ffff:0:0/96 converts; IPv4-compatible and other addresses do not.
  EXPECT_EQ(Ipv6Addr(0, 0, 0, 0, 0, 0, 0xc000, 0x201).to_ipv4_mapped(), std::nullopt);
  EXPECT_EQ(Ipv6Addr::localhost.to_ipv4_mapped(), std::nullopt);
  EXPECT_EQ(Ipv6Addr(0, 0, 0, 0, 1, 0xffff, 0xc000, 0x201).to_ipv4_mapped(), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Ordering and hashing

TEST(IpAddr, OrdersNumericallyWithIpv4First) {
  std::vector<IpAddr> sorted = {
      Ipv4Addr(0, 0, 0, 0),
      Ipv4Addr(1, 2, 3, 4),
      Ipv4Addr(9, 0, 0, 0),
      Ipv4Addr(10, 0, 0, 0),
      Ipv4Addr(255, 255, 255, 255),
      Ipv6Addr(),
      Ipv6Addr::localhost,
      Ipv6Addr(0, 0, 0, 0, 0, 0xffff, 0, 0),
      Ipv6Addr(1, 0, 0, 0, 0, 0, 0, 0),
      Ipv6Addr(0xffff, 0, 0, 0, 0, 0, 0, 0),
  };
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    for (std::size_t j = 0; j < sorted.size(); ++j) {
      EXPECT_EQ(sorted[i] <=> sorted[j], i <=> j) << sorted[i] << " vs " << sorted[j];
      EXPECT_EQ(sorted[i] == sorted[j], i == j);
    }
  }
  EXPECT_NE(IpAddr(Ipv4Addr(1, 2, 3, 4)), IpAddr(Ipv4Addr(1, 2, 3, 4).to_ipv6_mapped()));
}

TEST(SocketAddr, OrdersByAddressThenPortThenFlowinfoThenScope) {
  const SocketAddrV4 a(Ipv4Addr(1, 2, 3, 4), 80), b(Ipv4Addr(1, 2, 3, 4), 81),
      c(Ipv4Addr(1, 2, 3, 5), 1);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  const SocketAddrV6 d(Ipv6Addr::localhost, 80, 0, 0), e(Ipv6Addr::localhost, 80, 0, 1),
      f(Ipv6Addr::localhost, 80, 1, 0), g(Ipv6Addr::localhost, 81, 0, 0);
  EXPECT_LT(d, e);
  EXPECT_LT(e, f);
  EXPECT_LT(f, g);
  EXPECT_NE(d, e);  // the scope id takes part in equality
  EXPECT_NE(d, f);  // and so does the flow info
  EXPECT_LT(SocketAddr(c), SocketAddr(d));
  EXPECT_EQ(SocketAddr(a), SocketAddr(IpAddr(Ipv4Addr(1, 2, 3, 4)), 80));
}

TEST(IpAddr, HashesAgreeWithEqualityAndSpread) {
  std::mt19937_64 rng(7);
  std::unordered_set<IpAddr> ips;
  std::unordered_set<SocketAddr> socks;
  std::set<std::size_t> hashes;
  for (int i = 0; i < 2000; ++i) {
    const IpAddr a = (i % 2) ? IpAddr(random_ipv4(rng)) : IpAddr(random_ipv6(rng));
    ips.insert(a);
    EXPECT_TRUE(ips.contains(*IpAddr::parse(a.to_string())));
    const SocketAddr sa(a, std::uint16_t(i));
    socks.insert(sa);
    EXPECT_TRUE(socks.contains(*SocketAddr::parse(sa.to_string())));
    hashes.insert(std::hash<IpAddr>()(a));
  }
  // Consecutive addresses and ports must not collide.
  std::set<std::size_t> seq;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    seq.insert(std::hash<Ipv4Addr>()(Ipv4Addr::from_bits(0x0a000000 + i)));
    seq.insert(std::hash<SocketAddrV4>()(SocketAddrV4(Ipv4Addr::localhost, std::uint16_t(i))));
    seq.insert(std::hash<SocketAddrV6>()(SocketAddrV6(Ipv6Addr::localhost, 80, 0, i)));
  }
  EXPECT_EQ(seq.size(), 3000u);
  EXPECT_GT(hashes.size(), ips.size() - 3);
  EXPECT_EQ(std::hash<Ipv6Addr>()(Ipv6Addr(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
            std::hash<Ipv6Addr>()(*Ipv6Addr::parse("FE80:0::0:1")));
}

// ---------------------------------------------------------------------------------------------
// Socket addresses

TEST(SocketAddrV4, ParsesAndPrintsAddressAndPort) {
  const Canonical rows[] = {
      {"1.2.3.4:80", "1.2.3.4:80"},
      {"0.0.0.0:0", "0.0.0.0:0"},
      {"255.255.255.255:65535", "255.255.255.255:65535"},
      {"127.0.0.1:8080", "127.0.0.1:8080"},
  };
  for (const auto& row : rows) {
    auto a = SocketAddrV4::parse(row.text);
    ASSERT_TRUE(a) << row.text << ": " << a.error().message();
    EXPECT_EQ(a->to_string(), row.canonical);
    auto any = SocketAddr::parse(row.text);
    ASSERT_TRUE(any);
    EXPECT_EQ(any->as_v4(), *a);
  }
  auto a = *SocketAddrV4::parse("192.0.2.1:443");
  EXPECT_EQ(a.ip(), Ipv4Addr(192, 0, 2, 1));
  EXPECT_EQ(a.port(), 443);
}

TEST(SocketAddrV4, RejectsMalformedTextWithTheReason) {
  const Invalid rows[] = {
      {"", "socket address: missing ':port'"},
      {"1.2.3.4", "socket address: missing ':port'"},
      {"1.2.3.4:", "port: empty"},
      {"1.2.3.4:65536", "port: out of range (0-65535)"},
      {"1.2.3.4:99999", "port: out of range (0-65535)"},
      {"1.2.3.4:99999999999999999999999", "port: out of range (0-65535)"},
      {"1.2.3.4:080", "port: leading zero"},
      {"1.2.3.4:00", "port: leading zero"},
      {"1.2.3.4:-1", "port: not a decimal number"},
      {"1.2.3.4:+80", "port: not a decimal number"},
      {"1.2.3.4: 80", "port: not a decimal number"},
      {"1.2.3.4:80 ", "port: not a decimal number"},
      {"1.2.3.4:0x50", "port: not a decimal number"},
      {"1.2.3.4:http", "port: not a decimal number"},
      {":80", "ipv4: empty address"},
      {"1.2.3:80", "ipv4: fewer than 4 octets"},
      {"01.2.3.4:80", "ipv4: leading zero in octet"},
      {"::1:80", "socket address: ipv6 address without brackets"},
      {"1.2.3.4:80:81", "socket address: ipv6 address without brackets"},
      {"[::1]:80", "socket address: ipv6 address where ipv4 expected"},
  };
  for (const auto& row : rows) expect_invalid<SocketAddrV4>(row);
}

TEST(SocketAddrV6, ParsesBracketsScopeIdsAndPorts) {
  struct Row {
    std::string_view text;
    std::string_view canonical;
    std::uint32_t scope_id;
  };
  const Row rows[] = {
      {"[::1]:8080", "[::1]:8080", 0},
      {"[::]:0", "[::]:0", 0},
      {"[2001:DB8::1]:65535", "[2001:db8::1]:65535", 0},
      {"[::ffff:1.2.3.4]:80", "[::ffff:1.2.3.4]:80", 0},
      {"[fe80::1%2]:80", "[fe80::1%2]:80", 2},
      {"[fe80::1%0]:80", "[fe80::1]:80", 0},
      {"[fe80::1%4294967295]:1", "[fe80::1%4294967295]:1", 4294967295u},
      {"[2001:db8:0:0:1:0:0:1%7]:443", "[2001:db8::1:0:0:1%7]:443", 7},
  };
  for (const auto& row : rows) {
    auto a = SocketAddrV6::parse(row.text);
    ASSERT_TRUE(a) << row.text << ": " << a.error().message();
    EXPECT_EQ(a->to_string(), row.canonical);
    EXPECT_EQ(a->scope_id(), row.scope_id);
    EXPECT_EQ(a->flowinfo(), 0u);
    auto any = SocketAddr::parse(row.text);
    ASSERT_TRUE(any);
    EXPECT_EQ(any->as_v6(), *a);
  }
}

TEST(SocketAddrV6, ResolvesInterfaceNamesAsScopeIds) {
  const unsigned lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u) << "the loopback interface 'lo' is missing";
  auto a = SocketAddrV6::parse("[fe80::1%lo]:80");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->scope_id(), lo);
  EXPECT_EQ(a->to_string(), "[fe80::1%" + std::to_string(lo) + "]:80");
  expect_invalid<SocketAddrV6>({"[fe80::1%no-such-if0]:80", "scope id: unknown interface"});
}

TEST(SocketAddrV6, RejectsMalformedTextWithTheReason) {
  const Invalid rows[] = {
      {"", "socket address: expected '['"},
      {"::1:80", "socket address: expected '['"},
      {"1.2.3.4:80", "socket address: expected '['"},
      {"[::1]", "socket address: missing ':port'"},
      {"[::1]:", "port: empty"},
      {"[::1:80", "socket address: missing ']'"},
      {"[::1]80", "socket address: expected ':' after ']'"},
      {"[::1]]:80", "socket address: expected ':' after ']'"},
      {"[::1]:65536", "port: out of range (0-65535)"},
      {"[::1]:080", "port: leading zero"},
      {"[]:80", "ipv6: empty address"},
      {"[1.2.3.4]:80", "ipv6: fewer than 8 groups and no '::'"},
      {"[[::1]]:80", "ipv6: unexpected character"},
      {"[::1::]:80", "ipv6: more than one '::'"},
      {"[fe80::1%]:80", "scope id: empty"},
      {"[%1]:80", "ipv6: empty address"},
      {"[fe80::1%01]:80", "scope id: leading zero"},
      {"[fe80::1%4294967296]:80", "scope id: out of range"},
      {"[fe80::1%99999999999999999999]:80", "scope id: out of range"},
      {"[fe80::1%averyveryverylongname]:80", "scope id: interface name too long"},
      {"[fe80::1%e th0]:80", "scope id: invalid character in interface name"},
      {"[fe80::1%eth0/1]:80", "scope id: invalid character in interface name"},
      {"[fe80::1%2%3]:80", "scope id: invalid character in interface name"},
      {"[fe80::1%25eth0]:80", "scope id: unknown interface"},  // URI-style %25 is not decoded
  };
  for (const auto& row : rows) expect_invalid<SocketAddrV6>(row);
}

TEST(SocketAddr, ParseDispatchesOnBracket) {
  expect_invalid<SocketAddr>({"::1:80", "socket address: ipv6 address without brackets"});
  expect_invalid<SocketAddr>({"[::1]", "socket address: missing ':port'"});
  expect_invalid<SocketAddr>({"localhost:80", "ipv4: unexpected character"});
  expect_invalid<SocketAddr>({"", "socket address: missing ':port'"});
  auto a = SocketAddr::parse("[fe80::1%3]:443");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_ipv6());
  EXPECT_EQ(a->ip(), IpAddr(Ipv6Addr(0xfe80, 0, 0, 0, 0, 0, 0, 1)));
  EXPECT_EQ(a->port(), 443);
  EXPECT_EQ(a->as_v6()->scope_id(), 3u);
}

TEST(SocketAddr, SettersKeepOrResetV6Fields) {
  SocketAddr a = SocketAddrV6(Ipv6Addr::localhost, 80, 5, 3);
  a.set_port(81);
  EXPECT_EQ(a.port(), 81);
  EXPECT_EQ(a.as_v6()->scope_id(), 3u);
  a.set_ip(Ipv6Addr(0xfe80, 0, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a.as_v6()->scope_id(), 3u);  // same family: flow info and scope id stay
  a.set_ip(Ipv4Addr::localhost);
  EXPECT_EQ(a, SocketAddr(SocketAddrV4(Ipv4Addr::localhost, 81)));
  a.set_ip(Ipv6Addr::localhost);
  EXPECT_EQ(a, SocketAddr(SocketAddrV6(Ipv6Addr::localhost, 81, 0, 0)));
}

// ---------------------------------------------------------------------------------------------
// sockaddr conversions

TEST(SocketAddr, RoundTripsThroughSockaddrInNetworkOrder) {
  const SocketAddr v4 = SocketAddrV4(Ipv4Addr(192, 0, 2, 1), 0x1234);
  sockaddr_storage ss;
  ASSERT_EQ(v4.to_sockaddr(ss), socklen_t(sizeof(sockaddr_in)));
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
  EXPECT_EQ(sin->sin_family, AF_INET);
  EXPECT_EQ(sin->sin_port, htons(0x1234));
  EXPECT_EQ(sin->sin_addr.s_addr, htonl(0xc0000201));
  auto back =
      SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof(sockaddr_in));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v4);

  const SocketAddr v6 = SocketAddrV6(*Ipv6Addr::parse("fe80::1:2"), 443, 0xabcde, 7);
  ASSERT_EQ(v6.to_sockaddr(ss), socklen_t(sizeof(sockaddr_in6)));
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  EXPECT_EQ(sin6->sin6_family, AF_INET6);
  EXPECT_EQ(sin6->sin6_port, htons(443));
  EXPECT_EQ(sin6->sin6_flowinfo, htonl(0xabcde));
  EXPECT_EQ(sin6->sin6_scope_id, 7u);
  in6_addr expect;
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::1:2", &expect), 1);
  EXPECT_EQ(std::memcmp(&sin6->sin6_addr, &expect, 16), 0);
  back = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof ss);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v6);
}

TEST(SocketAddr, FromSockaddrAcceptsUnalignedBuffers) {
  const SocketAddr v6 = SocketAddrV6(Ipv6Addr::localhost, 9, 1, 2);
  sockaddr_storage ss;
  const socklen_t len = v6.to_sockaddr(ss);
  alignas(16) char buf[sizeof ss + 1];
  std::memcpy(buf + 1, &ss, len);
  auto back = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(buf + 1), len);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v6);
}

TEST(SocketAddr, FromSockaddrRejectsBadInput) {
  sockaddr_storage ss{};
  const auto* sa = reinterpret_cast<const sockaddr*>(&ss);
  auto check = [](Result<SocketAddr> r, std::string_view reason) {
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error() == Errc::invalid_input);
    EXPECT_EQ(r.error().context(), reason);
  };
  check(SocketAddr::from_sockaddr(nullptr, sizeof ss), "sockaddr: null pointer");
  check(SocketAddr::from_sockaddr(sa, 0), "sockaddr: too short");
  check(SocketAddr::from_sockaddr(sa, 1), "sockaddr: too short");
  ss.ss_family = AF_INET;
  check(SocketAddr::from_sockaddr(sa, sizeof(sockaddr_in) - 1), "sockaddr: too short for AF_INET");
  ss.ss_family = AF_INET6;
  check(SocketAddr::from_sockaddr(sa, sizeof(sockaddr_in6) - 1),
        "sockaddr: too short for AF_INET6");
  ss.ss_family = AF_UNIX;
  check(SocketAddr::from_sockaddr(sa, sizeof ss),
        "sockaddr: address family is not AF_INET or AF_INET6");
  ss.ss_family = AF_UNSPEC;
  check(SocketAddr::from_sockaddr(sa, sizeof ss),
        "sockaddr: address family is not AF_INET or AF_INET6");
}

TEST(SocketAddr, SockaddrWorksWithTheKernel) {
  // Bind to an ephemeral loopback port, read it back with getsockname().
  for (const char* text : {"127.0.0.1:0", "[::1]:0"}) {
    auto addr = SocketAddr::parse(text);
    ASSERT_TRUE(addr);
    const int fd = ::socket(addr->is_ipv4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_storage ss;
    const socklen_t len = addr->to_sockaddr(ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      ::close(fd);
      if (addr->is_ipv6() && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)) continue;
      FAIL() << "bind " << text << ": " << std::strerror(errno);
    }
    sockaddr_storage got;
    socklen_t got_len = sizeof got;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len), 0);
    ::close(fd);
    auto bound = SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&got), got_len);
    ASSERT_TRUE(bound) << bound.error().message();
    EXPECT_EQ(bound->ip(), addr->ip());
    EXPECT_NE(bound->port(), 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips and cross-checks against glibc

TEST(Addr, RandomAddressesRoundTripThroughText) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    const Ipv4Addr v4 = random_ipv4(rng);
    const Ipv6Addr v6 = random_ipv6(rng);
    EXPECT_EQ(Ipv4Addr::parse(v4.to_string()), v4);
    EXPECT_EQ(Ipv6Addr::parse(v6.to_string()), v6);
    EXPECT_EQ(IpAddr::parse(IpAddr(v6).to_string()), IpAddr(v6));
    const auto port = std::uint16_t(rng());
    const auto scope = std::uint32_t(rng() % 3 == 0 ? rng() : 0);
    const SocketAddr s4 = SocketAddrV4(v4, port), s6 = SocketAddrV6(v6, port, 0, scope);
    EXPECT_EQ(SocketAddr::parse(s4.to_string()), s4);
    EXPECT_EQ(SocketAddr::parse(s6.to_string()), s6);
    EXPECT_LE(s6.to_string().size(), SocketAddr::max_string_len);
    // The canonical text is a fixed point.
    const std::string t = v6.to_string();
    EXPECT_EQ(Ipv6Addr::parse(t)->to_string(), t);
  }
}

TEST(Addr, FormattingMatchesInetNtop) {
  std::mt19937_64 rng(1);
  int compared = 0;
  for (int i = 0; i < 50000; ++i) {
    const Ipv6Addr a = random_ipv6(rng);
    if (glibc_prints_compatible(a)) {
      // The one deliberate difference: RFC 5952 (and Rust, Go) print hex, glibc ::a.b.c.d.
      const Ipv4Addr tail = Ipv4Addr::from_bits(std::uint32_t(a.segment(6)) << 16 | a.segment(7));
      EXPECT_EQ(ntop6(a), "::" + tail.to_string());
      continue;
    }
    ASSERT_EQ(a.to_string(), ntop6(a));
    ++compared;
    const Ipv4Addr b = random_ipv4(rng);
    char buf[INET_ADDRSTRLEN];
    const std::uint32_t be = htonl(b.to_bits());
    ASSERT_EQ(b.to_string(), inet_ntop(AF_INET, &be, buf, sizeof buf));
  }
  EXPECT_GT(compared, 40000);
}

// Writes `a` in a random legal non-canonical spelling: upper case, leading zeros, "::" at any
// zero run (or none), and an embedded IPv4 tail.
std::string respell(const Ipv6Addr& a, std::mt19937_64& rng) {
  const auto g = a.segments();
  const bool dotted = rng() % 4 == 0;
  const std::size_t groups = dotted ? 6 : 8;
  // Pick a zero run to compress, if any.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t i = 0; i < groups; ++i) {
    for (std::size_t j = i; j < groups && g[j] == 0; ++j) runs.push_back({i, j + 1 - i});
  }
  std::size_t gap = 99, gap_len = 0;
  if (!runs.empty() && rng() % 4 != 0) std::tie(gap, gap_len) = runs[rng() % runs.size()];
  std::string s;
  for (std::size_t i = 0; i < groups; ++i) {
    if (i == gap) {
      s += "::";
      i += gap_len - 1;
      continue;
    }
    if (i != 0 && i != gap + gap_len) s += ':';
    char buf[8];
    const int width = int(rng() % 5);
    std::snprintf(buf, sizeof buf, rng() % 2 ? "%0*x" : "%0*X", width, g[i]);
    s += buf;
  }
  if (dotted) {
    if (gap + gap_len != groups) s += ':';
    s += Ipv4Addr::from_bits(std::uint32_t(g[6]) << 16 | g[7]).to_string();
  }
  return s;
}

TEST(Addr, ParsingMatchesInetPtonOnRespelledAndMutatedText) {
  std::mt19937_64 rng(3);
  const std::string_view alphabet = "0123456789abcdefABCDEFgx:.%[] ";
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 60000; ++i) {
    std::string text;
    if (i % 2 == 0) {
      text = respell(random_ipv6(rng), rng);
    } else {
      text = (i % 4 == 1) ? random_ipv6(rng).to_string() : random_ipv4(rng).to_string();
    }
    // Mutate most of them: replace, insert or delete a few characters.
    const int edits = int(rng() % 4);
    for (int e = 0; e < edits && i % 2 == 1; ++e) {
      const std::size_t pos = text.empty() ? 0 : rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          if (!text.empty()) text[pos] = c;
          break;
        case 1:
          text.insert(pos, 1, c);
          break;
        default:
          if (!text.empty()) text.erase(pos, 1);
      }
    }
    in6_addr raw6;
    const bool glibc6 = inet_pton(AF_INET6, text.c_str(), &raw6) == 1;
    auto ours6 = Ipv6Addr::parse(text);
    ASSERT_EQ(ours6.has_value(), glibc6) << "ipv6 \"" << text << "\"";
    if (glibc6) {
      EXPECT_EQ(std::memcmp(ours6->octets().data(), &raw6, 16), 0) << text;
      ++accepted;
    } else {
      ++rejected;
    }
    in_addr raw4;
    const bool glibc4 = inet_pton(AF_INET, text.c_str(), &raw4) == 1;
    auto ours4 = Ipv4Addr::parse(text);
    ASSERT_EQ(ours4.has_value(), glibc4) << "ipv4 \"" << text << "\"";
    if (glibc4) {
      EXPECT_EQ(htonl(ours4->to_bits()), raw4.s_addr) << text;
    }
  }
  EXPECT_GT(accepted, 30000);
  EXPECT_GT(rejected, 5000);
}

// ---------------------------------------------------------------------------------------------
// Allocation and printing

TEST(Addr, SuccessfulParsingAllocatesNothing) {
  const std::string_view inputs[] = {"192.0.2.1",       "2001:db8::1",     "::ffff:1.2.3.4",
                                     "[fe80::1%7]:443", "[fe80::1%lo]:80", "127.0.0.1:8080"};
  allocations = 0;
  counting = true;
  long ok = 0;
  for (int round = 0; round < 100; ++round) {
    ok += Ipv4Addr::parse(inputs[0]).has_value();
    ok += Ipv6Addr::parse(inputs[1]).has_value();
    ok += IpAddr::parse(inputs[2]).has_value();
    ok += SocketAddrV6::parse(inputs[3]).has_value();
    ok += SocketAddr::parse(inputs[4]).has_value();
    ok += SocketAddr::parse(inputs[5]).has_value();
    char buf[SocketAddr::max_string_len];
    ok += SocketAddr::parse(inputs[3])->to_chars(buf) - buf > 0;
  }
  counting = false;
  EXPECT_EQ(ok, 700);
  EXPECT_EQ(allocations.load(), 0);
}

TEST(Addr, StreamsPrintTheCanonicalText) {
  std::ostringstream os;
  os << Ipv4Addr::localhost << ' ' << Ipv6Addr::localhost << ' ' << IpAddr(Ipv6Addr()) << ' '
     << SocketAddrV4(Ipv4Addr::localhost, 1) << ' '
     << SocketAddr(SocketAddrV6(Ipv6Addr::localhost, 2, 0, 3));
  EXPECT_EQ(os.str(), "127.0.0.1 ::1 :: 127.0.0.1:1 [::1%3]:2");
}

}  // namespace
}  // namespace strata::net
