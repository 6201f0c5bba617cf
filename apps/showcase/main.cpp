// The showcase program started by `make run`: first a short tour of the runtime core (tasks,
// timers, join/select, cancellation), then an HTTP server on a two-worker runtime with a few
// routes, which it calls once with Strata's own HTTP client, and which then serves until Ctrl-C.
//
//   make run                      # or: build/release/apps/strata-showcase [PORT]
//   curl http://127.0.0.1:8080/   # the page lists the routes
//
// The framework layer (controllers, DI) will grow this into the full application.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../common/stop_signals.hpp"
#include "strata/http.hpp"
#include "strata/strata.hpp"

using namespace std::chrono_literals;
using strata::Task;

namespace {

Task<int> countdown(const char* name, int from, strata::Duration step) {
  for (int i = from; i > 0; --i) {
    std::printf("  %s: %d\n", name, i);
    co_await strata::sleep(step);
  }
  co_return from;
}

Task<void> showcase() {
  std::printf("strata %s runtime showcase\n", "current-thread");

  std::printf("join: two countdowns interleaved on one thread\n");
  auto [a, b] = co_await strata::join(countdown("fast", 3, 20ms), countdown("slow", 2, 35ms));
  std::printf("  both done: %d + %d\n", a, b);

  std::printf("select: a 50 ms sleep races a 2 s countdown; the loser is cancelled\n");
  auto winner = co_await strata::select(strata::sleep(50ms), countdown("loser", 100, 1s));
  std::printf("  winner: #%zu\n", winner.index());

  std::printf("timeout: a task that takes too long\n");
  auto r = co_await strata::timeout(30ms, countdown("late", 10, 10ms));
  std::printf("  result: %s\n", r ? "finished" : r.error().message().c_str());

  std::printf("spawn + interval: 5 ticks every 10 ms in a spawned task\n");
  auto h = strata::spawn([]() -> Task<int> {
    auto iv = strata::interval(10ms);
    auto start = strata::Clock::now();
    for (int i = 0; i < 5; ++i) {
      auto t = co_await iv.tick();
      std::printf("  tick %d at +%lld ms\n", i,
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(t - start).count()));
    }
    co_return 5;
  }());
  auto ticks = co_await h;
  std::printf("  ticks: %d\n", ticks.value());
}

// ---- the HTTP part ----

using namespace strata;

constexpr std::string_view index_page = R"(<!doctype html>
<title>Strata showcase</title>
<h1>Strata showcase</h1>
<ul>
<li><a href="/plaintext">/plaintext</a> - the TechEmpower plaintext route
<li><a href="/json">/json</a> - a JSON document
<li><a href="/users/42?verbose=1">/users/:id</a> - a path parameter and a query
<li><a href="/ticks">/ticks</a> - a streamed (chunked) response, one line every 200 ms
<li><a href="/docs/http.md">/docs/*path</a> - the repository's docs/ folder, over sendfile
<li>POST /echo - the request body back (<code>curl --data-binary @file ...</code>)
</ul>
)";

Task<http::Response> home(http::Request&) {
  http::Response r(http::StatusCode::ok, http::Body::from_static(index_page));
  r.headers.append_view_unchecked(http::header::content_type, "text/html; charset=utf-8");
  co_return r;
}

Task<http::Response> plaintext(http::Request&) {
  co_return http::Response::text_static("Hello, World!");
}

Task<http::Response> json(http::Request&) {
  co_return http::Response::json(R"({"message":"Hello, World!"})");
}

Task<http::Response> user(http::Request& req) {
  std::string id(req.params.get("id").value_or(""));
  bool verbose = req.query_param("verbose").value_or("0") == "1";
  co_return http::Response::json("{\"id\":\"" + id +
                                 "\",\"verbose\":" + (verbose ? "true" : "false") + "}");
}

Task<http::Response> echo(http::Request& req) {
  Result<std::string> body = co_await req.body.text(16 << 20);
  if (!body) co_return http::Response::error(http::StatusCode::content_too_large);
  co_return http::Response::text(std::move(*body));
}

Task<void> produce_ticks(http::BodySender tx) {
  for (int i = 1; i <= 10; ++i) {
    Result<void> sent = co_await tx.send("tick " + std::to_string(i) + "\n");
    if (!sent) co_return;  // the client went away
    co_await sleep(200ms);
  }
}

Task<http::Response> ticks(http::Request&) {
  auto [tx, body] = http::Body::channel(2);
  spawn(produce_ticks(std::move(tx))).detach();
  http::Response r(http::StatusCode::ok, std::move(body));
  r.headers.append_view_unchecked(http::header::content_type, "text/plain; charset=utf-8");
  co_return r;
}

// Stops the server on SIGINT/SIGTERM (blocked in every thread, polled here).
Task<void> stop_on_signal(const http::Server* server) {
  co_await apps::stop_signal();
  std::printf("\nshutting down (in-flight requests get 5 s)\n");
  server->shutdown(5s);
}

Task<int> serve(std::uint16_t port) {
  http::ServerConfig config;
  // listeners: by default one per worker (SO_REUSEPORT), each served by its own worker.
  config.server_header = "strata";
  auto server = http::Server::bind(net::SocketAddrV4(net::Ipv4Addr::localhost, port), config);
  if (!server && port != 0) {
    std::printf("port %u is busy; letting the kernel pick one\n", port);
    server = http::Server::bind(net::SocketAddrV4(net::Ipv4Addr::localhost, 0), config);
  }
  if (!server) {
    std::fprintf(stderr, "bind: %s\n", server.error().message().c_str());
    co_return 1;
  }
  http::Router router;
  router.get("/", home)
      .get("/plaintext", plaintext)
      .get("/json", json)
      .get("/users/:id", user)
      .post("/echo", echo)
      .get("/ticks", ticks);
  // The repository's docs/ folder (when started from the repository root, as `make run` does).
  if (auto files = http::StaticFiles::open("docs")) router.get("/docs/*path", std::move(*files));
  auto serving = spawn(server->serve(std::make_shared<http::Router>(std::move(router))));
  const std::string base = "http://" + server->local_addr().to_string();

  // Call it once with Strata's own client.
  http::Client client;
  auto r = co_await client.get(base + "/users/7").query("verbose", "1").send();
  if (r) {
    auto text = co_await r->body.text(4096);
    std::printf("client: GET /users/7?verbose=1 -> %u %s\n", r->status.as_u16(),
                text ? text->c_str() : "?");
  }

  std::printf("\nserving on %s (two workers) - try:\n", base.c_str());
  std::printf("  curl %s/\n  curl %s/plaintext\n  curl -N %s/ticks\n", base.c_str(), base.c_str(),
              base.c_str());
  std::printf("  curl --data-binary 'hello' %s/echo\n  curl -I %s/docs/http.md\n", base.c_str(),
              base.c_str());
  std::printf("Ctrl-C stops it.\n");
  std::fflush(stdout);
  auto stopper = spawn(stop_on_signal(&*server));
  auto done = co_await serving;
  stopper.abort();
  co_return done&&* done ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  {
    auto rt = strata::Runtime::current_thread();
    rt.block_on(showcase());
  }
  // Block the stop signals before any worker starts, so that only sigtimedwait sees them.
  apps::block_stop_signals();
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  return strata::run(strata::RuntimeConfig::multi_thread(2), [port] { return serve(port); });
}
