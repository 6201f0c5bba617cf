// The rx bridge of WebSocket (strata/web/ws.hpp) over real loopback sockets, Strata's ws server
// and client on both ends: incoming messages as an Observable on the server (an rx chain
// answering them) and on the client, Observables sent as messages (text, binary, JSON), a
// source error closing with 1011, and one subscription at a time.
#include "strata/web/ws.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "../http/http_test_util.hpp"
#include "../support/flavours.hpp"
#include "strata/http/ws/client.hpp"
#include "strata/http/ws/server.hpp"
#include "strata/rx.hpp"

namespace strata::test {
namespace {

namespace ws = http::ws;

// Answers each message with "echo: <text>" through an rx chain until "bye", then "goodbye".
Task<void> echo_session(ws::WebSocket& socket) {
  auto replies = web::ws_messages(socket) |
                 rx::take_while([](const ws::Message& m) { return m.data != "bye"; }) |
                 rx::map([](const ws::Message& m) { return "echo: " + m.data; });
  Result<void> sent = co_await web::ws_send_all(socket, replies);
  if (sent) (void)co_await socket.send_text("goodbye");
}

struct Point {
  int x = 0;
  int y = 0;
};
BOOST_DESCRIBE_STRUCT(Point, (), (x, y))

// Pushes Observables of each kind of value, then returns (which closes with 1000).
Task<void> push_session(ws::WebSocket& socket) {
  // (No braced lists inside co_await: g++ 12 rejects them in coroutines.)
  std::vector<std::string> words{"one", "two"};
  auto texts = rx::of<std::string>(words);
  Result<void> a = co_await web::ws_send_all(socket, texts);
  if (!a) co_return;
  std::vector<std::vector<std::byte>> blobs(1);
  blobs[0] = {std::byte{0}, std::byte{255}, std::byte{7}};
  auto binary = rx::of<std::vector<std::byte>>(blobs);
  Result<void> b = co_await web::ws_send_all(socket, binary);
  if (!b) co_return;
  auto points = rx::of(1, 2, 3) | rx::map([](int i) { return Point{i, i * 10}; }) | rx::take(2);
  Result<void> c = co_await web::ws_send_all(socket, points);
  if (!c) co_return;
  ws::Message m;
  m.type = ws::MessageType::text;
  m.data = std::string("as is");
  auto as_is = rx::of(m);
  (void)co_await web::ws_send_all(socket, as_is);
}

// A source that errors after one value: the socket is closed with 1011.
Task<void> failing_session(ws::WebSocket& socket) {
  std::vector<rx::Observable<int>> parts{rx::of(7),
                                         rx::throw_error<int>(std::runtime_error("boom"))};
  auto source = rx::concat<int>(parts);
  Result<void> r = co_await web::ws_send_all(socket, source);
  EXPECT_FALSE(r);
  if (!r) {
    EXPECT_TRUE(r.error().code() == make_error_code(ws::CloseCode::internal_error));
  }
}

std::shared_ptr<http::Router> router() {
  auto r = std::make_shared<http::Router>();
  r->get(
       "/echo",
       [](http::Request& req) -> Task<http::Response> { co_return ws::accept(req, echo_session); })
      .get("/push",
           [](http::Request& req) -> Task<http::Response> {
             co_return ws::accept(req, push_session);
           })
      .get("/fail", [](http::Request& req) -> Task<http::Response> {
        co_return ws::accept(req, failing_session);
      });
  return r;
}

std::string url(net::SocketAddr addr, std::string_view path) {
  return "ws://" + addr.to_string() + std::string(path);
}

// Everything `socket` receives until it closes, collected through ws_messages.
Task<std::vector<ws::Message>> collect(ws::WebSocket& socket) {
  auto stream = rx::to_stream(web::ws_messages(socket));
  std::vector<ws::Message> got;
  for (;;) {
    std::optional<ws::Message> m = co_await stream.next();
    if (!m) break;
    got.push_back(std::move(*m));
  }
  co_return got;
}

Task<void> echo_through_rx(net::SocketAddr addr) {
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/echo"), {});
  CO_ASSERT_OK(c);
  std::vector<std::string> texts{"a", "bb", "ccc"};
  for (const std::string& text : texts) {
    Result<void> s = co_await c->send_text(text);
    CO_ASSERT_OK(s);
    Result<ws::Message> m = co_await c->receive();
    CO_ASSERT_OK(m);
    EXPECT_TRUE(m->is_text());
    EXPECT_EQ(m->data, "echo: " + text);
  }
  Result<void> bye = co_await c->send_text("bye");
  CO_ASSERT_OK(bye);
  std::vector<ws::Message> rest = co_await collect(*c);  // "goodbye", then the server's close
  CO_ASSERT_TRUE(rest.size() == 1u);
  EXPECT_EQ(rest[0].data, "goodbye");
  std::optional<ws::CloseInfo> info = c->peer_close();
  CO_ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 1000);
}

STRATA_TEST_ALL_FLAVOURS(WebWs, AnRxChainAnswersIncomingMessages) {
  run(with_server_serving({}, router(), echo_through_rx));
}

Task<void> receive_pushed(net::SocketAddr addr) {
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/push"), {});
  CO_ASSERT_OK(c);
  std::vector<ws::Message> got = co_await collect(*c);
  CO_ASSERT_TRUE(got.size() == 6u);
  EXPECT_EQ(got[0].data, "one");
  EXPECT_EQ(got[1].data, "two");
  EXPECT_FALSE(got[2].is_text());
  EXPECT_EQ(got[2].data, std::string("\0\xff\x07", 3));
  EXPECT_TRUE(got[3].is_text());
  EXPECT_EQ(got[3].data, R"({"x":1,"y":10})");
  EXPECT_EQ(got[4].data, R"({"x":2,"y":20})");
  EXPECT_EQ(got[5].data, "as is");
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].is_text(), i != 2) << i;
  std::optional<ws::CloseInfo> info = c->peer_close();
  CO_ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 1000);
}

STRATA_TEST_ALL_FLAVOURS(WebWs, ObservablesAreSentAsTextBinaryAndJsonMessages) {
  run(with_server_serving({}, router(), receive_pushed));
}

Task<void> receive_failure(net::SocketAddr addr) {
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/fail"), {});
  CO_ASSERT_OK(c);
  std::vector<ws::Message> got = co_await collect(*c);
  CO_ASSERT_TRUE(got.size() == 1u);
  EXPECT_EQ(got[0].data, "7");
  std::optional<ws::CloseInfo> info = c->peer_close();
  CO_ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 1011);
}

STRATA_TEST_ALL_FLAVOURS(WebWs, ASourceErrorClosesWith1011) {
  run(with_server_serving({}, router(), receive_failure));
}

Task<void> second_subscription(net::SocketAddr addr) {
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/echo"), {});
  CO_ASSERT_OK(c);
  auto messages = web::ws_messages(*c);
  auto first = rx::to_stream(messages);
  bool refused = false;
  messages.subscribe(
      [](const ws::Message&) {},
      [&](std::exception_ptr e) { refused = rx::reason_as<std::logic_error>(e).has_value(); });
  EXPECT_TRUE(refused);
  Result<void> s = co_await c->send_text("x");
  CO_ASSERT_OK(s);
  std::optional<ws::Message> m = co_await first.next();  // the first subscription still works
  CO_ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->data, "echo: x");
  Result<void> closed = co_await c->close();
  CO_ASSERT_OK(closed);
}

STRATA_TEST_ALL_FLAVOURS(WebWs, OneSubscriptionAtATime) {
  run(with_server_serving({}, router(), second_subscription));
}

}  // namespace
}  // namespace strata::test
