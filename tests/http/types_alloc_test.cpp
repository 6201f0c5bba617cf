// Proves the HTTP types' hot paths allocate nothing: origin-form parsing, header lookup and
// (after warm-up) header appends on a reused Headers, status lines, date formatting, MIME
// lookup, method parsing, list and query iteration, span-based decoding and normalisation.
// This binary replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "strata/http/date.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/method.hpp"
#include "strata/http/mime.hpp"
#include "strata/http/status.hpp"
#include "strata/http/uri.hpp"

#include "../support/count_allocations.hpp"

namespace strata::http {
namespace {

// Counts the allocations made by f.
template <class F>
long allocations_in(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations.load();
}

// A keep-alive connection's request: the parser appends views, the handler looks up and adds.
void one_request(Headers& h, const std::string& buffer) {
  const std::string_view b(buffer);
  h.append_view_unchecked(b.substr(0, 4), b.substr(6, 11));
  ASSERT_TRUE(h.append_view("Accept", "*/*"));
  ASSERT_TRUE(h.append_view("Connection", "keep-alive, Upgrade"));
  ASSERT_TRUE(h.append(header::content_type, "text/plain; charset=utf-8"));
  ASSERT_TRUE(h.set(header::server, "strata"));
  ASSERT_TRUE(h.insert(header::date, "Sun, 06 Nov 1994 08:49:37 GMT"));
  EXPECT_EQ(h.get("HOST"), "example.com");
  EXPECT_TRUE(h.contains(header::accept));
  EXPECT_TRUE(has_token(*h.get(header::connection), "upgrade"));
  std::size_t n = 0;
  for (std::string_view v : h.get_all("accept")) n += v.size();
  EXPECT_EQ(n, 3u);
  h.clear();
}

TEST(HttpTypesAlloc, counter_sees_allocations) {
  EXPECT_GT(allocations_in([] {
              std::string s(100, 'x');
              EXPECT_EQ(s.size(), 100u);
            }),
            0);
  Headers fresh;  // the first owned append creates the arena
  EXPECT_GT(allocations_in([&] { EXPECT_TRUE(fresh.append("a", "b")); }), 0);
}

TEST(HttpTypesAlloc, reused_headers_allocate_nothing_in_steady_state) {
  Headers h;
  const std::string buffer = "Host: example.com\r\n";
  one_request(h, buffer);  // warm-up: entry vector and first arena chunk
  EXPECT_EQ(allocations_in([&] {
              for (int i = 0; i < 1000; ++i) one_request(h, buffer);
            }),
            0);
}

TEST(HttpTypesAlloc, origin_form_parse_and_query_iteration_allocate_nothing) {
  const std::string target = "/api/v1/users/42?fields=name%2Cemail&limit=10&flag";
  EXPECT_EQ(allocations_in([&] {
              for (int i = 0; i < 1000; ++i) {
                auto u = Uri::parse_target(target, Method::get);
                ASSERT_TRUE(u);
                std::size_t n = 0;
                for (const QueryParam& p : QueryParams(u->query())) n += p.raw_key().size();
                EXPECT_EQ(n, 15u);
                EXPECT_EQ(QueryParams(u->query()).get_raw("limit"), "10");
              }
            }),
            0);
}

TEST(HttpTypesAlloc, small_values_allocate_nothing) {
  char date[http_date_len];
  char decoded[64];
  char normalized[64];
  EXPECT_EQ(allocations_in([&] {
              for (int i = 0; i < 1000; ++i) {
                EXPECT_EQ(status_line(StatusCode::ok).size(), 17u);
                EXPECT_EQ(StatusCode::not_found.reason(), "Not Found");
                format_http_date(784111777 + i, date);
                EXPECT_TRUE(parse_http_date(std::string_view(date, http_date_len), 0));
                EXPECT_EQ(mime_type_for("/static/app.JS"), "text/javascript; charset=utf-8");
                EXPECT_TRUE(Method::parse("PROPFIND"));
                EXPECT_TRUE(Method::parse("GET"));
                auto d = percent_decode("/a%20b/../c", decoded, {.reject_encoded_slash = true});
                ASSERT_TRUE(d);
                auto n = normalize_path(std::string_view(decoded, *d), normalized);
                ASSERT_TRUE(n);
                EXPECT_EQ(std::string_view(normalized, *n), "/c");
                std::size_t count = 0;
                for (std::string_view e : split_list("gzip, br ,deflate")) count += !e.empty();
                EXPECT_EQ(count, 3u);
              }
            }),
            0);
}

}  // namespace
}  // namespace strata::http
