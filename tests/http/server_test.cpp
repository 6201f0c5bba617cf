// http::Server over loopback with a raw TCP client: keep-alive, pipelining, bodies (length,
// chunked, 100-continue), streamed responses, HEAD, 404/405, errors and limits, deadlines,
// graceful shutdown.
#include <gtest/gtest.h>
#include <pthread.h>

#include <map>
#include <string>
#include <vector>

#include "http_test_util.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

constexpr auto plaintext = plaintext_handler;
constexpr auto echo = echo_handler<1 << 20>;

Task<http::Response> user(http::Request& req) {
  co_return http::Response::text("user " + std::string(req.params.get("id").value_or("?")) +
                                 " q=" + req.query_param("q").value_or(""));
}

Task<void> produce_numbers(http::BodySender tx) {
  for (int i = 0; i < 5; ++i) (void)co_await tx.send("n" + std::to_string(i) + ";");
}

Task<http::Response> stream_numbers(http::Request&) {
  auto [tx, body] = http::Body::channel(2);
  (void)spawn(produce_numbers(std::move(tx)));
  co_return http::Response(http::StatusCode::ok, std::move(body));
}

// A streamed body of two chunks with a trailer section.
class TrailedBody final : public http::BodyStream {
 public:
  TrailedBody() { (void)trailers_.append("x-checksum", "123"); }
  Poll<Result<io::BufferView>> poll_data(Context&) override {
    static constexpr std::string_view parts[] = {"abc", "def"};
    if (next_ < 2) return Result<io::BufferView>(io::BufferView(parts[next_++]));
    done_ = true;
    return Result<io::BufferView>{};
  }
  const http::Headers* trailers() const override { return done_ ? &trailers_ : nullptr; }

 private:
  http::Headers trailers_;
  int next_ = 0;
  bool done_ = false;
};

Task<http::Response> with_trailers(http::Request&) {
  co_return http::Response(http::StatusCode::ok,
                           http::Body::from_stream(std::make_unique<TrailedBody>()));
}

Task<http::Response> slow(http::Request&) {
  co_await sleep(200ms);
  co_return http::Response::text_static("slow done");
}

Task<http::Response> throws(http::Request&) {
  throw std::runtime_error("handler bug");
  co_return http::Response();
}

Task<http::Response> big(http::Request&) {
  co_return http::Response::text(std::string(1 << 20, 'x'));
}

// After "101 Switching Protocols": answers each line with its upper-case form, until "bye".
Task<void> shout_protocol(http::Upgraded& io) {
  std::string line;
  std::array<std::byte, 256> buf;
  for (;;) {
    Result<std::size_t> n = co_await io::read(io, buf);
    if (!n || *n == 0) co_return;
    for (std::size_t i = 0; i < *n; ++i) {
      char c = static_cast<char>(buf[i]);
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      if (line == "bye") co_return;
      for (char& ch : line) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      line.push_back('\n');
      (void)co_await io::write_all(io, io::as_bytes(line));
      line.clear();
    }
  }
}

Task<http::Response> upgrade_to_shout(http::Request& req) {
  if (!req.headers.get(http::header::upgrade))
    co_return http::Response::error(http::StatusCode::bad_request);
  http::Response r(http::StatusCode::switching_protocols);
  r.headers.append_view_unchecked(http::header::connection, "upgrade");
  r.headers.append_view_unchecked(http::header::upgrade, "shout/1");
  r.on_upgrade = shout_protocol;
  co_return r;
}

Task<http::Response> bogus_101(http::Request&) {
  co_return http::Response(http::StatusCode::switching_protocols);
}

// The name of the worker thread running the handler ("strata-work-<k>").
Task<http::Response> whoami(http::Request&) {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  co_return http::Response::text(name);
}

std::shared_ptr<http::Router> test_router() {
  auto r = std::make_shared<http::Router>();
  r->get("/plaintext", plaintext)
      .post("/echo", echo)
      .get("/users/:id", user)
      .get("/stream", stream_numbers)
      .get("/slow", slow)
      .get("/throws", throws)
      .get("/big", big)
      .get("/shout", upgrade_to_shout)
      .get("/bogus101", bogus_101)
      .get("/trailers", with_trailers)
      .get("/whoami", whoami);
  return r;
}

// Starts a server with `config` and runs `body(addr)` against it, then shuts it down.
template <class F>
Task<void> with_server(http::ServerConfig config, F body) {
  return with_server_serving(std::move(config), test_router(), std::move(body));
}

Task<void> plaintext_keep_alive(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  for (int i = 0; i < 3; ++i) {
    auto r = co_await c->exchange("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello, World!");
    EXPECT_EQ(r->headers["content-length"], "13");
    EXPECT_EQ(r->headers["content-type"], "text/plain; charset=utf-8");
    EXPECT_EQ(r->headers["date"].size(), 29u);
    EXPECT_EQ(r->headers.count("connection"), 0u);
  }
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, plaintext_keep_alive) {
  run(with_server({}, plaintext_keep_alive));
}

Task<void> pipelined_in_order(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  std::string batch;
  for (int i = 0; i < 16; ++i) {
    batch += "GET /users/" + std::to_string(i) + "?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  CO_ASSERT_OK(co_await c->send(batch));
  for (int i = 0; i < 16; ++i) {
    auto r = co_await c->read();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->body, "user " + std::to_string(i) + " q=a b");
  }
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, pipelined_requests_are_answered_in_order) {
  run(with_server({}, pipelined_in_order));
}

Task<void> request_bodies(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(
      co_await c->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  auto r1 = co_await c->read();
  CO_ASSERT_OK(r1);
  EXPECT_EQ(r1->body, "hello");
  // Chunked, with an extension and a trailer, sent in pieces.
  CO_ASSERT_OK(
      co_await c->send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3;ext=1\r\nabc\r\n"));
  co_await sleep(20ms);
  auto r2 = co_await c->exchange("4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n");
  CO_ASSERT_OK(r2);
  EXPECT_EQ(r2->body, "abcdefg");
  // A body larger than the read buffer.
  std::string large(300'000, 'z');
  auto r3 = co_await c->exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                 std::to_string(large.size()) + "\r\n\r\n" + large);
  CO_ASSERT_OK(r3);
  EXPECT_EQ(r3->body.size(), large.size());
  EXPECT_TRUE(r3->body == large);
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, request_bodies_length_chunked_and_large) {
  run(with_server({}, request_bodies));
}

Task<void> expect_continue(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  auto interim = co_await c->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  CO_ASSERT_OK(interim);
  EXPECT_EQ(interim->status, 100);
  auto r = co_await c->exchange("ping");
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ping");
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, expect_100_continue) {
  run(with_server({}, expect_continue));
}

Task<void> unread_body_after_unanswered_continue_closes(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  // The handler never reads the body: no 100 is sent, so the server must not wait for it.
  auto r = co_await c->exchange(
      "POST /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers["allow"], "GET, HEAD");
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(co_await c->closed_within(2s));
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, unread_body_with_expect_continue_closes_the_connection) {
  run(with_server({}, unread_body_after_unanswered_continue_closes));
}

Task<void> streamed_response(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  auto r = co_await c->exchange("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(r);
  EXPECT_TRUE(r->chunked);
  EXPECT_EQ(r->body, "n0;n1;n2;n3;n4;");
  // HTTP/1.0 cannot do chunked: the body is delimited by the close.
  auto c10 = co_await connect(addr);
  CO_ASSERT_OK(c10);
  auto r10 = co_await c10->exchange("GET /stream HTTP/1.0\r\n\r\n");
  CO_ASSERT_OK(r10);
  EXPECT_FALSE(r10->chunked);
  EXPECT_EQ(r10->body, "n0;n1;n2;n3;n4;");
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, streamed_response_bodies) {
  run(with_server({}, streamed_response));
}

Task<void> head_404_405_and_big(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(co_await c->send("HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto h = co_await c->read(/*head_request=*/true);
  CO_ASSERT_OK(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->headers["content-length"], "13");
  EXPECT_EQ(h->body, "");
  auto nf = co_await c->exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(nf);
  EXPECT_EQ(nf->status, 404);
  auto na = co_await c->exchange("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(na);
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(na->headers["allow"], "POST");
  auto b = co_await c->exchange("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(b);
  EXPECT_EQ(b->body.size(), 1u << 20);
  // Still usable after all of that.
  auto ok = co_await c->exchange("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(ok);
  EXPECT_EQ(ok->body, "Hello, World!");
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, head_not_found_method_not_allowed_and_large_bodies) {
  run(with_server({}, head_404_405_and_big));
}

// Each malformed request gets its status and a closed connection.
Task<void> refused(net::SocketAddr addr, std::string request, int status) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  auto r = co_await c->exchange(request);
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, status) << request;
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(co_await c->closed_within(2s)) << request;
}
Task<void> refusals(net::SocketAddr addr) {
  co_await refused(addr, "GET /plaintext HTTP/1.1\r\n\r\n", 400);  // no Host
  co_await refused(addr,
                   "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   400);  // smuggling: CL + TE
  co_await refused(addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nab", 400);
  co_await refused(addr, "GET /plaintext HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
  co_await refused(addr, "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
  co_await refused(addr, "GET " + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
  co_await refused(addr, "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400);  // "*" is for OPTIONS
  co_await refused(addr, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413);
  co_await refused(addr, "GET /throws HTTP/1.1\r\nHost: x\r\n\r\n", 500);
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, malformed_requests_are_refused_with_their_status_and_closed) {
  http::ServerConfig config;
  config.max_body_bytes = 1 << 20;
  run(with_server(config, refusals));
}

Task<void> deadlines(net::SocketAddr addr) {
  // A head that never completes: 408, then close.
  auto slow = co_await connect(addr);
  CO_ASSERT_OK(slow);
  auto r = co_await slow->exchange("GET /plaintext HTTP/1.1\r\nHost");
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(co_await slow->closed_within(2s));
  // An idle keep-alive connection is closed quietly.
  auto idle = co_await connect(addr);
  CO_ASSERT_OK(idle);
  auto first = co_await idle->exchange("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(first);
  EXPECT_TRUE(co_await idle->closed_within(2s));
  EXPECT_TRUE(idle->buffered().empty());
  // A body that stalls: 408 from the server whatever the handler answered, then close.
  auto stall = co_await connect(addr);
  CO_ASSERT_OK(stall);
  CO_ASSERT_OK(
      co_await stall->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
  auto s = co_await stall->read();
  CO_ASSERT_OK(s);
  EXPECT_EQ(s->status, 408);  // echo answers 413 for any body error: the server knows better
  EXPECT_TRUE(co_await stall->closed_within(2s));
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, header_idle_and_body_deadlines) {
  http::ServerConfig config;
  config.header_timeout = 150ms;
  config.idle_timeout = 150ms;
  config.body_timeout = 150ms;
  run(with_server(config, deadlines));
}

Task<void> graceful_shutdown() {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  net::SocketAddr addr = server->local_addr();
  auto serving = spawn(server->serve(test_router()));
  auto busy = co_await connect(addr);
  CO_ASSERT_OK(busy);
  auto idle = co_await connect(addr);
  CO_ASSERT_OK(idle);
  CO_ASSERT_OK(co_await busy->send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  co_await sleep(50ms);  // the slow request is in flight
  server->shutdown(5s);
  // The in-flight request still completes (and says the connection closes)...
  auto r = co_await busy->read();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->headers["connection"], "close");
  // ...the idle connection is closed, and serve() returns.
  EXPECT_TRUE(co_await idle->closed_within(2s));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
  EXPECT_EQ(server->stats().connections_active, 0u);
  // New connections are refused.
  auto late = co_await net::TcpStream::connect(addr);
  EXPECT_FALSE(late.has_value());
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, graceful_shutdown_finishes_in_flight_requests) {
  run(graceful_shutdown());
}

Task<void> shutdown_deadline_cancels() {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(test_router()));
  auto busy = co_await connect(server->local_addr());
  CO_ASSERT_OK(busy);
  CO_ASSERT_OK(co_await busy->send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  co_await sleep(20ms);
  server->shutdown(10ms);  // shorter than the handler: it is cancelled
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  EXPECT_EQ(server->stats().connections_active, 0u);
  EXPECT_TRUE(co_await busy->closed_within(2s));
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, shutdown_deadline_cancels_what_is_left) {
  run(shutdown_deadline_cancels());
}

Task<void> upgrade_hand_off(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  // The first line of the new protocol travels with the request head: it must not be lost.
  auto r = co_await c->exchange(
      "GET /shout HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: shout/1\r\n\r\nhello\n");
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, 101);
  EXPECT_EQ(r->headers["upgrade"], "shout/1");
  EXPECT_EQ(r->headers["connection"], "upgrade");
  CO_ASSERT_OK(co_await c->send("again\nbye\n"));
  EXPECT_TRUE(co_await c->closed_within(2s));
  EXPECT_EQ(c->buffered(), "HELLO\nAGAIN\n");
  // A 101 without an Upgrade request is a server bug: 500, close.
  auto b = co_await connect(addr);
  CO_ASSERT_OK(b);
  auto e = co_await b->exchange("GET /bogus101 HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(e);
  EXPECT_EQ(e->status, 500);
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, upgrade_hands_the_connection_to_the_handler) {
  run(with_server({}, upgrade_hand_off));
}

Task<void> response_trailers(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(co_await c->send("GET /trailers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(co_await c->closed_within(2s));
  const std::string& raw = c->buffered();
  EXPECT_NE(raw.find("transfer-encoding: chunked\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\nx-checksum: 123\r\n\r\n"),
            std::string::npos)
      << raw;
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, streamed_response_with_trailers) {
  run(with_server({}, response_trailers));
}

Task<void> many_clients(net::SocketAddr addr, int id, int requests) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  for (int i = 0; i < requests; ++i) {
    std::string body = "client " + std::to_string(id) + " request " + std::to_string(i);
    auto r = co_await c->exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body);
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->body, body);
  }
}
Task<void> concurrent_clients(net::SocketAddr addr) {
  std::vector<JoinHandle<void>> clients;
  for (int i = 0; i < 64; ++i) clients.push_back(spawn(many_clients(addr, i, 50)));
  for (auto& c : clients) co_await c;
}
TEST(HttpServer, concurrent_clients_on_two_workers_and_two_listeners) {
  http::ServerConfig config;
  config.listeners = 2;
  run_multi(with_server(config, concurrent_clients), 2, 30s);
}

// The default config binds one listener per worker, each registered with its worker's reactor:
// connections accepted on listener k are served on worker k. SO_REUSEPORT spreads 40 new
// connections over both listeners, so both workers serve (with all listeners on one worker, as
// before WorkerAffinity, every request ran on that worker in release builds).
Task<void> new_connections_spread_over_workers(net::SocketAddr addr) {
  // Up to 3 rounds: on a machine busy enough that one worker thread gets no CPU for a while, the
  // other steals its queued accept loop and serves a whole round (steals balance, by design).
  std::map<std::string, int> served;
  for (int round = 0; round < 3 && served.size() < 2; ++round) {
    served.clear();
    for (int i = 0; i < 40; ++i) {
      auto c = co_await connect(addr);
      CO_ASSERT_OK(c);
      auto r = co_await c->exchange("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n");
      CO_ASSERT_OK(r);
      ++served[r->body];
    }
  }
  EXPECT_EQ(served.size(), 2u) << served.begin()->first << " served " << served.begin()->second;
}
TEST(HttpServer, listeners_default_to_one_per_worker_and_serve_on_their_worker) {
  run_multi(with_server({}, new_connections_spread_over_workers), 2, 30s);
}

struct LogLine {
  std::string method, path;
  int status;
  std::uint64_t bytes;
};
std::vector<LogLine> access_lines;

Task<void> logged_requests(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(
      co_await c->send("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"));
  CO_ASSERT_OK(co_await c->read());
  CO_ASSERT_OK(co_await c->read());
}
STRATA_TEST_ALL_FLAVOURS(HttpServer, access_log_sees_every_response) {
  access_lines.clear();
  http::ServerConfig config;
  config.access_log = [](const http::AccessLogEntry& e) {
    access_lines.push_back({std::string(e.request.method.as_str()), std::string(e.request.path()),
                            e.status.as_u16(), e.body_bytes});
  };
  run(with_server(config, logged_requests));
  ASSERT_EQ(access_lines.size(), 2u);
  EXPECT_EQ(access_lines[0].path, "/plaintext");
  EXPECT_EQ(access_lines[0].status, 200);
  EXPECT_EQ(access_lines[0].bytes, 13u);
  EXPECT_EQ(access_lines[1].path, "/missing");
  EXPECT_EQ(access_lines[1].status, 404);
}

}  // namespace
}  // namespace strata::test
