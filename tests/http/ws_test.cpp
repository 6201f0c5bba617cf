// ws::accept and ws::connect over real loopback sockets: the handshake (RFC 6455's key
// example, refusals), echo of text and binary messages with and without permessage-deflate,
// streamed large messages, close codes both ways, and the rules a peer's raw frames must keep
// (1002, 1007, 1009), checked on the wire with a raw TCP client.
#include "strata/http/ws/server.hpp"

#include <gtest/gtest.h>

#include "http_test_util.hpp"
#include "strata/http/ws/client.hpp"
#include "strata/http/ws/room.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;
namespace ws = http::ws;

Task<void> echo_session(ws::WebSocket& s) {
  for (;;) {
    Result<ws::Message> m = co_await s.receive();
    if (!m) co_return;
    if (m->data == "close-me") {
      (void)co_await s.close(static_cast<ws::CloseCode>(4000), "bye");
      co_return;
    }
    Result<void> sent = co_await s.send(m->type, m->bytes());
    if (!sent) co_return;
  }
}

// Sums the sizes of a message's chunks, and answers with the total.
Task<void> count_session(ws::WebSocket& s) {
  std::size_t total = 0;
  std::size_t chunks = 0;
  for (;;) {
    Result<ws::Chunk> c = co_await s.receive_chunk();
    if (!c) co_return;
    total += c->data.size();
    ++chunks;
    if (c->last) break;
  }
  (void)co_await s.send_text(std::to_string(total) + " in " + std::to_string(chunks > 1 ? 2 : 1));
}

ws::Room& the_room() {
  static ws::Room room(16);
  return room;
}

// Forwards the room's frames in a task of its own while this one receives (and so answers
// pings and the close handshake).
Task<void> room_member(ws::WebSocket& s) {
  JoinHandle<Result<void>> fwd = spawn(the_room().forward(s));
  for (;;) {
    Result<ws::Message> m = co_await s.receive();
    if (!m) break;
  }
  fwd.abort();
  (void)co_await fwd;
}

std::shared_ptr<http::Router> ws_router() {
  auto r = std::make_shared<http::Router>();
  r->get("/echo",
         [](http::Request& req) -> Task<http::Response> {
           ws::AcceptOptions o;
           o.protocols = {"two", "one"};
           o.deflate.enabled = true;
           o.options.max_message_size = 4 << 20;
           co_return ws::accept(req, echo_session, o);
         })
      .get("/small",
           [](http::Request& req) -> Task<http::Response> {
             ws::AcceptOptions o;
             o.options.max_message_size = 1000;
             o.deflate.enabled = true;
             co_return ws::accept(req, echo_session, o);
           })
      .get("/count",
           [](http::Request& req) -> Task<http::Response> {
             co_return ws::accept(req, count_session);
           })
      .get("/room",
           [](http::Request& req) -> Task<http::Response> {
             co_return ws::accept(req, room_member);
           })
      .get("/origin", [](http::Request& req) -> Task<http::Response> {
        ws::AcceptOptions o;
        o.check_origin = [](std::string_view origin) { return origin == "https://good.example"; };
        co_return ws::accept(req, echo_session, o);
      });
  return r;
}

template <class F>
Task<void> with_ws_server(F body) {
  return with_server_serving({}, ws_router(), std::move(body));
}

std::string url(net::SocketAddr addr, std::string_view path) {
  return "ws://" + addr.to_string() + std::string(path);
}

TEST(WsHandshake, AcceptKeyMatchesRfc6455Example) {
  EXPECT_EQ(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

Task<void> echo_both_types(net::SocketAddr addr, bool deflate) {
  ws::ClientOptions o;
  o.protocols = {"one", "two"};
  o.deflate.enabled = deflate;
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/echo"), o);
  CO_ASSERT_OK(c);
  EXPECT_EQ(c->subprotocol(), "two");  // the server's preference
  EXPECT_EQ(c->deflate().enabled, deflate);
  for (std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 1u << 20}) {
    std::string text(size, 'a');
    for (std::size_t i = 0; i < size; ++i) text[i] = char('a' + i % 26);
    Result<void> s = co_await c->send_text(text);
    CO_ASSERT_OK(s);
    Result<ws::Message> m = co_await c->receive();
    CO_ASSERT_OK(m);
    EXPECT_TRUE(m->is_text());
    EXPECT_TRUE(m->data == text) << size;
  }
  std::vector<std::byte> bin(3000);
  for (std::size_t i = 0; i < bin.size(); ++i) bin[i] = std::byte(i * 31);
  Result<void> s = co_await c->send_binary(bin);
  CO_ASSERT_OK(s);
  Result<ws::Message> m = co_await c->receive();
  CO_ASSERT_OK(m);
  EXPECT_FALSE(m->is_text());
  EXPECT_TRUE(std::equal(bin.begin(), bin.end(), m->bytes().begin(), m->bytes().end()));
  // The server closes with 4000 "bye"; receive reports it.
  Result<void> last = co_await c->send_text("close-me");
  CO_ASSERT_OK(last);
  Result<ws::Message> end = co_await c->receive();
  EXPECT_FALSE(end);
  EXPECT_TRUE(end.error() == Errc::closed);
  std::optional<ws::CloseInfo> info = c->peer_close();
  CO_ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 4000);
  EXPECT_EQ(info->reason, "bye");
}

STRATA_TEST_ALL_FLAVOURS(WsServer, EchoesTextAndBinaryAndClosesWithCode) {
  run(with_ws_server([](net::SocketAddr a) { return echo_both_types(a, false); }));
}
STRATA_TEST_ALL_FLAVOURS(WsServer, EchoesWithPermessageDeflate) {
  run(with_ws_server([](net::SocketAddr a) { return echo_both_types(a, true); }));
}

Task<void> client_close(net::SocketAddr addr) {
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/echo"));
  CO_ASSERT_OK(c);
  Result<void> cl = co_await c->close(ws::CloseCode::going_away, "done");
  CO_ASSERT_OK(cl);
  EXPECT_TRUE(c->close_sent());
  std::optional<ws::CloseInfo> info = c->peer_close();
  CO_ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 1001);  // echoed by the server
  Result<void> after = co_await c->send_text("late");
  EXPECT_FALSE(after);
}
STRATA_TEST_ALL_FLAVOURS(WsClient, CloseHandshakeEchoesTheCode) {
  run(with_ws_server(client_close));
}

// Server::shutdown ends a WebSocket session with a close handshake (1001), well within the
// grace period, instead of cutting the connection when the grace period ends.
Task<void> shutdown_closes_with_1001() {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(ws_router()));
  Result<ws::WebSocket> c = co_await ws::connect(url(server->local_addr(), "/echo"));
  CO_ASSERT_OK(c);
  Result<void> sent = co_await c->send_text("before");
  CO_ASSERT_OK(sent);
  Result<ws::Message> echo = co_await c->receive();
  CO_ASSERT_OK(echo);
  const Instant start = Clock::now();
  server->shutdown(std::chrono::seconds(30));
  Result<ws::Message> after = co_await c->receive();  // the server's close, answered
  EXPECT_FALSE(after);
  std::optional<ws::CloseInfo> info = c->peer_close();
  CO_ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 1001);
  EXPECT_EQ(info->reason, "server shutting down");
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(20));  // not the 30 s grace period
}
STRATA_TEST_ALL_FLAVOURS(WsServer, ShutdownClosesSessionsWith1001) {
  run(shutdown_closes_with_1001());
}

Task<void> streamed(net::SocketAddr addr) {
  Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/count"));
  CO_ASSERT_OK(c);
  std::string big(3 << 20, 'x');
  Result<void> s = co_await c->send_binary(std::as_bytes(std::span(big)));
  CO_ASSERT_OK(s);
  Result<ws::Message> m = co_await c->receive();
  CO_ASSERT_OK(m);
  EXPECT_EQ(m->data, std::to_string(big.size()) + " in 2");  // arrived in several chunks
}
STRATA_TEST_ALL_FLAVOURS(WsServer, StreamsALargeMessageInChunks) {
  run(with_ws_server(streamed));
}

Task<void> too_big(net::SocketAddr addr) {
  for (bool deflate : {false, true}) {
    ws::ClientOptions o;
    o.deflate.enabled = deflate;
    Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/small"), o);
    CO_ASSERT_OK(c);
    // 2 KB plain, or 1 MB of zeros compressed to about 1 KB (a deflate bomb): both 1009. Small
    // on the wire, so the write completes before the server fails the connection.
    std::string zeros(deflate ? 1'000'000 : 2'000, '\0');
    Result<void> s = co_await c->send_binary(std::as_bytes(std::span(zeros)));
    CO_ASSERT_OK(s);
    Result<ws::Message> m = co_await c->receive();
    EXPECT_FALSE(m);
    std::optional<ws::CloseInfo> info = c->peer_close();
    CO_ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->code, 1009) << deflate;
  }
}
STRATA_TEST_ALL_FLAVOURS(WsServer, MessagesOverTheLimitClose1009EvenCompressed) {
  run(with_ws_server(too_big));
}

// A raw client: the handshake by hand, then frames as literal bytes.
constexpr std::string_view upgrade_head =
    "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// Sends `frames` after a handshake; returns the server's frames until it closes.
Task<Result<std::string>> raw_exchange(net::SocketAddr addr, std::string frames) {
  auto c = co_await connect(addr);
  if (!c) co_return fail(c.error());
  Result<RawResponse> r = co_await c->exchange(upgrade_head);
  if (!r) co_return fail(r.error());
  if (r->status != 101 || r->headers["sec-websocket-accept"] != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    co_return fail(Errc::invalid_input, "no 101");
  Result<void> s = co_await c->send(frames);
  if (!s) co_return fail(s.error());
  bool closed = co_await c->closed_within(5s);
  if (!closed) co_return fail(Errc::timed_out, "server did not close");
  co_return c->buffered();
}

std::string masked(std::uint8_t b0, std::string_view payload) {
  std::string f;
  f += char(b0);
  f += char(0x80 | payload.size());
  const char key[4] = {1, 2, 3, 4};
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f += char(payload[i] ^ key[i % 4]);
  return f;
}

Task<void> raw_rules(net::SocketAddr addr) {
  struct Case {
    std::string frames;
    std::string expect;  // the close frame the server must send
  };
  const std::vector<Case> cases = {
      {std::string("\x81\x02hi", 4), std::string("\x88\x02\x03\xea", 4)},  // unmasked: 1002
      {masked(0x81, "\xce\xba\xff"), std::string("\x88\x02\x03\xef", 4)},  // bad UTF-8: 1007
      {masked(0xC1, "hi"), std::string("\x88\x02\x03\xea", 4)},            // RSV1: 1002
      {masked(0x89, std::string(126, 'p')).replace(1, 1, "\xfe"),
       std::string("\x88\x02\x03\xea", 4)},
      {masked(0x8A, "") + masked(0x89, "ab") + masked(0x88, std::string("\x03\xe8ok", 4)),
       std::string("\x8a\x02"
                   "ab\x88\x02\x03\xe8",
                   8)},  // pong; the close code echoed
      {masked(0x88, std::string("\x03\xed", 2)), std::string("\x88\x02\x03\xea", 4)},  // 1005 sent
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Result<std::string> got = co_await raw_exchange(addr, cases[i].frames);
    CO_ASSERT_OK(got);
    EXPECT_EQ(*got, cases[i].expect) << i;
  }
}
STRATA_TEST_ALL_FLAVOURS(WsServer, EnforcesFrameRulesOnTheWire) {
  run(with_ws_server(raw_rules));
}

Task<void> refusals(net::SocketAddr addr) {
  struct Case {
    std::string request;
    int status;
  };
  const std::string base = "GET /echo HTTP/1.1\r\nHost: x\r\n";
  const std::vector<Case> cases = {
      {base + "\r\n", 426},
      {base + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
              "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
       426},
      {base + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
              "c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
       400},
      {base + "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: "
              "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
       400},
      {"GET /origin HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nUpgrade: "
       "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
       "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
       403},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    Result<RawResponse> r = co_await c->exchange(cases[i].request);
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->status, cases[i].status) << i;
    if (r->status == 426) {
      EXPECT_EQ(r->headers["sec-websocket-version"], "13");
    }
  }
  ws::ClientOptions o;
  o.headers = {{"Origin", "https://good.example"}};
  Result<ws::WebSocket> good = co_await ws::connect(url(addr, "/origin"), o);
  CO_ASSERT_OK(good);
  Result<ws::WebSocket> none = co_await ws::connect(url(addr, "/plain-404"));
  EXPECT_FALSE(none);
}
STRATA_TEST_ALL_FLAVOURS(WsServer, RefusesBadUpgradesWithTheRightStatus) {
  run(with_ws_server(refusals));
}

Task<void> room_fan_out(net::SocketAddr addr) {
  std::vector<ws::WebSocket> members;
  for (int i = 0; i < 3; ++i) {
    ws::ClientOptions o;
    o.deflate.enabled = i == 0;  // plain frames are valid under permessage-deflate too
    Result<ws::WebSocket> c = co_await ws::connect(url(addr, "/room"), o);
    CO_ASSERT_OK(c);
    members.push_back(std::move(*c));
  }
  while (the_room().members() < 3) co_await sleep(2ms);
  EXPECT_EQ(the_room().publish_text("one frame, three sockets"), 3u);
  for (ws::WebSocket& m : members) {
    Result<ws::Message> got = co_await m.receive();
    CO_ASSERT_OK(got);
    EXPECT_EQ(got->data, "one frame, three sockets");
  }
  for (ws::WebSocket& m : members) {
    Result<void> c = co_await m.close();
    EXPECT_TRUE(c);
  }
}
STRATA_TEST_ALL_FLAVOURS(WsRoom, WritesOneEncodedFrameToEveryMember) {
  run(with_ws_server(room_fan_out));
}

// Strata's client against Node's `ws` server (npm; installed into /tmp on first use), echoing
// with and without permessage-deflate. Fails with a message when node or the package is missing.
Task<void> node_echo(std::uint16_t port) {
  for (bool deflate : {false, true}) {
    ws::ClientOptions o;
    o.deflate.enabled = deflate;
    Result<ws::WebSocket> c = co_await ws::connect("ws://127.0.0.1:" + std::to_string(port), o);
    CO_ASSERT_OK(c);
    EXPECT_EQ(c->deflate().enabled, deflate);
    for (std::size_t size : {0u, 200u, 70000u, 1u << 20}) {
      std::string text(size, 'q');
      Result<void> s = co_await c->send_text(text);
      CO_ASSERT_OK(s);
      Result<ws::Message> m = co_await c->receive();
      CO_ASSERT_OK(m);
      EXPECT_TRUE(m->is_text());
      EXPECT_TRUE(m->data == text) << size;
    }
    Result<void> cl = co_await c->close();
    EXPECT_TRUE(cl);
    std::optional<ws::CloseInfo> info = c->peer_close();
    CO_ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->code, 1000);
  }
}

TEST(WsNode, StrataClientAgainstNodeWsServer) {
  const std::string dir = "/tmp/strata-ws-node";
  int st = 0;
  run("mkdir -p " + dir + " && cd " + dir +
          " && (test -d node_modules/ws || npm install ws --no-audit --no-fund >/dev/null 2>&1)",
      st);
  ASSERT_EQ(st, 0) << "node/npm with the ws package is needed for this interop test";
  const std::uint16_t port = static_cast<std::uint16_t>(20000 + ::getpid() % 20000);
  const std::string js =
      "const {WebSocketServer}=require('ws');const s=new WebSocketServer({port:" +
      std::to_string(port) +
      ",perMessageDeflate:true});s.on('connection',w=>w.on('message',(d,b)=>w.send(d,{binary:b})));"
      "setTimeout(()=>process.exit(0),20000);";
  std::string pid = run("cd " + dir + " && (node -e \"" + js + "\" >/dev/null 2>&1 & echo $!)", st);
  ASSERT_EQ(st, 0);
  pid.erase(pid.find_last_not_of("\n") + 1);
  for (int i = 0; i < 100; ++i) {
    int probe = 0;
    run("bash -c 'echo > /dev/tcp/127.0.0.1/" + std::to_string(port) + "' 2>/dev/null", probe);
    if (probe == 0) break;
    ::usleep(50'000);
  }
  run_current(node_echo(port));
  run("kill " + pid, st);
}

TEST(WsDeflate, NegotiatesParameters) {
  ws::DeflateOptions on;
  on.enabled = true;
  std::string resp;
  auto p = ws::negotiate_deflate(
      "x-foo, permessage-deflate; server_max_window_bits=8, "
      "permessage-deflate; client_max_window_bits; server_no_context_takeover",
      on, resp);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->server_no_context_takeover);
  EXPECT_EQ(resp, "permessage-deflate; server_no_context_takeover");
  on.client_max_window_bits = 10;
  p = ws::negotiate_deflate("permessage-deflate; client_max_window_bits=12", on, resp);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->client_max_window_bits, 10);
  EXPECT_EQ(resp, "permessage-deflate; client_max_window_bits=10");
  EXPECT_FALSE(ws::negotiate_deflate("permessage-deflate; bogus", on, resp));
  EXPECT_FALSE(
      ws::negotiate_deflate("permessage-deflate; server_no_context_takeover; "
                            "server_no_context_takeover",
                            on, resp));
  ws::DeflateOptions off;
  EXPECT_FALSE(ws::negotiate_deflate("permessage-deflate", off, resp));
  // The client side refuses what it did not offer.
  EXPECT_FALSE(ws::accept_deflate_response("permessage-deflate", off));
  ws::DeflateOptions fresh;
  fresh.enabled = true;  // offers no client_max_window_bits: the server may not send one
  EXPECT_FALSE(ws::accept_deflate_response("permessage-deflate; client_max_window_bits=9", fresh));
  auto ok = ws::accept_deflate_response("permessage-deflate; server_no_context_takeover", on);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->enabled);
  EXPECT_TRUE(ok->server_no_context_takeover);
}

}  // namespace
}  // namespace strata::test
