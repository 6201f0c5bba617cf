// http::Client request bodies and early answers over loopback: Expect: 100-continue (100, a
// final status instead, no answer within the timeout) and a response that arrives while the
// body is being written (a refusal stops the upload, a 2xx lets it finish, a reset after the
// response does not hide it). Against Strata's own http::Server and against raw TCP servers
// written here for exact control of the wire.
#include "strata/http/client.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "http_test_util.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

// A wait for 100 Continue that a test never reaches: finishing proves the server's answer
// ended it (run_current fails a test that takes longer than 10 s).
constexpr Duration forever = std::chrono::hours(1);

std::string bytes_of(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

std::string url_of(std::uint16_t port, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

// ---- a raw server's side of the wire ----

// Reads up to the end of a head ("\r\n\r\n"); returns it in lower case, keeping the bytes
// read past it in `rest`. nullopt if the peer closed first.
Task<std::optional<std::string>> read_head(net::TcpStream& s, std::string& rest) {
  char tmp[16 * 1024];
  for (;;) {
    const std::size_t end = rest.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string head = lower(rest.substr(0, end + 4));
      rest.erase(0, end + 4);
      co_return head;
    }
    auto n = co_await io::read(s, as_writable_bytes(std::span(tmp)));
    if (!n || *n == 0) co_return std::nullopt;
    rest.append(tmp, *n);
  }
}

// Reads until `n` bytes (counting `rest`) or the end of the stream; returns how many came.
Task<std::size_t> read_bytes(net::TcpStream& s, std::string& rest, std::size_t n) {
  std::size_t got = std::min(n, rest.size());
  rest.erase(0, got);
  char tmp[64 * 1024];
  while (got < n) {
    auto r = co_await io::read(s, as_writable_bytes(std::span(tmp)));
    if (!r || *r == 0) break;
    got += *r;  // (a test client sends nothing after the body)
  }
  co_return got;
}

Task<void> reply(net::TcpStream& s, std::string_view bytes) {
  auto w = co_await io::write_all(s, io::as_bytes(bytes));
  EXPECT_TRUE(w.has_value());
}

// What a raw server saw, checked by the test after it finishes.
struct Seen {
  std::string head;
  bool body_before_answer = false;  // body bytes arrived before the server answered
  std::size_t body = 0;             // body bytes received
  std::string after;                // bytes after the head, for the chunked case
};

// Accepts a connection and reads a request head into seen->head (nullopt, test failed, if
// either fails).
Task<std::optional<net::TcpStream>> accept_request(net::TcpListener* l, std::string& rest,
                                                   Seen* seen) {
  auto c = co_await l->accept();
  std::optional<std::string> head;
  if (c) head = co_await read_head(c->first, rest);
  if (!head) {
    ADD_FAILURE() << "the raw server got no request";
    co_return std::nullopt;
  }
  seen->head = *head;
  co_return std::move(c->first);
}

// ---- Expect: 100-continue against raw servers ----

// Answers 100 Continue, reads the body, answers 200; then serves a GET on the same connection.
Task<void> continue_server(net::TcpListener* l, std::size_t n, Seen* seen) {
  std::string rest;
  auto c = co_await accept_request(l, rest, seen);
  if (!c) co_return;
  seen->body_before_answer = !rest.empty();
  co_await reply(*c, "HTTP/1.1 100 Continue\r\n\r\n");
  seen->body = co_await read_bytes(*c, rest, n);
  co_await reply(*c, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
  auto next = co_await read_head(*c, rest);
  CO_ASSERT_TRUE(next.has_value());
  co_await reply(*c, "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext");
}

Task<void> body_after_100() {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  constexpr std::size_t n = 256 * 1024;
  Seen seen;
  auto server = spawn(continue_server(&*l, n, &seen));
  http::Client client;
  const std::uint16_t port = l->local_addr()->port();
  auto r =
      co_await client.put(url_of(port, "/up")).body(bytes_of(n)).expect_continue(forever).send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::ok);
  auto text = co_await r->body.text(100);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "ok");
  auto next = co_await client.get(url_of(port, "/next")).send();
  CO_ASSERT_OK(next);
  auto next_text = co_await next->body.text(100);
  CO_ASSERT_OK(next_text);
  EXPECT_EQ(*next_text, "next");
  (void)co_await server;
  EXPECT_NE(seen.head.find("\r\nexpect: 100-continue\r\n"), std::string::npos) << seen.head;
  EXPECT_NE(seen.head.find("\r\ncontent-length: 262144\r\n"), std::string::npos);
  EXPECT_FALSE(seen.body_before_answer);
  EXPECT_EQ(seen.body, n);
  EXPECT_EQ(client.stats().connections_opened, 1u);  // kept after the 100-continue exchange
  EXPECT_EQ(client.stats().connections_reused, 1u);
}
TEST(HttpClientExpect, body_goes_after_100_continue_and_the_connection_is_kept) {
  run_current(body_after_100());
}

// Never answers the expectation: reads the body when it comes, answers 200.
Task<void> silent_server(net::TcpListener* l, std::size_t n, Seen* seen) {
  std::string rest;
  auto c = co_await accept_request(l, rest, seen);
  if (!c) co_return;
  seen->body = co_await read_bytes(*c, rest, n);
  co_await reply(*c, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
}

Task<void> body_after_timeout() {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  constexpr std::size_t n = 64 * 1024;
  Seen seen;
  auto server = spawn(silent_server(&*l, n, &seen));
  http::ClientConfig cfg;
  cfg.expect_continue_threshold = 1024;  // automatic, as curl does past 1 MiB
  cfg.expect_continue_timeout = 50ms;
  http::Client client(cfg);
  auto r = co_await client.post(url_of(l->local_addr()->port(), "/up")).body(bytes_of(n)).send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::ok);
  (void)co_await server;
  EXPECT_NE(seen.head.find("\r\nexpect: 100-continue\r\n"), std::string::npos) << seen.head;
  EXPECT_EQ(seen.body, n);
}
TEST(HttpClientExpect, no_answer_within_the_timeout_sends_the_body_anyway) {
  run_current(body_after_timeout());
}

Task<void> small_bodies_do_not_ask() {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  Seen seen;
  auto server = spawn(silent_server(&*l, 100, &seen));
  http::ClientConfig cfg;
  cfg.expect_continue_threshold = 1024;
  cfg.expect_continue_timeout = forever;
  http::Client client(cfg);
  auto r = co_await client.post(url_of(l->local_addr()->port(), "/up")).body(bytes_of(100)).send();
  CO_ASSERT_OK(r);
  (void)co_await server;
  EXPECT_EQ(seen.head.find("expect"), std::string::npos) << seen.head;
  EXPECT_EQ(seen.body, 100u);
}
TEST(HttpClientExpect, bodies_under_the_threshold_do_not_ask) {
  run_current(small_bodies_do_not_ask());
}

// Answers 417 (keep-alive) to the head; then records what the client sends until it closes
// (Content-Length) or the chunked body's end and a GET (chunked).
Task<void> refusing_server(net::TcpListener* l, bool chunked, Seen* seen) {
  std::string rest;
  auto c = co_await accept_request(l, rest, seen);
  if (!c) co_return;
  co_await reply(*c, "HTTP/1.1 417 Expectation Failed\r\ncontent-length: 0\r\n\r\n");
  if (!chunked) {
    seen->body = co_await read_bytes(*c, rest, std::size_t(-1));  // until the close
    co_return;
  }
  auto end = co_await read_head(*c, rest);  // "0\r\n\r\n" ends like a head
  CO_ASSERT_TRUE(end.has_value());
  seen->after = *end;
  auto next = co_await read_head(*c, rest);
  CO_ASSERT_TRUE(next.has_value());
  seen->after += *next;
  co_await reply(*c, "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext");
}

Task<void> refused_content_length() {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  Seen seen;
  auto server = spawn(refusing_server(&*l, false, &seen));
  http::Client client;
  auto r = co_await client.put(url_of(l->local_addr()->port(), "/up"))
               .body(bytes_of(1 << 20))
               .expect_continue(forever)
               .send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::expectation_failed);
  EXPECT_EQ(client.open_connections(), 0u);  // the server may wait for the announced bytes
  (void)co_await server;
  EXPECT_EQ(seen.body, 0u);  // the body never went out
}
TEST(HttpClientExpect, final_status_skips_a_content_length_body_and_closes) {
  run_current(refused_content_length());
}

Task<void> refused_chunked() {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  Seen seen;
  auto server = spawn(refusing_server(&*l, true, &seen));
  http::Client client;
  const std::uint16_t port = l->local_addr()->port();
  auto [tx, body] = http::Body::channel(2);  // never read: the server refused first
  auto r = co_await client.post(url_of(port, "/up")).body(std::move(body)).expect_continue().send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::expectation_failed);
  auto next = co_await client.get(url_of(port, "/next")).send();
  CO_ASSERT_OK(next);
  auto text = co_await next->body.text(100);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "next");
  (void)co_await server;
  EXPECT_NE(seen.head.find("\r\ntransfer-encoding: chunked\r\n"), std::string::npos);
  EXPECT_TRUE(seen.after.starts_with("0\r\n\r\nget /next http/1.1\r\n")) << seen.after;
  EXPECT_EQ(client.stats().connections_opened, 1u);
}
TEST(HttpClientExpect, final_status_ends_a_chunked_body_empty_and_keeps_the_connection) {
  run_current(refused_chunked());
}

// ---- answers while the body is being written, raw servers ----

// Answers 200 at once, then reads the whole body before sending the response body.
Task<void> early_ok_server(net::TcpListener* l, std::size_t n, Seen* seen) {
  std::string rest;
  auto c = co_await accept_request(l, rest, seen);
  if (!c) co_return;
  co_await reply(*c, "HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n");
  seen->body = co_await read_bytes(*c, rest, n);
  co_await reply(*c, "received");
}

Task<void> early_ok() {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  constexpr std::size_t n = 8 << 20;
  Seen seen;
  auto server = spawn(early_ok_server(&*l, n, &seen));
  http::Client client;
  auto r = co_await client.post(url_of(l->local_addr()->port(), "/up")).body(bytes_of(n)).send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, http::StatusCode::ok);
  auto text = co_await r->body.text(100);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "received");
  (void)co_await server;
  EXPECT_EQ(seen.body, n);
  EXPECT_EQ(client.open_connections(), 1u);  // the whole message went out: kept
}
TEST(HttpClientExpect, early_2xx_lets_the_upload_finish) {
  run_current(early_ok());
}

// Answers `status` with close right after the head and closes with the body unread (a reset).
Task<void> reset_server(net::TcpListener* l, std::string status) {
  std::string rest;
  Seen seen;
  auto c = co_await accept_request(l, rest, &seen);
  if (!c) co_return;
  co_await reply(
      *c, "HTTP/1.1 " + status + "\r\nconnection: close\r\ncontent-length: 7\r\n\r\ntoo big");
}

Task<void> response_before_reset(bool streamed, std::string status = "413 Content Too Large") {
  auto l = net::TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto server = spawn(reset_server(&*l, status));
  http::Client client;
  auto builder = client.post(url_of(l->local_addr()->port(), "/up"));
  std::optional<http::BodySender> tx;
  if (streamed) {
    auto [sender, body] = http::Body::channel(2);
    tx.emplace(std::move(sender));  // one chunk, then the stream stays open
    CO_ASSERT_OK(co_await tx->send(bytes_of(64 * 1024)));
    builder.body(std::move(body));
  } else {
    builder.body(bytes_of(32 << 20));
  }
  auto r = co_await builder.send();
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status.as_u16(), std::stoi(status));
  auto text = co_await r->body.text(100);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, "too big");
  EXPECT_EQ(client.open_connections(), 0u);
  (void)co_await server;
}
TEST(HttpClientExpect, refusal_then_reset_returns_the_response_not_the_write_error) {
  run_current(response_before_reset(false));
}
TEST(HttpClientExpect, refusal_stops_a_stream_that_has_not_ended) {
  run_current(response_before_reset(true));
}
// A 2xx lets the upload go on; the reset that follows fails the write (EPIPE or ECONNRESET),
// and the response read before it is returned.
TEST(HttpClientExpect, early_2xx_then_reset_returns_the_response_not_the_write_error) {
  run_current(response_before_reset(false, "200 OK"));
}

// ---- against http::Server ----

Task<http::Response> upload(http::Request& req) {
  Result<std::string> body = co_await req.body.text(16 << 20);
  if (!body) co_return http::Response::error(http::StatusCode::bad_request);
  co_return http::Response::text(std::to_string(body->size()));
}

Task<http::Response> refuse(http::Request&) {
  co_return http::Response::error(http::StatusCode::content_too_large);
}

// Body::text(limit) refuses a declared length over the limit before reading any of it.
Task<http::Response> limited(http::Request& req) {
  Result<std::string> body = co_await req.body.text(1024);
  if (!body) co_return http::Response::error(http::StatusCode::content_too_large);
  co_return http::Response::text(std::move(*body));
}

template <class F>
Task<void> with_server(F body) {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  auto router = std::make_shared<http::Router>();
  router->post("/upload", upload).post("/refuse", refuse).post("/limited", limited);
  auto serving = spawn(server->serve(router));
  co_await body(server->local_addr().port());
  server->shutdown(1s);
  (void)co_await serving;
}

Task<void> send_all(http::BodySender tx, std::size_t n) {
  for (std::size_t off = 0; off < n; off += 64 * 1024) {
    if (!co_await tx.send(bytes_of(std::min<std::size_t>(64 * 1024, n - off)))) co_return;
  }
}

Task<void> strata_continue(std::uint16_t port) {
  http::Client client;
  constexpr std::size_t n = 1 << 20;
  // Strata's server answers 100 when the handler first reads the body.
  auto r = co_await client.post(url_of(port, "/upload"))
               .body(bytes_of(n))
               .expect_continue(forever)
               .send();
  CO_ASSERT_OK(r);
  auto text = co_await r->body.text(100);
  CO_ASSERT_OK(text);
  EXPECT_EQ(*text, std::to_string(n));
  auto [tx, body] = http::Body::channel(4);
  auto producer = spawn(send_all(std::move(tx), n));
  auto r2 = co_await client.post(url_of(port, "/upload"))
                .body(std::move(body))
                .expect_continue(forever)
                .send();
  CO_ASSERT_OK(r2);
  auto text2 = co_await r2->body.text(100);
  CO_ASSERT_OK(text2);
  EXPECT_EQ(*text2, std::to_string(n));
  (void)co_await producer;
  EXPECT_EQ(client.stats().connections_opened, 1u);
}
TEST(HttpClientExpect, strata_server_answers_100_when_the_handler_reads) {
  run_current(with_server(strata_continue));
}
TEST(HttpClientExpect, strata_server_answers_100_when_the_handler_reads_multi_thread) {
  run_multi(with_server(strata_continue));
}

// A body that announces `size` bytes, yields 64 KiB of them, then never another.
class StalledBody final : public http::BodyStream {
 public:
  explicit StalledBody(std::uint64_t size) : size_(size), chunk_(bytes_of(64 * 1024)) {}
  Poll<Result<io::BufferView>> poll_data(Context&) override {
    if (sent_) return pending;  // no waker kept: it never becomes ready
    sent_ = true;
    return Result<io::BufferView>(io::BufferView(std::string_view(chunk_)));
  }
  std::optional<std::uint64_t> size_hint() const override { return size_; }

 private:
  std::uint64_t size_;
  std::string chunk_;
  bool sent_ = false;
};

Task<void> strata_refusals(std::uint16_t port) {
  http::Client client;
  for (std::string_view path : {"/refuse", "/limited"}) {
    // With the expectation: the final status comes instead of 100, the body stays here.
    auto r = co_await client.post(url_of(port, path))
                 .body(bytes_of(1 << 20))
                 .expect_continue(forever)
                 .send();
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->status, http::StatusCode::content_too_large) << path;
    (void)co_await r->body.discard();
    // Without it: a body that stalls mid-way is stopped by the early 413. (A Content-Length
    // over the server's max_drain_bytes: a chunked one is drained before the server answers.)
    auto body = http::Body::from_stream(std::make_unique<StalledBody>(1 << 20));
    auto r2 = co_await client.post(url_of(port, path)).body(std::move(body)).send();
    CO_ASSERT_OK(r2);
    EXPECT_EQ(r2->status, http::StatusCode::content_too_large) << path;
    (void)co_await r2->body.discard();
  }
  EXPECT_EQ(client.open_connections(), 0u);  // none of them could be reused
  EXPECT_EQ(client.stats().connections_opened, 4u);
}
TEST(HttpClientExpect, strata_server_refusals_come_back_without_the_body) {
  run_current(with_server(strata_refusals));
}

}  // namespace
}  // namespace strata::test
