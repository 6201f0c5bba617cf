// The showcase: every layer of Strata in one application (`make run`).
//
//   make run                    # or: build/release/apps/strata-showcase [--port 8443] ...
//   open https://localhost:8443/   (the development CA and how to trust it are printed first)
//
// One process on the multi-thread runtime serves:
// - HTTPS on --port (8443): HTTP/2 and HTTP/1.1 chosen by ALPN, with a development certificate
//   made on first run under the build folder (dev_pki.hpp); HTTP/3 on the same port number over
//   UDP (advertised with Alt-Svc);
// - plain HTTP on --http-port (8080): browsers are redirected to HTTPS; h2c is served for tools;
// - with the framework (strata/web): the todo REST API of examples/todo_api (bearer guard,
//   validation, OpenAPI), the live dashboard (metrics.hpp, dashboard.hpp: an Observable pipeline
//   pushed over SSE), the chat (chat.hpp: WebSocket rooms), the outbound panel (outbound.hpp:
//   http::Client with Promise::all/race), and the pages (site.hpp: static files);
// - SIGHUP: reload the certificate and key from the PKI folder (tls::ServerContext::reload);
// - SIGINT/SIGTERM: stop accepting, end SSE streams and WebSockets (close frames), let requests
//   finish within --grace seconds, exit 0.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "../../examples/todo_api/todo_controller.hpp"
#include "../common/stop_signals.hpp"
#include "chat.hpp"
#include "dashboard.hpp"
#include "dev_pki.hpp"
#include "metrics.hpp"
#include "outbound.hpp"
#include "site.hpp"
#include "strata/http.hpp"
#include "strata/http/h3/server.hpp"
#include "strata/rt.hpp"
#include "strata/tls.hpp"
#include "strata/web.hpp"

using namespace strata;
using namespace showcase;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;       // HTTPS (h2 + http/1.1)
  std::uint16_t http_port = 8080;  // plain: redirect + h2c
  std::uint32_t workers = 2;
  int grace_s = 5;
  std::string pki_dir;  // default: <build>/showcase-pki next to apps/
  std::string www = STRATA_SHOWCASE_WWW;
};

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--host H] [--port HTTPS_PORT] [--http-port HTTP_PORT] [--workers N]\n"
               "          [--grace SECONDS] [--pki-dir DIR] [--www DIR]\n",
               argv0);
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    const char* v = argv[++i];
    if (a == "--host") {
      o.host = v;
    } else if (a == "--port") {
      o.port = static_cast<std::uint16_t>(std::atoi(v));
    } else if (a == "--http-port") {
      o.http_port = static_cast<std::uint16_t>(std::atoi(v));
    } else if (a == "--workers") {
      o.workers = static_cast<std::uint32_t>(std::max(1, std::atoi(v)));
    } else if (a == "--grace") {
      o.grace_s = std::max(0, std::atoi(v));
    } else if (a == "--pki-dir") {
      o.pki_dir = v;
    } else if (a == "--www") {
      o.www = v;
    } else {
      usage(argv[0]);
    }
  }
  if (o.pki_dir.empty()) {  // build/<preset>/apps/strata-showcase -> build/<preset>/showcase-pki
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    o.pki_dir = ec ? "showcase-pki" : (exe.parent_path().parent_path() / "showcase-pki").string();
  }
  return o;
}

// The application: the framework's modules, one per feature, and the site around them.
std::shared_ptr<web::App> make_app(const Options& o, std::shared_ptr<MetricsService> metrics,
                                   std::shared_ptr<OutboundService> outbound) {
  web::Module todos("TodoModule");  // examples/todo_api, unchanged
  todos.provide_value(std::make_shared<web::Config>(web::Config::from_env()))
      .provide<todo::TodoRepository>()
      .controller<todo::TodoController>();
  web::Module live("LiveModule");
  live.provide_value(metrics)
      .provide<ChatService>()
      .controller<DashboardController>()
      .controller<ChatController>();
  web::Module calls("OutboundModule");
  calls.provide_value(outbound).controller<OutboundController>();
  web::Module root("ShowcaseModule");
  root.import(todos).import(live).import(calls);

  auto app = web::App::create(root);
  web::RateLimitConfig limits;  // per client address, on the API only
  limits.rate = 50;
  limits.burst = 100;
  limits.skip = {"/healthz", "/readyz",           "/metrics", "/api/metrics/stream",
                 "/chat/ws", "/api/outbound/work"};
  app->use(std::make_shared<RequestMetrics>(metrics))
      .use(std::make_shared<HttpsRedirect>(o.port))
      .use(std::make_shared<AdvertiseHttp3>(o.port))
      .use(std::make_shared<Pages>(o.www))
      .use(std::make_shared<web::RateLimit>(limits))
      .use(std::make_shared<web::Compression>())
      .use_global_interceptor(std::make_shared<ServerTiming>())
      .enable_health()
      .enable_metrics()
      .enable_openapi("/openapi.json",
                      {"Strata showcase", "1.0.0", "Todos, live metrics, chat and outbound calls"});
  return app;
}

Result<tls::ServerContext> tls_context(const DevPki& pki) {
  auto identity = tls::Identity::from_pem_files(pki.server_cert, pki.server_key);
  if (!identity) return std::unexpected(identity.error());
  tls::ServerConfig config;
  config.identities.push_back(std::move(*identity));
  config.alpn = {"h2", "http/1.1"};
  return tls::ServerContext::create(std::move(config));
}

void print_banner(const Options& o, const DevPki& pki, net::SocketAddr https,
                  net::SocketAddr http) {
  const std::string url = "https://localhost:" + std::to_string(https.port()) + "/";
  std::printf(
      "Strata showcase\n"
      "  open      %s   (HTTP/2 or HTTP/1.1 by ALPN, HTTP/3 on UDP; %u workers)\n"
      "  plain     http://localhost:%u/ redirects there; h2c for tools\n"
      "  CA        %s%s\n"
      "  trust it  curl --cacert %s %sapi/metrics\n"
      "            chromium --ignore-certificate-errors-spki-list=%s %s\n"
      "            or import the CA: certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n strata-dev "
      "-i %s\n"
      "  try       curl -sk %stodos   |   curl -sk %sopenapi.json\n"
      "listening on %s (https, h3) and %s (http)\n",
      url.c_str(), o.workers, http.port(), pki.ca_cert.c_str(), pki.created ? " (created now)" : "",
      pki.ca_cert.c_str(), url.c_str(), pki.server_spki_sha256.c_str(), url.c_str(),
      pki.ca_cert.c_str(), url.c_str(), url.c_str(), https.to_string().c_str(),
      http.to_string().c_str());
  std::fflush(stdout);
}

// SIGINT/SIGTERM: both servers stop accepting and drain.
Task<void> stop_on_signal(const http::Server* tcp, const http::h3::Server* quic, Duration grace) {
  co_await apps::stop_signal();
  std::printf(
      "stopping: draining connections (up to %lld s)\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(grace).count()));
  std::fflush(stdout);
  tcp->shutdown(grace);
  quic->shutdown(grace);
}

// SIGHUP: the certificate and key are read again (e.g. after `rm build/*/showcase-pki/server.*`
// and a restart made new ones, or after another tool renewed them) and swapped in for new
// connections; a bad pair changes nothing.
Task<void> reload_on_sighup(DevPki pki, tls::ServerContext ctx) {
  for (;;) {
    co_await apps::reload_signal();
    auto identity = tls::Identity::from_pem_files(pki.server_cert, pki.server_key);
    Result<void> reloaded = identity ? ctx.reload({std::move(*identity)})
                                     : Result<void>(std::unexpected(identity.error()));
    if (reloaded) {
      std::printf("SIGHUP: reloaded %s\n", pki.server_cert.c_str());
    } else {
      std::printf("SIGHUP: kept the old certificate (%s)\n", reloaded.error().message().c_str());
    }
    std::fflush(stdout);
  }
}

Task<int> serve(Options o, const Runtime* runtime) {
  Result<DevPki> pki = DevPki::ensure(o.pki_dir);
  if (!pki) {
    std::fprintf(stderr, "showcase: certificates: %s\n", pki.error().message().c_str());
    co_return 1;
  }
  auto ctx = tls_context(*pki);
  if (!ctx) {
    std::fprintf(stderr, "showcase: tls: %s\n", ctx.error().message().c_str());
    co_return 1;
  }
  auto http_addr = net::SocketAddr::parse(o.host + ":" + std::to_string(o.http_port));
  auto https_addr = net::SocketAddr::parse(o.host + ":" + std::to_string(o.port));
  if (!http_addr || !https_addr) {
    std::fprintf(stderr, "showcase: bad --host %s\n", o.host.c_str());
    co_return 2;
  }
  http::ServerConfig config;
  config.server_header = "strata-showcase";
  auto server = http::Server::bind(*http_addr, config);
  if (!server) {
    std::fprintf(stderr, "showcase: bind %s: %s\n", http_addr->to_string().c_str(),
                 server.error().message().c_str());
    co_return 1;
  }
  auto https = server->listen_tls(*https_addr, *ctx);
  if (!https) {
    std::fprintf(stderr, "showcase: bind %s: %s\n", https_addr->to_string().c_str(),
                 https.error().message().c_str());
    co_return 1;
  }
  o.port = https->port();  // the redirect's target, also when --port 0 picked one
  // HTTP/3: the same port number over UDP, the same certificate (advertised by Alt-Svc).
  http::h3::ServerConfig quic;
  quic.cert_file = pki->server_cert;
  quic.key_file = pki->server_key;
  quic.http.server_header = "strata-showcase";
  auto h3 = http::h3::Server::bind(*https, std::move(quic));
  if (!h3) {
    std::fprintf(stderr, "showcase: bind %s/udp: %s\n", https->to_string().c_str(),
                 h3.error().message().c_str());
    co_return 1;
  }

  auto metrics = std::make_shared<MetricsService>();
  metrics->attach(runtime, &*server, &*h3);
  auto outbound = std::make_shared<OutboundService>();
  outbound->configure("https://127.0.0.1:" + std::to_string(o.port), pki->ca_cert);
  std::shared_ptr<web::App> app;
  try {
    app = make_app(o, metrics, outbound);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "showcase: %s\n", e.what());
    co_return 1;
  }
  print_banner(o, *pki, *https, server->local_addr());

  const Duration grace = std::chrono::seconds(o.grace_s);
  auto stopper = spawn(stop_on_signal(&*server, &*h3, grace));
  auto reloader = spawn(reload_on_sighup(*pki, *ctx));
  auto quic_serving = spawn(h3->serve(app));
  Result<void> served = co_await server->serve(app);
  h3->shutdown(grace);  // already done after a signal; also when serve() failed
  Result<Result<void>> quic_served = co_await quic_serving;
  reloader.abort();
  stopper.abort();
  app->shutdown();
  metrics->attach(nullptr, nullptr);
  if (!quic_served || !*quic_served) served = std::unexpected(Error(Errc::closed, "h3 serve"));
  std::printf("stopped%s\n", served ? "" : " with an error");
  std::fflush(stdout);
  co_return served ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  apps::block_stop_signals();
  apps::block_reload_signal();
  Runtime runtime(RuntimeConfig::multi_thread(o.workers));
  return runtime.block_on(serve(o, &runtime));
}
