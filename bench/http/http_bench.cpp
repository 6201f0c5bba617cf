// strata-bench-http: micro-benchmarks of the HTTP/1.1 hot path (Google Benchmark).
//
//   taskset -c 0 ./build/release/bench/http/strata-bench-http
//   ./build/release/bench/http/strata-bench-http --benchmark_filter=serve
//
// - parse_request_*: the h1 request-head parser on typical requests (wrk's and a browser's);
// - route_match: Router lookup on a small REST table;
// - response_head: serializing a plaintext response head (status line, Date, fields);
// - serve_plaintext_*: a whole request cycle through h1::ServerConnection over an in-memory
//   duplex (parse, route, handler, serialize, write), without the kernel: the user-space cost
//   per request. `pipelined` sends 16 requests per write.
// Load tests with real sockets and the peer servers: bench/http/compare_peers.sh.
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>

#include "strata/http.hpp"
#include "strata/io/duplex.hpp"
#include "strata/rt.hpp"

namespace {

using namespace strata;

constexpr std::string_view wrk_request = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
constexpr std::string_view browser_request =
    "GET /api/users/42/posts?page=2 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n\r\n";

void parse_request(benchmark::State& state, std::string_view req) {
  http::h1::RequestHead head;
  for (auto _ : state) {
    http::h1::ParseResult r = http::h1::parse_request(req, {}, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * req.size()));
}
BENCHMARK_CAPTURE(parse_request, wrk, wrk_request);
BENCHMARK_CAPTURE(parse_request, browser, browser_request);

Task<http::Response> plaintext(http::Request&) {
  co_return http::Response::text_static("Hello, World!");
}

http::Router rest_router() {
  http::Router r;
  for (std::string res : {"users", "posts", "comments", "albums", "photos", "todos"}) {
    r.get("/api/" + res, plaintext)
        .post("/api/" + res, plaintext)
        .get("/api/" + res + "/:id", plaintext)
        .put("/api/" + res + "/:id", plaintext)
        .delete_("/api/" + res + "/:id", plaintext);
  }
  r.get("/plaintext", plaintext).get("/json", plaintext).get("/static/*path", plaintext);
  return r;
}

void route_match(benchmark::State& state) {
  http::Router router = rest_router();
  http::RouteTree<int> tree;
  int id = 0;
  for (std::string res : {"users", "posts", "comments", "albums", "photos", "todos"}) {
    (void)tree.insert("GET", "/api/" + res, id++);
    (void)tree.insert("GET", "/api/" + res + "/:id", id++);
    (void)tree.insert("GET", "/api/" + res + "/:id/children/:child", id++);
  }
  const std::string_view paths[] = {"/api/users/42", "/api/photos", "/api/todos/7/children/9",
                                    "/api/nope"};
  std::size_t i = 0;
  for (auto _ : state) {
    auto m = tree.match("GET", paths[i++ & 3]);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(route_match);

void response_head(benchmark::State& state) {
  http::Response resp = http::Response::text_static("Hello, World!");
  std::string out;
  out.reserve(512);
  for (auto _ : state) {
    out.clear();
    http::h1::Framing f = http::h1::response_framing(resp, false, http::Version::http_1_1);
    http::h1::append_response_head(out, resp, f, {.keep_alive = true, .server = "strata"});
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(response_head);

// The client side of serve_plaintext: writes batches, reads until every response is back.
Task<void> drive(io::DuplexStream client, std::string batch, int depth, std::int64_t rounds,
                 std::atomic<std::int64_t>* done) {
  std::string buf(64 * 1024, '\0');
  for (std::int64_t r = 0; r < rounds; ++r) {
    (void)co_await io::write_all(client, io::as_bytes(batch));
    int seen = 0;
    while (seen < depth) {
      auto n = co_await io::read(client, as_writable_bytes(std::span(buf)));
      if (!n || *n == 0) co_return;
      // Each response ends with the 13-byte body; count them.
      std::string_view got(buf.data(), *n);
      for (std::size_t p = got.find("World!"); p != std::string_view::npos;
           p = got.find("World!", p + 1)) {
        ++seen;
      }
    }
    done->fetch_add(depth, std::memory_order_relaxed);
  }
}

Task<void> serve_one(io::DuplexStream server, const http::h1::ConnectionContext* ctx) {
  http::h1::ServerConnection<io::DuplexStream> conn(server, *ctx, net::SocketAddr());
  co_await conn.run();
}

void serve_plaintext(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  std::string batch;
  for (int i = 0; i < depth; ++i) batch += std::string(wrk_request);
  http::ServerConfig config;
  http::Router router = rest_router();
  sync::Notify shutdown;
  std::atomic<bool> draining{false};
  http::h1::ConnectionContext ctx;
  ctx.config = &config;
  ctx.service = &router;
  ctx.shutdown = &shutdown;
  ctx.draining = &draining;
  std::atomic<std::int64_t> done{0};
  Runtime rt = Runtime::current_thread();
  for (auto _ : state) {
    state.PauseTiming();
    auto [client, server] = io::duplex(256 * 1024);
    state.ResumeTiming();
    rt.block_on([](io::DuplexStream c, io::DuplexStream s, const http::h1::ConnectionContext* cx,
                   std::string b, int d, std::atomic<std::int64_t>* n) -> Task<void> {
      auto srv = spawn(serve_one(std::move(s), cx));
      co_await drive(std::move(c), std::move(b), d, 1000 / d, n);
      co_await srv;
    }(std::move(client), std::move(server), &ctx, batch, depth, &done));
  }
  state.SetItemsProcessed(done.load());
  state.counters["ns_per_request"] = benchmark::Counter(
      static_cast<double>(done.load()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(serve_plaintext)->Arg(1)->Arg(16)->ArgName("pipelined")->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
