// strata-bench-server: the HTTP benchmark server (TechEmpower-style routes), used by
// scripts/bench-server and by ../shared/bench/run-peers.sh --target.
//
//   strata-bench-server --port 8080 --workers 2      # 0 = pick a port and print it
//   strata-bench-server --port 8080 --tls-port 8443 --tls-cert cert.pem --tls-key key.pem
//
//   GET  /plaintext  -> "Hello, World!" (text/plain)
//   GET  /json       -> {"message":"Hello, World!"} (application/json)
//   POST /echo       -> the request body (up to 16 MiB)
//   GET  /ws/echo    -> a WebSocket echoing every message
//   GET  /sse?count=N&interval_ms=M -> N server-sent events `data: <i>` with ids 0..N-1, one
//                       every M ms, then the end of the response
//
// The TLS port serves the same routes over HTTPS (TLS 1.2/1.3, ALPN h2 and http/1.1) and over
// HTTP/3 on the same port number over UDP (h3::Server, same certificate; responses on TCP
// advertise it with Alt-Svc when the port is given). Prints "listening on 127.0.0.1:PORT" (and
// "listening on 127.0.0.1:TLSPORT (tls)", "... (h3)") once ready; stops cleanly on
// SIGINT/SIGTERM.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "../common/stop_signals.hpp"
#include "strata/http.hpp"
#include "strata/http/h3/server.hpp"
#include "strata/http/sse.hpp"
#include "strata/http/ws.hpp"
#include "strata/rt.hpp"
#include "strata/tls.hpp"

using namespace strata;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::uint32_t workers = 1;
  int tls_port = -1;  // -1: no TLS listener
  std::string tls_cert, tls_key;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port") {
      o.port = static_cast<std::uint16_t>(std::atoi(value()));
    } else if (a == "--workers") {
      o.workers = static_cast<std::uint32_t>(std::max(1, std::atoi(value())));
    } else if (a == "--host") {
      o.host = value();
    } else if (a == "--tls-port") {
      o.tls_port = std::atoi(value());
    } else if (a == "--tls-cert") {
      o.tls_cert = value();
    } else if (a == "--tls-key") {
      o.tls_key = value();
    } else {
      std::fprintf(stderr,
                   "usage: %s [--host H] [--port P] [--workers N]"
                   " [--tls-port P2 --tls-cert FILE --tls-key FILE]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (o.tls_port >= 0 && (o.tls_cert.empty() || o.tls_key.empty())) {
    std::fprintf(stderr, "--tls-port needs --tls-cert and --tls-key\n");
    std::exit(2);
  }
  return o;
}

Task<http::Response> plaintext(http::Request&) {
  co_return http::Response::text_static("Hello, World!");
}

Task<http::Response> json(http::Request&) {
  http::Response r(http::StatusCode::ok, http::Body::from_static(R"({"message":"Hello, World!"})"));
  r.headers.append_view_unchecked(http::header::content_type, "application/json");
  co_return r;
}

Task<http::Response> echo(http::Request& req) {
  Result<std::string> body = co_await req.body.text(16 << 20);
  if (!body) co_return http::Response::error(http::StatusCode::content_too_large);
  http::Response r(http::StatusCode::ok, http::Body::from(std::move(*body)));
  r.headers.append_view_unchecked(http::header::content_type, "application/octet-stream");
  co_return r;
}

// GET /ws/echo: a WebSocket whose every message comes back with the same type
// (permessage-deflate accepted when offered).
Task<void> ws_echo_session(http::ws::WebSocket& ws) {
  for (;;) {
    Result<http::ws::Message> m = co_await ws.receive();
    if (!m) co_return;
    Result<void> sent = co_await ws.send(m->type, m->bytes());
    if (!sent) co_return;
  }
}

Task<http::Response> ws_echo(http::Request& req) {
  http::ws::AcceptOptions opts;
  opts.deflate.enabled = true;
  co_return http::ws::accept(req, ws_echo_session, opts);
}

// GET /sse?count=N&interval_ms=M: N events (`id: i`, `data: i`), one every M ms, then the end.
// A client that reconnects with Last-Event-ID resumes after that ID.
Task<void> sse_events(std::size_t count, std::chrono::milliseconds interval, http::sse::Sink sink,
                      std::string last_event_id) {
  std::size_t first = 0;
  if (!last_event_id.empty()) first = std::strtoull(last_event_id.c_str(), nullptr, 10) + 1;
  for (std::size_t i = first; i < count; ++i) {
    if (i > first && interval.count() > 0) co_await sleep(interval);
    http::sse::Event e;
    e.id = std::to_string(i);
    e.data = *e.id;
    Result<void> sent = co_await sink.send(std::move(e));
    if (!sent) co_return;
  }
}

Task<http::Response> sse(http::Request& req) {
  const std::size_t count =
      std::strtoull(req.query_param("count").value_or("10").c_str(), nullptr, 10);
  const long ms = std::strtol(req.query_param("interval_ms").value_or("0").c_str(), nullptr, 10);
  const std::chrono::milliseconds interval(ms < 0 ? 0 : ms);
  co_return http::sse::response(req, [count, interval](http::sse::Sink sink, std::string last) {
    return sse_events(count, interval, std::move(sink), std::move(last));
  });
}

// Waits for SIGINT/SIGTERM (blocked in every thread, polled here) and starts the shutdown.
Task<void> stop_on_signal(const http::Server* server, const http::h3::Server* h3) {
  co_await apps::stop_signal();
  server->shutdown(std::chrono::seconds(5));
  if (h3) h3->shutdown(std::chrono::seconds(5));
}

Task<int> serve(Options o) {
  auto addr = net::SocketAddr::parse(o.host + ":" + std::to_string(o.port));
  if (!addr) {
    std::fprintf(stderr, "bad address: %s\n", addr.error().message().c_str());
    co_return 2;
  }
  http::ServerConfig config;
  config.listeners = o.workers;  // the default (one per worker), stated for the peer scripts
  config.server_header = "strata";
  if (o.tls_port > 0) config.alt_svc = "h3=\":" + std::to_string(o.tls_port) + "\"; ma=86400";
  auto server = http::Server::bind(*addr, config);
  if (!server) {
    std::fprintf(stderr, "bind: %s\n", server.error().message().c_str());
    co_return 1;
  }
  http::Router router;
  router.get("/plaintext", plaintext)
      .get("/json", json)
      .post("/echo", echo)
      .get("/ws/echo", ws_echo)
      .get("/sse", sse);
  std::printf("listening on %s\n", server->local_addr().to_string().c_str());
  std::optional<http::h3::Server> h3_server;
  if (o.tls_port >= 0) {
    auto identity = tls::Identity::from_pem_files(o.tls_cert, o.tls_key);
    if (!identity) {
      std::fprintf(stderr, "tls: %s\n", identity.error().message().c_str());
      co_return 1;
    }
    tls::ServerConfig tls_config;
    tls_config.identities.push_back(*identity);
    tls_config.alpn = {"h2", "http/1.1"};
    auto ctx = tls::ServerContext::create(std::move(tls_config));
    if (!ctx) {
      std::fprintf(stderr, "tls: %s\n", ctx.error().message().c_str());
      co_return 1;
    }
    auto tls_addr = net::SocketAddr::parse(o.host + ":" + std::to_string(o.tls_port));
    Result<net::SocketAddr> bound =
        tls_addr ? server->listen_tls(*tls_addr, *ctx)
                 : Result<net::SocketAddr>(std::unexpected(tls_addr.error()));
    if (!bound) {
      std::fprintf(stderr, "bind tls: %s\n", bound.error().message().c_str());
      co_return 1;
    }
    std::printf("listening on %s (tls)\n", bound->to_string().c_str());
    http::h3::ServerConfig h3_config;
    h3_config.cert_file = o.tls_cert;
    h3_config.key_file = o.tls_key;
    h3_config.http.server_header = "strata";
    auto h3 = http::h3::Server::bind(*bound, std::move(h3_config));
    if (!h3) {
      std::fprintf(stderr, "bind h3: %s\n", h3.error().message().c_str());
      co_return 1;
    }
    h3_server.emplace(std::move(*h3));
    std::printf("listening on %s (h3)\n", h3_server->local_addr().to_string().c_str());
  }
  std::fflush(stdout);
  auto service = std::make_shared<http::Router>(std::move(router));
  std::optional<JoinHandle<Result<void>>> h3_serving;
  if (h3_server) h3_serving.emplace(spawn(h3_server->serve(service)));
  auto stopper = spawn(stop_on_signal(&*server, h3_server ? &*h3_server : nullptr));
  Result<void> r = co_await server->serve(service);
  stopper.abort();
  if (h3_serving) {
    h3_server->shutdown(std::chrono::seconds(5));
    Result<Result<void>> h3_done = co_await *h3_serving;
    if (!h3_done || !*h3_done) r = std::unexpected(Error(Errc::closed, "h3 serve failed"));
  }
  co_return r ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  // Block the stop signals before any thread starts, so that only sigtimedwait sees them.
  apps::block_stop_signals();
  RuntimeConfig config =
      o.workers == 1 ? RuntimeConfig::current_thread() : RuntimeConfig::multi_thread(o.workers);
  return run(config, [o] { return serve(o); });
}
