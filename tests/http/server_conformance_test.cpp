// http::Server against the RFCs, over a real socket: the status of every refused request head
// (a table, RFC 9110/9112), broken request bodies (400/413/408, then close, readable by the
// client), pipelined responses that are ready while a later body is still arriving, and the
// memory a worker keeps after a burst of large responses.
#include <gtest/gtest.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "http_test_util.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

constexpr auto plaintext = plaintext_handler;
// Like the benchmark server's echo, it answers 413 for any body error; the server must override
// that with the status the error really calls for.
constexpr auto echo = echo_handler<64 << 10>;

// Echo with a large limit (the memory test).
Task<http::Response> echo_big(http::Request& req) {
  Result<std::string> body = co_await req.body.text(16 << 20);
  if (!body) co_return http::Response::error(http::StatusCode::content_too_large);
  co_return http::Response(http::StatusCode::ok, http::Body::from(std::move(*body)));
}

// Refuses without reading the body.
Task<http::Response> refuse(http::Request&) {
  co_return http::Response::error(http::StatusCode::content_too_large);
}

sync::Notify& gate() {
  static sync::Notify n;
  return n;
}
Task<http::Response> gated(http::Request&) {
  co_await gate().notified();
  co_return http::Response::text_static("gate open");
}

int& counted() {
  static int n = 0;
  return n;
}
Task<http::Response> count(http::Request&) {
  ++counted();
  co_return http::Response::text_static("ok");
}
Task<http::Response> mark(http::Request&) {
  co_return http::Response::text(std::to_string(counted()));
}

std::shared_ptr<http::Router> router() {
  auto r = std::make_shared<http::Router>();
  r->get("/plaintext", plaintext)
      .post("/echo", echo)
      .post("/big", echo_big)
      .post("/refuse", refuse)
      .get("/gate", gated)
      .get("/count", count)
      .get("/mark", mark);
  return r;
}

template <class F>
Task<void> with_server(http::ServerConfig config, F body) {
  return with_server_serving(std::move(config), router(), std::move(body));
}

// Sends `request` and expects one response with `status`, then the connection closed.
Task<void> expect_refused(net::SocketAddr addr, std::string request, int status) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  auto r = co_await c->exchange(request);
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, status) << request;
  EXPECT_EQ(r->headers["connection"], "close") << request;
  const bool closed = co_await c->closed_within(3s);  // (g++ 12: no co_await in a condition)
  EXPECT_TRUE(closed) << request;
}

struct Row {
  const char* what;
  std::string request;
  int status;
};

std::vector<Row> head_rows() {
  const std::string h = "Host: x\r\n";
  return {
      // 400: the grammar of the request line and fields (RFC 9112 §2-5).
      {"bad method", "G@T / HTTP/1.1\r\n" + h + "\r\n", 400},
      {"space in target", "GET /a b HTTP/1.1\r\n" + h + "\r\n", 400},
      {"bad version", "GET / HTTP/1.x\r\n" + h + "\r\n", 400},
      {"bare LF", "GET / HTTP/1.1\n" + h + "\r\n", 400},
      {"bare CR", "GET / HTTP/1.1\r" + h + "\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\n" + h + "X: a\r\n b\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\n" + h + "X : a\r\n\r\n", 400},
      {"control in value", "GET / HTTP/1.1\r\n" + h + "X: a\x01\r\n\r\n", 400},
      {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
      {"Host bad port", "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", 400},
      {"Host open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},
      {"CONNECT origin-form", "CONNECT /x HTTP/1.1\r\n" + h + "\r\n", 400},
      {"asterisk for GET", "GET * HTTP/1.1\r\n" + h + "\r\n", 400},
      // 400: framing (RFC 9112 §6, request smuggling).
      {"CL and TE",
       "POST /echo HTTP/1.1\r\n" + h +
           "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"two CL", "POST /echo HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
       400},
      {"signed CL", "POST /echo HTTP/1.1\r\n" + h + "Content-Length: +1\r\n\r\nx", 400},
      {"CL list", "POST /echo HTTP/1.1\r\n" + h + "Content-Length: 1, 1\r\n\r\nx", 400},
      {"CL overflow",
       "POST /echo HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999\r\n\r\n", 400},
      {"chunked not last",
       "POST /echo HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"TE in HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      // 413: a declared body over max_body_bytes (RFC 9110 §15.5.14), refused before reading it.
      {"CL over the limit", "POST /echo HTTP/1.1\r\n" + h + "Content-Length: 1099511627776\r\n\r\n",
       413},
      // 414: the request line over the limit (RFC 9110 §15.5.15).
      {"long target", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n" + h + "\r\n", 414},
      // 431: too many or too large fields (RFC 6585 §5).
      {"huge field", "GET / HTTP/1.1\r\n" + h + "X: " + std::string(70000, 'a') + "\r\n\r\n", 431},
      {"many fields",
       [&] {
         std::string r = "GET / HTTP/1.1\r\n" + h;
         for (int i = 0; i < 200; ++i) r += "X-" + std::to_string(i) + ": v\r\n";
         return r + "\r\n";
       }(),
       431},
      // 501: a transfer coding the server does not implement (RFC 9112 §6.1).
      {"unknown coding", "POST /echo HTTP/1.1\r\n" + h + "Transfer-Encoding: foo, chunked\r\n\r\n",
       501},
      // 505: a well-formed version the server does not speak (RFC 9110 §15.6.6).
      {"HTTP/2.0 line", "GET / HTTP/2.0\r\n" + h + "\r\n", 505},
      {"HTTP/1.2", "GET / HTTP/1.2\r\n" + h + "\r\n", 505},
  };
}

STRATA_TEST_ALL_FLAVOURS(HttpServerConformance, refused_heads_get_the_rfc_status_then_close) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    for (const Row& row : head_rows()) {
      SCOPED_TRACE(row.what);
      co_await expect_refused(addr, row.request, row.status);
    }
  }));
}

STRATA_TEST_ALL_FLAVOURS(HttpServerConformance, valid_host_values_are_served) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    for (std::string host : {"x", "example.com:8080", "127.0.0.1:1", "[::1]:80", "a-b.c_d~e", ""}) {
      auto c = co_await connect(addr);
      CO_ASSERT_OK(c);
      auto r = co_await c->exchange("GET /plaintext HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      CO_ASSERT_OK(r);
      EXPECT_EQ(r->status, 200) << host;
    }
  }));
}

// Broken request bodies: the server answers the status the error calls for, whatever the
// handler answered, then closes.
STRATA_TEST_ALL_FLAVOURS(HttpServerConformance, broken_chunked_bodies_are_400) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    co_await expect_refused(addr, head + "zz\r\nabc\r\n0\r\n\r\n", 400);          // bad size
    co_await expect_refused(addr, head + "3\r\nabcX\r\n0\r\n\r\n", 400);          // no CRLF
    co_await expect_refused(addr, head + "3;a b\r\nabc\r\n0\r\n\r\n", 400);       // bad ext
    co_await expect_refused(addr, head + "11111111111111111\r\n", 400);           // too long
    co_await expect_refused(addr, head + "0\r\nContent-Length: 1\r\n\r\n", 400);  // trailer
    // Trailers over their limits are too-large fields: 431.
    co_await expect_refused(addr, head + "0\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", 431);
    std::string many = head + "0\r\n";
    for (int i = 0; i < 40; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
    co_await expect_refused(addr, many + "\r\n", 431);
  }));
}

STRATA_TEST_ALL_FLAVOURS(HttpServerConformance, chunked_body_over_max_body_bytes_is_413) {
  http::ServerConfig config;
  config.max_body_bytes = 10;
  run(with_server(config, [](net::SocketAddr addr) -> Task<void> {
    co_await expect_refused(addr,
                            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
                            413);
  }));
}

STRATA_TEST_ALL_FLAVOURS(HttpServerConformance, stalled_body_is_408) {
  http::ServerConfig config;
  config.body_timeout = 200ms;
  run(with_server(config, [](net::SocketAddr addr) -> Task<void> {
    co_await expect_refused(addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
                            408);
  }));
}

// A declared length over the handler's limit: the handler's 413 comes at once, without reading
// the body, and the client can read it even though it keeps sending (the server lingers
// instead of resetting the connection).
STRATA_TEST_ALL_FLAVOURS(HttpServerConformance,
                         body_over_the_handlers_limit_is_refused_before_it_is_read) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    const std::size_t declared = 8 << 20;  // over echo's 64 KiB, under max_body_bytes
    CO_ASSERT_OK(co_await c->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                  std::to_string(declared) + "\r\n\r\n"));
    // The response comes before any body byte is sent.
    auto r = co_await timeout(5s, c->read());
    CO_ASSERT_OK(r);
    CO_ASSERT_OK(*r);
    EXPECT_EQ((*r)->status, 413);
    EXPECT_EQ((*r)->headers["connection"], "close");
    // A client that sends its body anyway is not reset while it does.
    std::string chunk(64 << 10, 'x');
    for (int i = 0; i < 8; ++i) {
      Result<void> w = co_await c->send(chunk);
      EXPECT_TRUE(w.has_value()) << "write " << i << ": " << (w ? "" : w.error().message());
      if (!w) break;
    }
    const bool closed = co_await c->closed_within(5s);
    EXPECT_TRUE(closed);
  }));
}

// A handler that refuses a chunked upload without reading it is answered at once (the client
// may wait for the answer before it sends the rest); the rest is discarded afterwards and the
// connection stays usable.
TEST(HttpServerConformance, early_refusal_of_a_chunked_body_is_sent_before_the_body_ends) {
  run_current(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(
        co_await c->send("POST /refuse HTTP/1.1\r\nHost: x\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
    auto r = co_await timeout(5s, c->read());
    CO_ASSERT_OK(r);
    CO_ASSERT_OK(*r);
    EXPECT_EQ((*r)->status, 413);
    EXPECT_EQ((*r)->headers.count("connection"), 0u);  // still keep-alive
    auto next = co_await c->exchange(
        "5\r\nworld\r\n0\r\n\r\n"
        "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
    CO_ASSERT_OK(next);
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, "Hello, World!");
  }));
}

// A pipelined GET is answered while the next request's body is still incomplete (nginx does;
// a client that pipelines and then waits must not deadlock).
STRATA_TEST_ALL_FLAVOURS(HttpServerConformance,
                         pipelined_response_is_not_held_back_by_a_partial_body) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(
        co_await c->send("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhe"));
    auto first = co_await timeout(3s, c->read());
    CO_ASSERT_OK(first);
    CO_ASSERT_OK(*first);
    EXPECT_EQ((*first)->body, "Hello, World!");
    CO_ASSERT_OK(co_await c->send("llo"));
    auto second = co_await timeout(3s, c->read());
    CO_ASSERT_OK(second);
    CO_ASSERT_OK(*second);
    EXPECT_EQ((*second)->body, "hello");
  }));
}

// The same with Expect: 100-continue: the GET's response, then 100 Continue, in that order.
STRATA_TEST_ALL_FLAVOURS(HttpServerConformance, pipelined_response_comes_before_100_continue) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(
        co_await c->send("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                         "Expect: 100-continue\r\n\r\n"));
    auto first = co_await timeout(3s, c->read());
    CO_ASSERT_OK(first);
    CO_ASSERT_OK(*first);
    EXPECT_EQ((*first)->status, 200);
    auto interim = co_await timeout(3s, c->read());
    CO_ASSERT_OK(interim);
    CO_ASSERT_OK(*interim);
    EXPECT_EQ((*interim)->status, 100);
    CO_ASSERT_OK(co_await c->send("hello"));
    auto second = co_await timeout(3s, c->read());
    CO_ASSERT_OK(second);
    CO_ASSERT_OK(*second);
    EXPECT_EQ((*second)->body, "hello");
  }));
}

// A response batched before a handler that waits is written while it waits: /gate answers
// only after the client has read the response before it (no timing involved: if the first
// response were held back, the two would wait for each other until the test's timeout).
STRATA_TEST_ALL_FLAVOURS(HttpServerConformance,
                         pipelined_response_is_not_held_back_by_a_waiting_handler) {
  run(with_server({}, [](net::SocketAddr addr) -> Task<void> {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(
        co_await c->send("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /gate HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto first = co_await timeout(5s, c->read());
    CO_ASSERT_OK(first);
    CO_ASSERT_OK(*first);
    EXPECT_EQ((*first)->body, "Hello, World!");
    gate().notify_one();
    auto second = co_await timeout(5s, c->read());
    CO_ASSERT_OK(second);
    CO_ASSERT_OK(*second);
    EXPECT_EQ((*second)->body, "gate open");
  }));
}

// A pipelined flood is served in budget-sized slices, and a yield lets the reactor run first: a
// request on another connection of the same single-threaded worker is answered long before the
// flood's end. /count counts requests,
// /mark answers the count it saw.
TEST(HttpServerConformance, pipelined_flood_does_not_starve_other_connections) {
  constexpr int flood_requests = 20000;
  counted() = 0;
  run_current(
      with_server({},
                  [](net::SocketAddr addr) -> Task<void> {
                    auto flood = co_await connect(addr);
                    CO_ASSERT_OK(flood);
                    auto other = co_await connect(addr);
                    CO_ASSERT_OK(other);
                    std::string batch;
                    for (int i = 0; i < flood_requests; ++i)
                      batch += "GET /count HTTP/1.1\r\nHost: x\r\n\r\n";
                    CO_ASSERT_OK(
                        co_await other->send("GET /mark HTTP/1.1\r\nHost: x\r\n"));  // most of it
                    auto sending = spawn([](RawClient* c, std::string b) -> Task<Result<void>> {
                      co_return co_await c->send(b);
                    }(&*flood, std::move(batch)));
                    // The flood's first bytes are in; finish the other request and wait for its
                    // answer.
                    while (counted() == 0) co_await yield_now();
                    auto r = co_await timeout(10s, other->exchange("\r\n"));
                    CO_ASSERT_OK(r);
                    CO_ASSERT_OK(*r);
                    const int seen = std::stoi((*r)->body);
                    // Measured: 64 (one budget). Without the budget 12,063; with it but a
                    // yield_now that does not let the reactor run first, 6,111.
                    EXPECT_LT(seen, 1000) << "the other connection waited for the flood";
                    for (int i = 0; i < flood_requests; ++i) {
                      auto fr = co_await flood->read();
                      CO_ASSERT_OK(fr);
                      if (fr->status != 200) {
                        ADD_FAILURE() << "flood response " << i;
                        break;
                      }
                    }
                    auto sent = co_await sending;
                    CO_ASSERT_OK(sent);
                    CO_ASSERT_OK(*sent);
                  }),
      30s);
}

// Heap bytes in use (small and mmapped chunks).
std::size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool malloc_is_glibc = false;  // the sanitizers replace malloc: mallinfo2 sees nothing
#else
constexpr bool malloc_is_glibc = true;
#endif

// After a burst of large echoes the worker gives the memory back: its pooled per-request state
// must not keep each response body's capacity.
TEST(HttpServerConformance, memory_returns_to_idle_after_a_burst_of_large_responses) {
  if (!malloc_is_glibc) GTEST_SKIP() << "needs glibc's malloc statistics";
  constexpr int clients = 24;
  constexpr std::size_t body_size = 2 << 20;
  std::size_t before = 0, after = 0;
  run_current(
      with_server({},
                  [&](net::SocketAddr addr) -> Task<void> {
                    before = heap_in_use();
                    std::vector<JoinHandle<Result<std::size_t>>> all;
                    for (int i = 0; i < clients; ++i) {
                      all.push_back(spawn([](net::SocketAddr a) -> Task<Result<std::size_t>> {
                        auto c = co_await connect(a);
                        if (!c) co_return std::unexpected(c.error());
                        std::string req =
                            "POST /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Content-Length: " +
                            std::to_string(body_size) + "\r\n\r\n" + std::string(body_size, 'b');
                        auto r = co_await c->exchange(req);
                        if (!r) co_return std::unexpected(r.error());
                        co_return r->body.size();
                      }(addr)));
                    }
                    for (auto& h : all) {
                      auto n = co_await h;
                      CO_ASSERT_OK(n);
                      CO_ASSERT_OK(*n);
                      EXPECT_EQ(**n, body_size);
                    }
                    all.clear();
                    co_await sleep(
                        50ms);  // the server's connection tasks finish after the last byte
                    after = heap_in_use();
                  }),
      30s);
  // 24 bodies of 2 MiB went through at once; what stays must be far less than one of them per
  // pooled request state (the bug kept 24 x 2+ MiB).
  EXPECT_LT(after, before + body_size) << "before " << before << " after " << after;
}

}  // namespace
}  // namespace strata::test
