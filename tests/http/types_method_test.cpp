// Method and Version: parsing, names, RFC 9110 §9.2 properties, equality and hashing.
#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "strata/http/method.hpp"
#include "strata/http/version.hpp"

namespace strata::http {
namespace {

TEST(HttpMethod, parses_every_standard_method_to_its_constant) {
  const std::pair<const char*, Method> cases[] = {
      {"GET", Method::get},         {"HEAD", Method::head},      {"POST", Method::post},
      {"PUT", Method::put},         {"DELETE", Method::delete_}, {"CONNECT", Method::connect},
      {"OPTIONS", Method::options}, {"TRACE", Method::trace},    {"PATCH", Method::patch},
  };
  for (const auto& [name, m] : cases) {
    auto r = Method::parse(name);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(*r, m);
    EXPECT_EQ(r->as_str(), name);
    EXPECT_EQ(m.as_str(), name);
    EXPECT_FALSE(r->is_extension());
  }
}

TEST(HttpMethod, is_a_small_trivially_copyable_value) {
  static_assert(std::is_trivially_copyable_v<Method>);
  static_assert(sizeof(Method) <= 24);
  EXPECT_EQ(Method(), Method::get);
}

TEST(HttpMethod, names_are_case_sensitive) {
  auto r = Method::parse("get");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_extension());
  EXPECT_NE(*r, Method::get);
  EXPECT_EQ(r->as_str(), "get");
}

TEST(HttpMethod, keeps_extension_tokens_inline) {
  auto r = Method::parse("PROPFIND");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind(), Method::Kind::extension);
  EXPECT_EQ(r->as_str(), "PROPFIND");
  Method copy = *r;  // the copy has its own bytes
  EXPECT_EQ(copy, *r);
  EXPECT_EQ(copy.as_str().data() == r->as_str().data(), false);
  EXPECT_NE(*Method::parse("PROPFIND"), *Method::parse("MKCOL"));
  EXPECT_TRUE(Method::parse("M-SEARCH"));
  EXPECT_TRUE(Method::parse(std::string(Method::max_extension_len, 'X')));
}

TEST(HttpMethod, rejects_non_tokens_empty_and_overlong_names) {
  for (const char* bad : {"", "GE T", "GET\r\n", "G(ET", "GET/", "\"GET\"", "GE\tT"}) {
    auto r = Method::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), Errc::invalid_input);
  }
  EXPECT_FALSE(Method::parse(std::string(Method::max_extension_len + 1, 'X')));
  EXPECT_FALSE(Method::parse(std::string_view("GET\0", 4)));
  EXPECT_FALSE(Method::parse("M\xC3\xA9THOD"));
}

// from_validated() is parse() without the token check: on every token they agree. The tokens
// are the standard names, each with every byte replaced by a token byte, cut short and extended.
TEST(HttpMethod, from_validated_agrees_with_parse_on_tokens) {
  const std::string_view tchars =
      "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::vector<std::string> tokens = {"PROPFIND",
                                     "M-SEARCH",
                                     "get",
                                     "X",
                                     std::string(Method::max_extension_len, 'X'),
                                     std::string(Method::max_extension_len + 1, 'X')};
  for (Method std_m : {Method::get, Method::head, Method::post, Method::put, Method::delete_,
                       Method::connect, Method::options, Method::trace, Method::patch}) {
    const std::string name(std_m.as_str());
    tokens.push_back(name.substr(0, name.size() - 1));
    tokens.push_back(name + "S");
    for (std::size_t i = 0; i < name.size(); ++i) {
      for (char c : tchars) {
        std::string t = name;
        t[i] = c;
        tokens.push_back(t);
      }
    }
  }
  std::size_t standard = 0;
  for (const std::string& t : tokens) {
    const Result<Method> a = Method::parse(t);
    const Result<Method> b = Method::from_validated(t);
    ASSERT_EQ(a.has_value(), b.has_value()) << t;
    if (!a) {
      EXPECT_EQ(b.error(), Errc::invalid_input) << t;
      continue;
    }
    EXPECT_EQ(*a, *b) << t;
    EXPECT_EQ(b->as_str(), t);
    EXPECT_EQ(a->kind(), b->kind()) << t;
    if (!b->is_extension()) ++standard;
  }
  // Each standard name comes back once per byte (that byte replaced by itself): 3+4+4+3+6+7+7+5+5.
  EXPECT_EQ(standard, 44u);
}

TEST(HttpMethod, safe_and_idempotent_follow_rfc9110) {
  for (Method m : {Method::get, Method::head, Method::options, Method::trace}) {
    EXPECT_TRUE(m.is_safe()) << m.as_str();
    EXPECT_TRUE(m.is_idempotent()) << m.as_str();
  }
  for (Method m : {Method::put, Method::delete_}) {
    EXPECT_FALSE(m.is_safe()) << m.as_str();
    EXPECT_TRUE(m.is_idempotent()) << m.as_str();
  }
  for (Method m : {Method::post, Method::patch, Method::connect, *Method::parse("LOCK")}) {
    EXPECT_FALSE(m.is_safe()) << m.as_str();
    EXPECT_FALSE(m.is_idempotent()) << m.as_str();
  }
}

TEST(HttpMethod, hashes_consistently_with_equality) {
  std::unordered_set<Method> set{Method::get, Method::post, *Method::parse("PURGE")};
  EXPECT_TRUE(set.contains(*Method::parse("GET")));
  EXPECT_TRUE(set.contains(*Method::parse("PURGE")));
  EXPECT_FALSE(set.contains(*Method::parse("PUT")));
  EXPECT_EQ(std::hash<Method>{}(*Method::parse("PURGE")),
            std::hash<Method>{}(*Method::parse("PURGE")));
}

TEST(HttpVersion, parses_and_prints_the_four_versions) {
  const std::pair<const char*, Version> cases[] = {{"HTTP/1.0", Version::http_1_0},
                                                   {"HTTP/1.1", Version::http_1_1},
                                                   {"HTTP/2", Version::http_2},
                                                   {"HTTP/3", Version::http_3}};
  for (const auto& [text, v] : cases) {
    auto r = Version::parse(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(*r, v);
    EXPECT_EQ(v.as_str(), text);
  }
  EXPECT_EQ(Version::http_1_1.major(), 1);
  EXPECT_EQ(Version::http_1_1.minor(), 1);
  EXPECT_EQ(Version::http_2.major(), 2);
  EXPECT_EQ(Version(), Version::http_1_1);
  EXPECT_LT(Version::http_1_0, Version::http_1_1);
  EXPECT_LT(Version::http_1_1, Version::http_3);
}

TEST(HttpVersion, rejects_anything_else) {
  for (const char* bad : {"", "HTTP/0.9", "http/1.1", "HTTP/1.2", "HTTP/2.0", "HTTP/1.1 ",
                          "HTTP/11", "HTTP/3.0", "HTTP/"}) {
    auto r = Version::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), Errc::invalid_input);
  }
}

}  // namespace
}  // namespace strata::http
