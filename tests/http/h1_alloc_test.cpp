// Proves that the parsing hot path allocates nothing: request and response heads, and chunked
// bodies without trailers (trailers are copied into decoder-owned storage by design). This binary
// replaces the global operator new to count allocations (like tests/io/alloc_test.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string_view>

#include "strata/http/h1/chunked.hpp"
#include "strata/http/h1/parser.hpp"

#include "../support/count_allocations.hpp"

namespace {

using namespace strata::http::h1;

// Counts the allocations made while fn runs.
template <class Fn>
long allocations_during(Fn&& fn) {
  allocations = 0;
  counting = true;
  fn();
  counting = false;
  return allocations.load();
}

TEST(H1Alloc, parsing_heads_and_chunked_bodies_allocates_nothing) {
  const std::string_view request =
      "POST /api/items HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
  const std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n";
  const std::string_view body = "5;ext=1\r\nhello\r\n8\r\n, world!\r\n0\r\n\r\n";
  RequestParser rp;
  RequestHead rh;
  ResponseParser sp;
  ResponseHead sh;
  ChunkedDecoder dec;
  std::size_t sink = 0;
  const long n = allocations_during([&] {
    for (int i = 0; i < 1000; ++i) {
      // Incremental: a partial head first, then the whole.
      sink += rp.parse(request.substr(0, 40), rh).consumed;
      sink += rp.parse(request, rh).consumed;
      sink += sp.parse(response, sh).consumed;
      dec.reset();
      std::string_view in = body;
      while (!in.empty()) {
        const ChunkedStep s = dec.decode(in);
        in.remove_prefix(s.consumed);
        sink += s.data.size();
        if (s.status == ChunkedStatus::done) break;
      }
    }
  });
  EXPECT_EQ(n, 0);
  EXPECT_EQ(sink, 1000 * (request.size() + response.size() + 13));
}

TEST(H1Alloc, trailers_are_the_one_thing_that_allocates) {
  // Also proves the counter sees allocations, so the zero above means something.
  ChunkedDecoder dec;
  const long n = allocations_during(
      [&] { EXPECT_EQ(dec.decode("0\r\nX-Checksum: abc\r\n\r\n").status, ChunkedStatus::done); });
  EXPECT_GT(n, 0);
  ASSERT_EQ(dec.trailers().size(), 1u);
  EXPECT_EQ(dec.trailers()[0].value, "abc");
}

}  // namespace
