// Uri: the four request-target forms (RFC 9112 §3.2), absolute URIs (RFC 3986 §1.1.2 examples),
// strictness, ownership; percent-encoding, remove_dot_segments (RFC 3986 §5.2.4) and queries.
#include <gtest/gtest.h>

#include <iterator>
#include <ranges>
#include <string>
#include <vector>

#include "strata/http/uri.hpp"

namespace strata::http {
namespace {

static_assert(std::forward_iterator<QueryParams::iterator>);
static_assert(std::ranges::forward_range<QueryParams>);

UriErrc err(const Result<Uri>& r) {
  EXPECT_FALSE(r);
  return r ? UriErrc{} : static_cast<UriErrc>(r.error().code().value());
}

TEST(HttpUri, origin_form_splits_path_and_query_without_copying) {
  const std::string text = "/where?q=now";  // RFC 9112 §3.2.1
  auto u = Uri::parse_target(text, Method::get);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->form(), UriForm::origin);
  EXPECT_EQ(u->path(), "/where");
  EXPECT_TRUE(u->has_query());
  EXPECT_EQ(u->query(), "q=now");
  EXPECT_EQ(u->path().data(), text.data());
  EXPECT_EQ(u->path_and_query(), text);
  EXPECT_FALSE(u->has_authority());
  EXPECT_EQ(u->host_kind(), HostKind::none);
  EXPECT_EQ(u->to_string(), text);
}

TEST(HttpUri, origin_form_edge_cases) {
  auto u = Uri::parse_origin_form("/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path(), "/");
  EXPECT_FALSE(u->has_query());
  u = Uri::parse_origin_form("/p?");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->has_query());
  EXPECT_EQ(u->query(), "");
  EXPECT_EQ(u->to_string(), "/p?");
  u = Uri::parse_origin_form("//double//slash/?a?b/c:d@e");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path(), "//double//slash/");
  EXPECT_EQ(u->query(), "a?b/c:d@e");
  EXPECT_TRUE(Uri::parse_origin_form("/a%20b/%7Euser;v=1,2!$&'()*+=:@"));
  const Uri d;
  EXPECT_EQ(d.path(), "/");
  EXPECT_EQ(d.form(), UriForm::origin);
}

TEST(HttpUri, rejects_bytes_outside_the_grammar) {
  for (const char* bad : {"/a b", "/a\"b", "/<x>", "/a\\b", "/a^b", "/a|b", "/{x}", "/`", "/a\x7f",
                          "/caf\xC3\xA9", "/a\tb", "/?q=a b"}) {
    EXPECT_EQ(err(Uri::parse_origin_form(bad)), UriErrc::invalid_char) << bad;
  }
  EXPECT_EQ(err(Uri::parse_origin_form(std::string_view("/a\0b", 4))), UriErrc::invalid_char);
  EXPECT_EQ(err(Uri::parse_origin_form("a/b")), UriErrc::invalid_char);
  EXPECT_EQ(err(Uri::parse_origin_form("")), UriErrc::empty);
  for (const char* bad : {"/%", "/%2", "/%zz", "/a%2g", "/?q=%", "/%%41"}) {
    EXPECT_EQ(err(Uri::parse_origin_form(bad)), UriErrc::invalid_percent_encoding) << bad;
  }
  EXPECT_EQ(err(Uri::parse_origin_form("/a#frag")), UriErrc::fragment_not_allowed);
  EXPECT_EQ(err(Uri::parse_origin_form("/a?q#frag")), UriErrc::fragment_not_allowed);
  const Result<Uri> r = Uri::parse_origin_form("/a b");
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
}

TEST(HttpUri, bounds_the_length) {
  std::string longest = "/" + std::string(Uri::max_length - 1, 'a');
  EXPECT_TRUE(Uri::parse_origin_form(longest));
  longest.push_back('a');
  EXPECT_EQ(err(Uri::parse_origin_form(longest)), UriErrc::too_long);
}

TEST(HttpUri, absolute_form_has_scheme_authority_and_path) {
  // RFC 9112 §3.2.2
  auto u = Uri::parse_target("http://www.example.org/pub/WWW/TheProject.html", Method::get);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->form(), UriForm::absolute);
  EXPECT_EQ(u->scheme(), "http");
  EXPECT_EQ(u->authority(), "www.example.org");
  EXPECT_EQ(u->host(), "www.example.org");
  EXPECT_EQ(u->host_kind(), HostKind::reg_name);
  EXPECT_EQ(u->port(), std::nullopt);
  EXPECT_EQ(u->path(), "/pub/WWW/TheProject.html");
  u = Uri::parse_absolute_form("https://192.0.2.1:8443?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host_kind(), HostKind::ipv4);
  EXPECT_EQ(u->port(), 8443);
  EXPECT_EQ(u->port_str(), "8443");
  EXPECT_EQ(u->path(), "");
  EXPECT_EQ(u->query(), "x=1");
  EXPECT_EQ(u->path_and_query(), "?x=1");
}

TEST(HttpUri, absolute_form_rejects_userinfo_fragment_and_empty_http_host) {
  EXPECT_EQ(err(Uri::parse_absolute_form("http://user:pw@host/")), UriErrc::userinfo_not_allowed);
  EXPECT_EQ(err(Uri::parse_absolute_form("http://host/#f")), UriErrc::fragment_not_allowed);
  EXPECT_EQ(err(Uri::parse_absolute_form("http:///path")), UriErrc::invalid_host);
  EXPECT_EQ(err(Uri::parse_absolute_form("http:/path")), UriErrc::invalid_host);
  EXPECT_EQ(err(Uri::parse_absolute_form("HTTPS://:443/")), UriErrc::invalid_host);
  EXPECT_EQ(err(Uri::parse_absolute_form("1http://h/")), UriErrc::invalid_scheme);
  EXPECT_EQ(err(Uri::parse_absolute_form("://h/")), UriErrc::invalid_scheme);
  EXPECT_EQ(err(Uri::parse_absolute_form("ht_tp://h/")), UriErrc::invalid_scheme);
  EXPECT_EQ(err(Uri::parse_absolute_form("host")), UriErrc::invalid_scheme);
}

TEST(HttpUri, ports_are_strict) {
  EXPECT_EQ(Uri::parse("http://h:0/")->port(), 0);
  EXPECT_EQ(Uri::parse("http://h:65535/")->port(), 65535);
  EXPECT_EQ(Uri::parse("http://h:080/")->port(), 80);  // RFC 3986: port = *DIGIT
  for (const char* bad : {"http://h:65536/", "http://h:/", "http://h:8a/", "http://h:123456/",
                          "http://h:-1/", "http://h:1:2/", "http://[::1]:/"}) {
    EXPECT_EQ(err(Uri::parse(bad)), UriErrc::invalid_port) << bad;
  }
}

TEST(HttpUri, ipv6_literals) {
  auto u = Uri::parse("http://[::1]:8080/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host(), "[::1]");
  EXPECT_EQ(u->host_kind(), HostKind::ipv6);
  EXPECT_EQ(u->port(), 8080);
  u = Uri::parse("ldap://[2001:db8::7]/c=GB?objectClass?one");  // RFC 3986 §1.1.2
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host(), "[2001:db8::7]");
  EXPECT_EQ(u->path(), "/c=GB");
  EXPECT_EQ(u->query(), "objectClass?one");
  for (const char* bad :
       {"http://[::1/", "http://[::g]/", "http://[1.2.3.4]/", "http://[]/", "http://[v1.x]/",
        "http://[fe80::1%25eth0]/", "http://[::1]x/", "http://::1/"}) {
    EXPECT_FALSE(Uri::parse(bad)) << bad;
  }
  EXPECT_EQ(err(Uri::parse("http://[::1/")), UriErrc::invalid_host);
}

TEST(HttpUri, parse_accepts_rfc3986_examples) {
  struct Case {
    const char* text;
    const char* scheme;
    const char* host;
    const char* path;
  };
  const Case cases[] = {
      {"ftp://ftp.is.co.za/rfc/rfc1808.txt", "ftp", "ftp.is.co.za", "/rfc/rfc1808.txt"},
      {"http://www.ietf.org/rfc/rfc2396.txt", "http", "www.ietf.org", "/rfc/rfc2396.txt"},
      {"mailto:John.Doe@example.com", "mailto", "", "John.Doe@example.com"},
      {"news:comp.infosystems.www.servers.unix", "news", "", "comp.infosystems.www.servers.unix"},
      {"tel:+1-816-555-1212", "tel", "", "+1-816-555-1212"},
      {"telnet://192.0.2.16:80/", "telnet", "192.0.2.16", "/"},
      {"urn:oasis:names:specification:docbook:dtd:xml:4.1.2", "urn", "",
       "oasis:names:specification:docbook:dtd:xml:4.1.2"},
      {"file:///etc/hosts", "file", "", "/etc/hosts"},
  };
  for (const Case& c : cases) {
    auto u = Uri::parse(c.text);
    ASSERT_TRUE(u) << c.text << ": " << u.error().message();
    EXPECT_EQ(u->scheme(), c.scheme);
    EXPECT_EQ(u->host(), c.host);
    EXPECT_EQ(u->path(), c.path);
    EXPECT_EQ(u->to_string(), c.text);
  }
}

TEST(HttpUri, parse_keeps_userinfo_and_fragment) {
  auto u = Uri::parse("https://user:p%40ss@example.com:8443/a/b?x=1#sec-2");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->has_userinfo());
  EXPECT_EQ(u->userinfo(), "user:p%40ss");
  EXPECT_EQ(u->host(), "example.com");
  EXPECT_EQ(u->authority(), "user:p%40ss@example.com:8443");
  EXPECT_TRUE(u->has_fragment());
  EXPECT_EQ(u->fragment(), "sec-2");
  EXPECT_EQ(u->to_string(), u->as_str());
  EXPECT_EQ(err(Uri::parse("http://a@b@c/")), UriErrc::invalid_host);
  EXPECT_EQ(err(Uri::parse("http://h/#a#b")), UriErrc::invalid_char);
}

TEST(HttpUri, authority_form_is_for_connect_only) {
  auto u = Uri::parse_target("www.example.com:80", Method::connect);  // RFC 9112 §3.2.3
  ASSERT_TRUE(u);
  EXPECT_EQ(u->form(), UriForm::authority);
  EXPECT_EQ(u->host(), "www.example.com");
  EXPECT_EQ(u->port(), 80);
  EXPECT_EQ(u->authority(), "www.example.com:80");
  EXPECT_EQ(u->path(), "");
  EXPECT_EQ(u->to_string(), "www.example.com:80");
  u = Uri::parse_target("[2001:db8::1]:443", Method::connect);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host(), "[2001:db8::1]");
  EXPECT_EQ(err(Uri::parse_target("www.example.com", Method::connect)), UriErrc::invalid_port);
  EXPECT_EQ(err(Uri::parse_target(":80", Method::connect)), UriErrc::invalid_host);
  EXPECT_EQ(err(Uri::parse_target("u@h:80", Method::connect)), UriErrc::userinfo_not_allowed);
  EXPECT_FALSE(Uri::parse_target("/path", Method::connect));
  EXPECT_FALSE(Uri::parse_target("http://h:80/", Method::connect));
  // For other methods "host:80" reads as an absolute URI with scheme "host".
  u = Uri::parse_target("host:80", Method::get);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme(), "host");
}

TEST(HttpUri, asterisk_form_is_for_options_only) {
  auto u = Uri::parse_target("*", Method::options);  // RFC 9112 §3.2.4
  ASSERT_TRUE(u);
  EXPECT_EQ(u->form(), UriForm::asterisk);
  EXPECT_EQ(u->to_string(), "*");
  EXPECT_EQ(u->path(), "");
  EXPECT_EQ(err(Uri::parse_target("*", Method::get)), UriErrc::form_not_allowed);
  EXPECT_FALSE(Uri::parse_asterisk_form("**"));
  EXPECT_EQ(err(Uri::parse_target("", Method::get)), UriErrc::empty);
}

// origin_form_length() is what an HTTP/1 parser runs on the rest of its request line instead of
// parse_origin_form(): the length of the target when one starts the line and SP or the end
// follows it, else 0.
TEST(HttpUri, origin_form_length_measures_a_valid_target_up_to_sp) {
  EXPECT_EQ(Uri::origin_form_length("/plaintext HTTP/1.1"), 10u);
  EXPECT_EQ(Uri::origin_form_length("/"), 1u);
  EXPECT_EQ(Uri::origin_form_length("/ x"), 1u);
  EXPECT_EQ(Uri::origin_form_length("/a?b?c/d:e@f HTTP/1.1"), 12u);
  EXPECT_EQ(Uri::origin_form_length("/a%41?q=%7e HTTP/1.1"), 11u);
  EXPECT_EQ(Uri::origin_form_length("/a b c"), 2u);  // the first SP ends it
  for (const char* no : {"", " /", "*", "* HTTP/1.1", "a/b", "http://h/ HTTP/1.1", "h:80", "/a#f",
                         "/a#f HTTP/1.1", "/a<b", "/a|b HTTP/1.1", "/[::1]", "/a%", "/a%4 HTTP/1.1",
                         "/a%zz", "/a\tb", "/a\r\n", "/caf\xC3\xA9"}) {
    EXPECT_EQ(Uri::origin_form_length(no), 0u) << no;
  }
  std::string longest = "/" + std::string(Uri::max_length - 1, 'a');
  EXPECT_EQ(Uri::origin_form_length(longest + " HTTP/1.1"), Uri::max_length);
  longest.push_back('a');
  EXPECT_EQ(Uri::origin_form_length(longest + " HTTP/1.1"), 0u);
}

// The rule lives in one grammar: over every string of up to 5 bytes from an alphabet of the
// interesting bytes, origin_form_length() accepts exactly what parse_origin_form() accepts,
// alone and followed by " HTTP/1.1".
TEST(HttpUri, origin_form_length_agrees_with_parse_origin_form) {
  const std::string_view alphabet = "/a?%4g#<[ ";
  std::string s;
  std::size_t accepted = 0;
  std::size_t total = 0;
  const auto visit = [&](const auto& self, std::size_t depth) -> void {
    const bool ok = Uri::parse_origin_form(s).has_value();
    ASSERT_EQ(Uri::origin_form_length(s) == s.size() && !s.empty(), ok) << '"' << s << '"';
    const std::size_t n = Uri::origin_form_length(s + " HTTP/1.1");
    ASSERT_EQ(n == s.size() && !s.empty(), ok) << '"' << s << '"';
    ASSERT_TRUE(n == 0 || Uri::parse_origin_form(s.substr(0, n))) << '"' << s << '"';
    accepted += ok ? 1 : 0;
    ++total;
    if (depth == 5) return;
    for (char c : alphabet) {
      s.push_back(c);
      self(self, depth + 1);
      s.pop_back();
    }
  };
  visit(visit, 0);
  EXPECT_EQ(total, 111111u);
  EXPECT_GT(accepted, 500u);  // the walk does reach valid targets (825), not only refusals
}

// origin_form_length() skips runs of plain characters 16 bytes at a time: every byte value at
// every position of a 40-byte target, in the path and in the query, and with or without a request
// line after it, still gets parse_origin_form()'s verdict.
TEST(HttpUri, origin_form_length_agrees_on_every_byte_at_every_position) {
  std::size_t checked = 0;
  for (const std::string& base : {"/" + std::string(39, 'a'), "/?" + std::string(38, 'a')}) {
    for (std::size_t pos = base.size() - 38; pos < base.size(); ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string t = base;
        t[pos] = static_cast<char>(b);
        const bool ok = Uri::parse_origin_form(t).has_value();
        const std::size_t want = b == ' ' ? pos : ok ? t.size() : 0;
        ASSERT_EQ(Uri::origin_form_length(t + " HTTP/1.1"), want) << pos << ' ' << b;
        ASSERT_EQ(Uri::origin_form_length(t), want) << pos << ' ' << b;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2u * 38u * 256u);
}

// The server skips parse_target() for a target the parser found to be origin-form exactly when
// parse_target() would accept it: for every method but CONNECT.
TEST(HttpUri, allows_origin_form_matches_parse_target) {
  for (Method m : {Method::get, Method::head, Method::post, Method::put, Method::delete_,
                   Method::connect, Method::options, Method::trace, Method::patch,
                   *Method::parse("PROPFIND"), *Method::parse("connect")}) {
    EXPECT_EQ(Uri::allows_origin_form(m), m != Method::connect) << m.as_str();
    for (const char* t : {"/", "/a?b", "/%41?x=%7E"}) {
      EXPECT_EQ(Uri::parse_target(t, m).has_value(), Uri::allows_origin_form(m)) << t;
    }
  }
}

TEST(HttpUri, owned_uris_survive_their_source) {
  auto u = Uri::parse_owned(std::string("http://example.com/a?b#c"));
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_owned());
  Uri copy = *u;
  Uri moved = std::move(*u);
  EXPECT_EQ(copy.host(), "example.com");
  EXPECT_EQ(moved.query(), "b");
  EXPECT_EQ(copy, moved);

  std::string src = "/short?x=1";
  auto b = Uri::parse_origin_form(src);
  ASSERT_TRUE(b);
  b->make_owned();
  src.assign("/other?y=22222222222222222222222222222");
  EXPECT_EQ(b->path(), "/short");
  EXPECT_EQ(b->query(), "x=1");
}

TEST(HttpUri, equality_compares_components_without_normalising) {
  EXPECT_EQ(*Uri::parse("http://a/b"), *Uri::parse("http://a/b"));
  EXPECT_NE(*Uri::parse("http://a/b"), *Uri::parse("HTTP://a/b"));
  EXPECT_NE(*Uri::parse("http://a/b?"), *Uri::parse("http://a/b"));
  EXPECT_NE(*Uri::parse("http://a:80/b"), *Uri::parse("http://a/b"));
}

std::string decode(std::string_view in, DecodeOptions o = {}) {
  std::string out = "keep:";
  auto r = percent_decode(in, out, o);
  if (!r) return "error";
  return out.substr(5);
}

TEST(HttpPercent, decode_handles_escapes_and_options) {
  EXPECT_EQ(decode("a%20b%2fc%2F%7e"), "a b/c/~");
  EXPECT_EQ(decode("a+b"), "a+b");
  EXPECT_EQ(decode("a+b", {.plus_as_space = true}), "a b");
  EXPECT_EQ(decode(""), "");
  EXPECT_EQ(decode("%C3%A9"), "\xC3\xA9");
  for (const char* bad : {"%", "%2", "%g0", "a%0", "%%"}) EXPECT_EQ(decode(bad), "error") << bad;
  EXPECT_EQ(decode("/a%2Fb", {.reject_encoded_slash = true}), "error");
  EXPECT_EQ(decode("/a/b", {.reject_encoded_slash = true}), "/a/b");
  EXPECT_EQ(decode("a%00b", {.reject_nul = true}), "error");
  EXPECT_EQ(decode("a%00b").size(), 3u);

  std::string out = "unchanged";
  auto r = percent_decode("%2F", out, {.reject_encoded_slash = true});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), UriErrc::encoded_slash);
  EXPECT_EQ(out, "unchanged");

  char small[2];
  auto n = percent_decode("abc", std::span<char>(small), {});
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), UriErrc::buffer_too_small);
  n = percent_decode("%41%42", std::span<char>(small), {});
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(small, *n), "AB");
}

TEST(HttpPercent, encode_sets_round_trip_through_decode) {
  std::string s;
  percent_encode("a b/c?d&e=f~\xC3\xA9", s);
  EXPECT_EQ(s, "a%20b%2Fc%3Fd%26e%3Df~%C3%A9");
  s.clear();
  percent_encode("/a b/c:d@e;f", s, EncodeSet::path);
  EXPECT_EQ(s, "/a%20b/c:d@e;f");
  s.clear();
  percent_encode("a/b:c", s, EncodeSet::path_segment);
  EXPECT_EQ(s, "a%2Fb:c");
  s.clear();
  percent_encode("a b+c", s, EncodeSet::form);
  EXPECT_EQ(s, "a+b%2Bc");
  EXPECT_EQ(decode(s, {.plus_as_space = true}), "a b+c");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (EncodeSet set : {EncodeSet::unreserved, EncodeSet::path_segment, EncodeSet::path}) {
    std::string enc;
    percent_encode(all, enc, set);
    EXPECT_EQ(decode(enc), all);
    if (set != EncodeSet::unreserved) {
      EXPECT_TRUE(Uri::parse_origin_form("/" + enc));
    }
  }
}

std::string norm(std::string_view in) {
  std::string out;
  auto r = normalize_path(in, out);
  if (!r) return "error";
  return out;
}

TEST(HttpPath, remove_dot_segments_follows_rfc3986) {
  EXPECT_EQ(norm("/a/b/c/./../../g"), "/a/g");     // RFC 3986 §5.2.4
  EXPECT_EQ(norm("mid/content=5/../6"), "mid/6");  // RFC 3986 §5.2.4
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm(""), "");
  EXPECT_EQ(norm("/a/b"), "/a/b");
  EXPECT_EQ(norm("/a/b/"), "/a/b/");
  EXPECT_EQ(norm("/a/."), "/a/");
  EXPECT_EQ(norm("/a/.."), "/");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/./a/./b/."), "/a/b/");
  EXPECT_EQ(norm("/a//../b"), "/a/b");
  EXPECT_EQ(norm("/a/...b/.b/..c"), "/a/...b/.b/..c");
  EXPECT_EQ(norm("a/.."), "");
  EXPECT_EQ(norm("."), "");
}

TEST(HttpPath, dot_dot_above_the_root_is_an_error) {
  for (const char* bad :
       {"/..", "/../etc/passwd", "/a/../..", "/a/./../../b", "..", "a/../..", "/a/b/../../../c"}) {
    std::string out;
    auto r = normalize_path(bad, out);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), UriErrc::path_escapes_root);
  }
}

TEST(HttpPath, decode_then_normalize_stops_encoded_traversal) {
  std::string decoded;
  ASSERT_TRUE(percent_decode("/static/%2e%2e/%2E%2E/etc/passwd", decoded,
                             {.reject_encoded_slash = true, .reject_nul = true}));
  std::string safe;
  auto r = normalize_path(decoded, safe);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), UriErrc::path_escapes_root);
  decoded.clear();
  EXPECT_FALSE(percent_decode("/static/..%2f..%2fetc", decoded, {.reject_encoded_slash = true}));
}

std::vector<std::string> pairs(std::string_view q, bool plus = false) {
  std::vector<std::string> out;
  for (const QueryParam& p : QueryParams(q, plus)) {
    out.push_back(std::string(p.raw_key()) + (p.has_value() ? "=" : "") +
                  std::string(p.raw_value()));
  }
  return out;
}

TEST(HttpQuery, iterates_pairs_in_order) {
  EXPECT_EQ(pairs("a=1&b=&c"), (std::vector<std::string>{"a=1", "b=", "c"}));
  EXPECT_EQ(pairs("&&a=1&&"), (std::vector<std::string>{"a=1"}));
  EXPECT_EQ(pairs(""), std::vector<std::string>{});
  EXPECT_EQ(pairs("a==b&=x"), (std::vector<std::string>{"a==b", "=x"}));
  QueryParams q("x=%41%20b&y=c+d");
  auto it = q.begin();
  ASSERT_NE(it, q.end());
  EXPECT_EQ(*it->key(), "x");
  EXPECT_EQ(*it->value(), "A b");
  ++it;
  EXPECT_EQ(*it->value(), "c+d");
  ++it;
  EXPECT_EQ(it, q.end());
}

TEST(HttpQuery, get_decodes_keys_and_values_on_demand) {
  QueryParams q("na%6De=J%C3%B6rg&x=1&x=2&flag&sp=a+b", false);
  EXPECT_EQ(q.get("name")->value(), "J\xC3\xB6rg");
  EXPECT_EQ(q.get("x")->value(), "1");
  EXPECT_EQ(q.get("flag")->value(), "");
  EXPECT_EQ(*q.get("missing"), std::nullopt);
  EXPECT_EQ(q.get("sp")->value(), "a+b");
  EXPECT_EQ(QueryParams("sp=a+b", true).get("sp")->value(), "a b");
  EXPECT_EQ(QueryParams("a+b=1", true).get("a b")->value(), "1");
  EXPECT_EQ(q.get_raw("na%6De"), "J%C3%B6rg");
  EXPECT_EQ(q.get_raw("name"), std::nullopt);
  auto bad = QueryParams("a=%zz").get("a");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), UriErrc::invalid_percent_encoding);
  EXPECT_FALSE(QueryParams("%g=1&a=2").get("a"));
}

}  // namespace
}  // namespace strata::http
