// Server-sent events: the WHATWG parser on the standard's cases, the encoder round-tripping
// through it, and sse::response over real loopback sockets: curl (HTTP/1.1 and h2c), nghttp,
// Strata's EventSource reconnecting with Last-Event-ID, a client that leaves (its producer is
// aborted, the connection count returns to zero) and a server shutdown ending open streams.
#include "strata/http/sse/parser.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "http_test_util.hpp"
#include "strata/http/sse.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;
namespace sse = http::sse;

std::vector<sse::Event> parse_all(std::string_view text, sse::Parser& p) {
  std::vector<sse::Event> out;
  Result<void> r = p.feed(text, [&](sse::Event&& e) { out.push_back(std::move(e)); });
  EXPECT_TRUE(r.has_value());
  return out;
}

std::vector<sse::Event> parse_all(std::string_view text) {
  sse::Parser p;
  return parse_all(text, p);
}

// The same bytes fed one at a time.
std::vector<sse::Event> parse_bytewise(std::string_view text) {
  sse::Parser p;
  std::vector<sse::Event> out;
  for (char c : text) {
    Result<void> r =
        p.feed(std::string_view(&c, 1), [&](sse::Event&& e) { out.push_back(std::move(e)); });
    EXPECT_TRUE(r.has_value());
  }
  return out;
}

std::vector<std::string> datas(const std::vector<sse::Event>& events) {
  std::vector<std::string> out;
  for (const sse::Event& e : events) out.push_back(e.data);
  return out;
}

TEST(SseParser, JoinsDataLinesAndDispatchesOnBlankLine) {
  auto ev = parse_all("data: YHOO\ndata: +2\ndata: 10\n\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data, "YHOO\n+2\n10");
  EXPECT_EQ(ev[0].event, "message");
  EXPECT_FALSE(ev[0].id.has_value());
}

TEST(SseParser, StandardExampleWithEmptyDataAndTrailingPartialEvent) {
  // The standard's example: two events ("" and "\n"); the last block has no blank line.
  auto ev = parse_all("data\n\ndata\ndata\n\ndata:");
  EXPECT_EQ(datas(ev), (std::vector<std::string>{"", "\n"}));
}

TEST(SseParser, OneSpaceAfterColonIsDropped) {
  auto ev = parse_all("data:test\n\ndata: test\n\ndata:  two\n\n");
  EXPECT_EQ(datas(ev), (std::vector<std::string>{"test", "test", " two"}));
}

TEST(SseParser, LineEndsCrLfAndCrlf) {
  const std::string text = "data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r";
  EXPECT_EQ(datas(parse_all(text)), (std::vector<std::string>{"a\nb\nc", "d"}));
  EXPECT_EQ(datas(parse_bytewise(text)), (std::vector<std::string>{"a\nb\nc", "d"}));
  // A CR at the end of one feed and the LF at the start of the next are one line end.
  sse::Parser p;
  auto first = parse_all("data: x\r", p);
  auto second = parse_all("\n\r\n", p);
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(datas(second), (std::vector<std::string>{"x"}));
}

TEST(SseParser, LeadingBomIsStrippedOnceEvenWhenSplit) {
  EXPECT_EQ(datas(parse_all("\xEF\xBB\xBF"
                            "data: a\n\n")),
            (std::vector<std::string>{"a"}));
  EXPECT_EQ(datas(parse_bytewise("\xEF\xBB\xBF"
                                 "data: a\n\n")),
            (std::vector<std::string>{"a"}));
  // A second BOM is part of the field name: an unknown field, ignored.
  EXPECT_TRUE(parse_all("\xEF\xBB\xBF\xEF\xBB\xBF"
                        "data: a\n\n")
                  .empty());
  // A partial BOM is data of the first line.
  EXPECT_TRUE(parse_all("\xEF\xBB"
                        "data: a\n\n")
                  .empty());
}

TEST(SseParser, CommentsAndUnknownFieldsAreIgnored) {
  auto ev = parse_all(": hello\n:\nfoo: bar\ndata: x\nDATA: y\n\n");
  EXPECT_EQ(datas(ev), (std::vector<std::string>{"x"}));
}

TEST(SseParser, EventTypeAppliesToOneEventAndResetsOnEmptyBlock) {
  auto ev = parse_all("event: add\ndata: 1\n\ndata: 2\n\nevent: lost\n\ndata: 3\n\n");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].event, "add");
  EXPECT_EQ(ev[1].event, "message");
  EXPECT_EQ(ev[2].event, "message");  // the type of a block without data is dropped
}

TEST(SseParser, IdPersistsIsResetAndIgnoredWithNul) {
  sse::Parser p;
  auto ev = parse_all("id: 7\ndata: a\n\ndata: b\n\n", p);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].id, "7");
  EXPECT_EQ(ev[1].id, "7");  // the last event ID stays
  EXPECT_EQ(p.last_event_id(), "7");
  ev = parse_all(std::string_view("id: 8\0x\ndata: c\n\n", 17), p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].id, "7");  // an id with NUL is ignored
  ev = parse_all("id\ndata: d\n\n", p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0].id.has_value());  // reset to empty
  EXPECT_EQ(p.last_event_id(), "");
  ev = parse_all("id: 9\n\n", p);  // an id alone sets it without dispatching
  EXPECT_TRUE(ev.empty());
  EXPECT_EQ(p.last_event_id(), "9");
}

TEST(SseParser, RetryTakesDigitsOnly) {
  sse::Parser p;
  EXPECT_TRUE(parse_all("retry: 1500\n\n", p).empty());
  EXPECT_EQ(p.retry(), std::chrono::milliseconds(1500));
  parse_all("retry: 15x\nretry: \nretry: -1\nretry:  20\n\n", p);
  EXPECT_EQ(p.retry(), std::chrono::milliseconds(1500));
  parse_all("retry:0\n", p);
  EXPECT_EQ(p.retry(), std::chrono::milliseconds(0));
}

TEST(SseParser, EndDropsAPartialEventAndLimitsBoundMemory) {
  sse::Parser p;
  EXPECT_TRUE(parse_all("data: half", p).empty());
  p.end();
  EXPECT_EQ(datas(parse_all("data: new\n\n", p)), (std::vector<std::string>{"new"}));

  sse::Parser small(sse::ParserLimits{.max_line = 16, .max_data = 32});
  Result<void> r = small.feed(std::string(17, 'a'), [](sse::Event&&) {});
  EXPECT_FALSE(r);
  sse::Parser small_data(sse::ParserLimits{.max_line = 16, .max_data = 20});
  r = small_data.feed("data: 0123456789\ndata: 0123456789\n", [](sse::Event&&) {});
  EXPECT_FALSE(r);
}

TEST(SseEncoder, RoundTripsThroughTheParser) {
  sse::Event e;
  e.data = "one\r\ntwo\rthree\nfour\n";
  e.event = "up\ndate";
  e.id = std::string("4\r2\0", 4);
  e.retry = 250ms;
  std::string out;
  sse::append_event(out, e);
  EXPECT_EQ(out.size(), sse::encoded_size(e));
  EXPECT_EQ(out,
            "event: update\nid: 42\nretry: 250\ndata: one\ndata: two\ndata: three\ndata: "
            "four\ndata: \n\n");
  sse::Parser p;
  auto ev = parse_all(out, p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data, "one\ntwo\nthree\nfour\n");
  EXPECT_EQ(ev[0].event, "update");
  EXPECT_EQ(ev[0].id, "42");
  EXPECT_EQ(p.retry(), 250ms);

  std::string empty;
  sse::append_event(empty, sse::Event{});
  EXPECT_EQ(empty, "data: \n\n");  // an empty message is still dispatched
  std::string id_only;
  sse::Event only;
  only.id = "5";
  sse::append_event(id_only, only);
  EXPECT_EQ(id_only, "id: 5\n\n");  // sets the ID, dispatches nothing
  EXPECT_TRUE(parse_all(id_only).empty());
  std::string comment;
  sse::append_comment(comment, "keep\nalive");
  EXPECT_EQ(comment, ":keepalive\n");
}

// ---- the server ----

// What the routes' producers report.
std::atomic<int> producers_started{0};
std::atomic<int> producers_dropped{0};

struct DropGuard {
  ~DropGuard() { producers_dropped.fetch_add(1); }
};

// Sends events i..count-1 after the client's Last-Event-ID, `per_connection` of them per
// response (then ends it: the client reconnects), with retry: 10.
Task<void> numbered(std::size_t count, std::size_t per_connection, sse::Sink sink,
                    std::string last) {
  std::size_t first = last.empty() ? 0 : std::stoul(last) + 1;
  for (std::size_t i = first; i < count && i < first + per_connection; ++i) {
    sse::Event e;
    e.id = std::to_string(i);
    e.data = "event " + std::to_string(i) + "\nsecond line";
    Result<void> sent = co_await sink.send(std::move(e));
    if (!sent) co_return;
  }
}

// One event, then waits forever (heartbeats off): only a disconnect or a shutdown ends it.
Task<void> forever(sse::Sink sink, std::string) {
  DropGuard guard;
  producers_started.fetch_add(1);
  sse::Event e;
  e.data = "hello";
  Result<void> sent = co_await sink.send(std::move(e));
  if (!sent) co_return;
  co_await sleep(1h);
}

// Sends one event after a few heartbeats' time, then drops the sender (the stream ends).
Task<void> late_event(sync::mpsc::Sender<sse::Event> tx) {
  co_await sleep(70ms);
  sse::Event e;
  e.data = "late";
  (void)co_await tx.send(std::move(e));
}

std::shared_ptr<http::Router> sse_router() {
  auto r = std::make_shared<http::Router>();
  r->get("/numbers",
         [](http::Request& req) -> Task<http::Response> {
           sse::StreamConfig c;
           c.retry = 10ms;
           co_return sse::response(
               req,
               [](sse::Sink s, std::string last) { return numbered(5, 2, std::move(s), last); }, c);
         })
      .get("/forever",
           [](http::Request& req) -> Task<http::Response> {
             sse::StreamConfig c;
             c.heartbeat = Duration::zero();
             co_return sse::response(req, forever, c);
           })
      .get("/beat",
           [](http::Request& req) -> Task<http::Response> {
             auto [tx, rx] = sync::mpsc::channel<sse::Event>(4);
             sse::StreamConfig c;
             c.heartbeat = 20ms;
             // The sender is kept by a task that sends one event after a few heartbeats.
             (void)spawn(late_event(std::move(tx)));
             co_return sse::response(req, std::move(rx), c);
           })
      .get("/plain", [](http::Request&) -> Task<http::Response> {
        co_return http::Response::text("not a stream");
      });
  return r;
}

std::string base(net::SocketAddr a) {
  return "http://" + a.to_string();
}

const std::string numbers_wire =
    "retry: 10\n\nid: 0\ndata: event 0\ndata: second line\n\nid: 1\ndata: event 1\ndata: second "
    "line\n\n";

Task<void> raw_client_sees_headers_and_chunks(net::SocketAddr a) {
  Result<RawClient> c = co_await connect(a);
  CO_ASSERT_OK(c);
  Result<RawResponse> r =
      co_await c->exchange("GET /numbers HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/event-stream");
  EXPECT_EQ(r->headers["cache-control"], "no-cache");
  EXPECT_EQ(r->headers.count("content-encoding"), 0u);
  EXPECT_TRUE(r->chunked);
  EXPECT_EQ(r->body, numbers_wire);
  // Resuming after ID 3: only event 4 is left.
  r = co_await c->exchange("GET /numbers HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 3\r\n\r\n");
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->body, "retry: 10\n\nid: 4\ndata: event 4\ndata: second line\n\n");
}

STRATA_TEST_ALL_FLAVOURS(SseServer, Http1ChunkedWithHeadersAndLastEventId) {
  run(with_server_serving({}, sse_router(), raw_client_sees_headers_and_chunks));
}

Task<void> heartbeats_while_quiet(net::SocketAddr a) {
  Result<RawClient> c = co_await connect(a);
  CO_ASSERT_OK(c);
  Result<RawResponse> r = co_await c->exchange("GET /beat HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(r);
  // At least one comment line before the event, and the end once the sender is gone.
  EXPECT_TRUE(r->body.starts_with(":\n")) << r->body;
  EXPECT_TRUE(r->body.ends_with("data: late\n\n")) << r->body;
}

TEST(SseServer, HeartbeatsAreCommentsWhileNoEventComes) {
  run_current(with_server_serving({}, sse_router(), heartbeats_while_quiet));
}

Task<void> curl_reads_both_protocols(net::SocketAddr a) {
  Curl h1 = co_await curl("-N -H 'Last-Event-ID: 2' " + base(a) + "/numbers");
  EXPECT_EQ(h1.status, 0);
  EXPECT_EQ(h1.out,
            "retry: 10\n\nid: 3\ndata: event 3\ndata: second line\n\nid: 4\ndata: event "
            "4\ndata: second line\n\n");
  Curl h2 =
      co_await curl("-N --http2-prior-knowledge -w '%{http_version}' " + base(a) + "/numbers");
  EXPECT_EQ(h2.status, 0);
  EXPECT_EQ(h2.out, numbers_wire + "2");
  // (g++ 12: the closure is built outside the co_await, whose temporaries it would destroy twice)
  const std::string command = "timeout 5 nghttp " + base(a) + "/numbers";
  auto job = spawn_blocking([command] {
    Curl c;
    c.out = run(command, c.status);
    return c;
  });
  auto nghttp = co_await job;
  CO_ASSERT_OK(nghttp);
  EXPECT_EQ(nghttp->status, 0) << "nghttp (nghttp2-client) is needed";
  EXPECT_EQ(nghttp->out, numbers_wire);
}

TEST(SseServer, CurlOverHttp1AndH2cAndNghttp) {
  run_current(with_server_serving({}, sse_router(), curl_reads_both_protocols));
}

Task<void> event_source_reconnects(net::SocketAddr a) {
  http::Client client;
  sse::EventSource source(client, base(a) + "/numbers");
  for (std::size_t i = 0; i < 5; ++i) {
    Result<sse::Event> e = co_await source.next();
    CO_ASSERT_OK(e);
    EXPECT_EQ(e->id, std::to_string(i));  // resumed after each reconnection, nothing repeated
    EXPECT_EQ(e->data, "event " + std::to_string(i) + "\nsecond line");
    EXPECT_EQ(e->event, "message");
  }
  EXPECT_EQ(source.connections(), 3u);  // two events per response
  EXPECT_EQ(source.retry(), 10ms);      // the server's, not the 3 s default
  EXPECT_EQ(source.last_event_id(), "4");

  sse::EventSourceConfig resume;
  resume.last_event_id = "2";  // a stored ID: the first request already resumes after it
  sse::EventSource resumed(client, base(a) + "/numbers", resume);
  Result<sse::Event> first = co_await resumed.next();
  CO_ASSERT_OK(first);
  EXPECT_EQ(first->id, "3");

  sse::EventSource wrong(client, base(a) + "/plain");
  Result<sse::Event> e = co_await wrong.next();
  CO_ASSERT_TRUE(!e);
  EXPECT_EQ(e.error().code(), sse::EventSourceErrc::bad_content_type);
  sse::EventSource missing(client, base(a) + "/nothing");
  e = co_await missing.next();
  CO_ASSERT_TRUE(!e);
  EXPECT_EQ(e.error().code(), sse::EventSourceErrc::bad_status);
}

STRATA_TEST_ALL_FLAVOURS(SseClient, ReconnectsWithLastEventIdAndServerRetry) {
  run(with_server_serving({}, sse_router(), event_source_reconnects));
}

// Waits (bounded by the test's deadline) until `done()`.
template <class F>
Task<void> eventually(F done) {
  while (!done()) co_await sleep(5ms);
}

Task<void> leaving_client_drops_producer(http::Server& server, bool h2) {
  const int dropped = producers_dropped.load();
  // curl reads the first event and gives up after its --max-time: the client leaves.
  std::string args = h2 ? "--http2-prior-knowledge " : "";
  args += "-N --max-time 1 " + base(server.local_addr()) + "/forever";
  Curl c = co_await curl(std::move(args));
  EXPECT_NE(c.status, 0);  // timed out, as meant
  EXPECT_EQ(c.out, "data: hello\n\n");
  auto producer_dropped = [&] { return producers_dropped.load() > dropped; };
  co_await eventually(producer_dropped);
  auto no_connection = [&] { return server.stats().connections_active == 0; };
  co_await eventually(no_connection);
  EXPECT_EQ(server.stats().connections_active, 0u);
}

Task<void> with_server(std::function<Task<void>(http::Server&)> body) {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(sse_router()));
  co_await body(*server);
  server->shutdown(1s);
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

STRATA_TEST_ALL_FLAVOURS(SseServer, ClientLeavingAbortsProducerOverHttp1) {
  run(with_server([](http::Server& s) { return leaving_client_drops_producer(s, false); }));
}

STRATA_TEST_ALL_FLAVOURS(SseServer, ClientLeavingAbortsProducerOverH2) {
  run(with_server([](http::Server& s) { return leaving_client_drops_producer(s, true); }));
}

Task<void> shutdown_ends_streams() {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(sse_router()));
  const int started = producers_started.load();
  const int dropped = producers_dropped.load();
  // One HTTP/1.1 stream (read here) and one h2c stream (curl).
  Result<RawClient> c = co_await connect(server->local_addr());
  CO_ASSERT_OK(c);
  Result<void> sent = co_await c->send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n");
  CO_ASSERT_OK(sent);
  auto h2 = spawn(
      curl("-N --http2-prior-knowledge --max-time 8 " + base(server->local_addr()) + "/forever"));
  auto both_started = [&] { return producers_started.load() == started + 2; };
  co_await eventually(both_started);
  // A grace period far beyond the test's deadline: only ending the streams lets serve() return.
  server->shutdown(1h);
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
  // Both producers are aborted (on a multi-thread runtime, as soon as their worker polls them).
  auto both_dropped = [&] { return producers_dropped.load() == dropped + 2; };
  co_await eventually(both_dropped);
  Result<RawResponse> r = co_await c->read();  // the response ended cleanly (last chunk)
  CO_ASSERT_OK(r);
  EXPECT_EQ(r->body, "data: hello\n\n");
  Result<Curl> curled = co_await h2;
  CO_ASSERT_OK(curled);
  EXPECT_EQ(curled->status, 0);  // a clean end of the stream, not curl's timeout
  EXPECT_EQ(curled->out, "data: hello\n\n");
}

STRATA_TEST_ALL_FLAVOURS(SseServer, ShutdownEndsOpenStreams) {
  run(shutdown_ends_streams());
}

}  // namespace
}  // namespace strata::test
