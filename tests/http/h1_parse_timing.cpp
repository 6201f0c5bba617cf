// A quick timing loop for the request head parser (not a test, not a benchmark suite entry):
//   ninja -C <build> h1_parse_timing && <build>/tests/h1_parse_timing
// Prints ns per parse for a few typical requests, in thread CPU time (the machines are shared:
// wall time would count the time other processes hold the core).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "strata/http/h1/parser.hpp"

namespace {

using namespace strata::http::h1;

double ns_per_parse(std::string_view raw, int iterations) {
  RequestHead head;
  std::size_t sink = 0;
  timespec t0;
  timespec t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  for (int i = 0; i < iterations; ++i) {
    const ParseResult r = parse_request(raw, Limits{}, head);
    sink += r.consumed + head.headers.size();
    asm volatile("" : : "r"(sink) : "memory");
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  if (sink != std::size_t(iterations) * (raw.size() + head.headers.size())) std::abort();
  const double ns = double(t1.tv_sec - t0.tv_sec) * 1e9 + double(t1.tv_nsec - t0.tv_nsec);
  return ns / iterations;
}

}  // namespace

int main() {
  const std::string_view plaintext =
      "GET /plaintext HTTP/1.1\r\nHost: server\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
      "Gecko/20130501 Firefox/30.0 AppleWebKit/600.00 Chrome/30.0.0000.0 Trident/10.0 "
      "Safari/600.00\r\nCookie: uid=12345678901234567890; __utma=1.1234567890.1234567890."
      "1234567890.1234567890.12; wd=2560x1600\r\nAccept: text/html,application/xhtml+xml,"
      "application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
      "Connection: keep-alive\r\n\r\n";
  const std::string_view wrk = "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";
  const std::string_view post =
      "POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\n"
      "Content-Length: 27\r\nAccept: application/json\r\nUser-Agent: curl/8.5.0\r\n"
      "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\r\n\r\n";
  const int n = 2'000'000;
  for (int round = 0; round < 3; ++round) {
    std::printf("%-22s %4zu bytes  %6.1f ns/parse\n", "browser-like (TFB)", plaintext.size(),
                ns_per_parse(plaintext, n));
    std::printf("%-22s %4zu bytes  %6.1f ns/parse\n", "wrk minimal", wrk.size(),
                ns_per_parse(wrk, n));
    std::printf("%-22s %4zu bytes  %6.1f ns/parse\n", "api POST", post.size(),
                ns_per_parse(post, n));
  }
}
