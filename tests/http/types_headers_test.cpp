// Headers: case-insensitive multi-valued lookup, borrowed and owned entries, validation
// (header injection), capacity reuse, and the list helpers split_list/has_token.
#include <gtest/gtest.h>

#include <iterator>
#include <ranges>
#include <string>
#include <vector>

#include "strata/http/headers.hpp"

namespace strata::http {
namespace {

std::vector<std::string> values(const Headers& h, std::string_view name) {
  std::vector<std::string> out;
  for (std::string_view v : h.get_all(name)) out.emplace_back(v);
  return out;
}

std::vector<std::string> elements(std::string_view list) {
  std::vector<std::string> out;
  for (std::string_view e : split_list(list)) out.emplace_back(e);
  return out;
}

static_assert(std::forward_iterator<Headers::ValueRange::iterator>);
static_assert(std::forward_iterator<ListElements::iterator>);
static_assert(std::ranges::forward_range<Headers>);
static_assert(std::ranges::forward_range<Headers::ValueRange>);
static_assert(std::ranges::forward_range<ListElements>);

TEST(HttpHeaders, lookup_is_case_insensitive_and_returns_the_first_value) {
  Headers h;
  ASSERT_TRUE(h.append("Content-Type", "text/html"));
  ASSERT_TRUE(h.append("Accept", "a"));
  ASSERT_TRUE(h.append("ACCEPT", "b"));
  EXPECT_EQ(h.get("content-type"), "text/html");
  EXPECT_EQ(h.get(header::content_type), "text/html");
  EXPECT_EQ(h.get("accept"), "a");
  EXPECT_EQ(h.get("missing"), std::nullopt);
  EXPECT_TRUE(h.contains("CoNtEnT-tYpE"));
  EXPECT_FALSE(h.contains("content-typ"));
  EXPECT_EQ(h.count("accept"), 2u);
  EXPECT_EQ(values(h, "Accept"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(h.get_all("nope").empty());
  EXPECT_EQ(h.size(), 3u);
}

TEST(HttpHeaders, iteration_preserves_insertion_order_and_name_case) {
  Headers h;
  ASSERT_TRUE(h.append("X-B", "1"));
  ASSERT_TRUE(h.append("x-a", "2"));
  ASSERT_TRUE(h.append("X-B", "3"));
  std::vector<std::string> seen;
  for (const HeaderField& f : h) seen.push_back(std::string(f.name) + "=" + std::string(f.value));
  EXPECT_EQ(seen, (std::vector<std::string>{"X-B=1", "x-a=2", "X-B=3"}));
  EXPECT_EQ(h[1].name, "x-a");
}

TEST(HttpHeaders, set_replaces_every_value_and_moves_the_field_to_the_end) {
  Headers h;
  ASSERT_TRUE(h.append("Vary", "a"));
  ASSERT_TRUE(h.append("Host", "x"));
  ASSERT_TRUE(h.append("vary", "b"));
  ASSERT_TRUE(h.set("VARY", "c"));
  EXPECT_EQ(values(h, "vary"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].name, "Host");
  EXPECT_EQ(h[1].name, "VARY");
}

TEST(HttpHeaders, set_may_take_its_value_from_the_same_headers) {
  Headers h;
  ASSERT_TRUE(h.append("a", "value-of-a"));
  const std::string_view v = *h.get("a");
  ASSERT_TRUE(h.set("a", v));
  EXPECT_EQ(h.get("a"), "value-of-a");
}

TEST(HttpHeaders, insert_adds_only_when_absent) {
  Headers h;
  auto r = h.insert("Server", "strata");
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  r = h.insert("server", "other");
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_EQ(values(h, "server"), (std::vector<std::string>{"strata"}));
}

TEST(HttpHeaders, remove_drops_every_value_of_the_name) {
  Headers h;
  ASSERT_TRUE(h.append("a", "1"));
  ASSERT_TRUE(h.append("b", "2"));
  ASSERT_TRUE(h.append("A", "3"));
  EXPECT_EQ(h.remove("a"), 2u);
  EXPECT_EQ(h.remove("a"), 0u);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.get("b"), "2");
}

TEST(HttpHeaders, rejects_invalid_names_and_values_without_changing_anything) {
  Headers h;
  for (const char* bad_name : {"", "Bad Name", "a:b", "x\r\ny", "a\"b", "(", "caf\xC3\xA9"}) {
    auto r = h.append(bad_name, "v");
    ASSERT_FALSE(r) << bad_name;
    EXPECT_EQ(r.error().code(), HeaderErrc::invalid_name);
    EXPECT_EQ(r.error(), std::errc::invalid_argument);
    EXPECT_FALSE(h.set(bad_name, "v"));
    EXPECT_FALSE(h.insert(bad_name, "v"));
    EXPECT_FALSE(h.append_view(bad_name, "v"));
  }
  // Header injection: CR, LF and NUL can never reach the wire through Headers.
  for (std::string_view bad_value :
       {std::string_view("a\r\nSet-Cookie: x=1"), std::string_view("a\nb"),
        std::string_view("a\rb"), std::string_view("a\0b", 3)}) {
    auto r = h.append("x", bad_value);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), HeaderErrc::invalid_value);
    EXPECT_FALSE(h.set("x", bad_value));
    EXPECT_FALSE(h.append_view("x", bad_value));
  }
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.arena_capacity(), 0u);
}

TEST(HttpHeaders, values_may_hold_htab_space_and_obs_text) {
  Headers h;
  EXPECT_TRUE(h.append("x", "a\tb c \xFF\x80"));
  EXPECT_TRUE(h.append("y", ""));
  EXPECT_EQ(h.get("y"), "");
  EXPECT_TRUE(is_valid_name("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(is_valid_value(std::string_view("\0", 1)));
}

TEST(HttpHeaders, append_view_borrows_and_append_copies) {
  std::string buffer = "Host: example.com";
  Headers h;
  ASSERT_TRUE(
      h.append_view(std::string_view(buffer).substr(0, 4), std::string_view(buffer).substr(6)));
  EXPECT_EQ(h.get("host")->data(), buffer.data() + 6);  // zero-copy
  ASSERT_TRUE(h.append(std::string_view(buffer).substr(0, 4), "copied"));
  EXPECT_NE(h[1].name.data(), buffer.data());
  h.append_view_unchecked("via", "1.1 proxy");
  EXPECT_EQ(h.get("VIA"), "1.1 proxy");
}

TEST(HttpHeaders, make_owned_and_copies_detach_from_the_borrowed_buffer) {
  std::string buffer = "key-one";
  Headers h;
  ASSERT_TRUE(h.append_view(std::string_view(buffer).substr(0, 3), buffer));
  Headers copy = h;
  h.make_owned();
  buffer.assign("XXXXXXX");  // the borrowed bytes change: neither h nor copy may see it
  EXPECT_EQ(h.get("key"), "key-one");
  EXPECT_EQ(copy.get("KEY"), "key-one");
  Headers moved = std::move(h);
  EXPECT_EQ(moved.get("key"), "key-one");
  Headers assigned;
  assigned = moved;
  EXPECT_EQ(assigned.get("key"), "key-one");
}

TEST(HttpHeaders, clear_keeps_capacity_and_reuses_the_arena) {
  Headers h;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(h.append("x-header-" + std::to_string(i), std::string(30, 'v')));
    }
    EXPECT_EQ(h.size(), 20u);
    const std::size_t cap = h.arena_capacity();
    h.clear();
    EXPECT_TRUE(h.empty());
    EXPECT_EQ(h.get("x-header-1"), std::nullopt);
    EXPECT_EQ(h.arena_capacity(), cap);
  }
}

TEST(HttpHeaders, large_values_get_their_own_chunk) {
  Headers h;
  const std::string big(100000, 'b');
  ASSERT_TRUE(h.append("small", "s"));
  ASSERT_TRUE(h.append("big", big));
  ASSERT_TRUE(h.append("small2", "t"));
  EXPECT_EQ(h.get("big"), big);
  EXPECT_EQ(h.get("small"), "s");
  EXPECT_EQ(h.get("small2"), "t");
}

TEST(HttpHeaders, split_list_trims_ows_and_skips_empty_elements) {
  EXPECT_EQ(elements("gzip, deflate ,br"), (std::vector<std::string>{"gzip", "deflate", "br"}));
  // RFC 9110 §5.6.1: empty elements are ignored.
  EXPECT_EQ(elements(",  ,foo ,,bar,\t"), (std::vector<std::string>{"foo", "bar"}));
  EXPECT_EQ(elements(""), std::vector<std::string>{});
  EXPECT_EQ(elements(" , "), std::vector<std::string>{});
  EXPECT_EQ(elements("single"), (std::vector<std::string>{"single"}));
  // Commas inside a quoted-string do not split (with escaped quotes).
  EXPECT_EQ(elements(R"(a;q="1,2", b="x\",y", c)"),
            (std::vector<std::string>{R"(a;q="1,2")", R"(b="x\",y")", "c"}));
}

TEST(HttpHeaders, has_token_matches_whole_elements_case_insensitively) {
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token("close", "Close"));
  EXPECT_TRUE(has_token("gzip, chunked", "chunked"));
  EXPECT_FALSE(has_token("chunkedx", "chunked"));
  EXPECT_FALSE(has_token("gzip;q=0", "gzip"));
  EXPECT_FALSE(has_token("", "close"));
  EXPECT_FALSE(has_token("\"close\"", "close"));
}

TEST(HttpHeaders, ascii_iequals_ignores_only_ascii_case) {
  EXPECT_TRUE(ascii_iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(ascii_iequals("a", "ab"));
  EXPECT_FALSE(ascii_iequals("\xC0", "\xE0"));  // not ASCII letters
  EXPECT_FALSE(ascii_iequals("@", "`"));        // 0x40 vs 0x60
  EXPECT_FALSE(ascii_iequals("[", "{"));
}

}  // namespace
}  // namespace strata::http
