// todo_api: the framework's worked example (docs/web.md) — a REST API in the NestJS style on
// HTTP/1.1 and h2c, with an injected repository, a bearer-token guard, validation, rate
// limiting, CORS for reads, OpenAPI, health and metrics.
//
//   scripts/todo-api --port 3000            # or: build/release/examples/todo_api --port 3000
//   curl -s localhost:3000/todos
//   curl -s -X POST localhost:3000/todos -H 'authorization: Bearer dev-token' -d '{"title":"x"}'
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../../apps/common/stop_signals.hpp"
#include "strata/http.hpp"
#include "strata/rt.hpp"
#include "strata/web.hpp"
#include "todo_controller.hpp"

using namespace strata;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  std::uint32_t workers = 1;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 < argc && a == "--port") {
      o.port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
    } else if (i + 1 < argc && a == "--host") {
      o.host = argv[++i];
    } else if (i + 1 < argc && a == "--workers") {
      o.workers = static_cast<std::uint32_t>(std::max(1, std::atoi(argv[++i])));
    } else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--workers N]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

// The application: one module with the repository, the config and the controller.
std::shared_ptr<web::App> make_app() {
  web::Module todos("TodoModule");
  todos.provide_value(std::make_shared<web::Config>(web::Config::from_env()))
      .provide<todo::TodoRepository>()
      .controller<todo::TodoController>();
  auto app = web::App::create(todos);
  web::RateLimitConfig limits;
  limits.rate = 30;
  limits.burst = 60;
  limits.skip = {"/healthz", "/readyz", "/metrics"};
  web::CorsConfig cors;
  cors.origins = {"*"};
  cors.methods = {"GET", "HEAD"};
  app->use(std::make_shared<web::Cors>(cors))
      .use(std::make_shared<web::RateLimit>(limits))
      .enable_health()
      .enable_metrics()
      .enable_openapi("/openapi.json", {"Todo API", "1.0.0", "The framework's worked example"});
  return app;
}

Task<int> serve(Options o) {
  auto addr = net::SocketAddr::parse(o.host + ":" + std::to_string(o.port));
  if (!addr) {
    std::fprintf(stderr, "bad address: %s\n", addr.error().message().c_str());
    co_return 2;
  }
  auto server = http::Server::bind(*addr);
  if (!server) {
    std::fprintf(stderr, "bind: %s\n", server.error().message().c_str());
    co_return 1;
  }
  std::shared_ptr<web::App> app = make_app();
  std::printf("listening on %s\n", server->local_addr().to_string().c_str());
  std::fflush(stdout);
  const http::Server* s = &*server;
  auto stopper = spawn([](const http::Server* srv) -> Task<void> {
    co_await apps::stop_signal();
    srv->shutdown(std::chrono::seconds(5));
  }(s));
  Result<void> r = co_await server->serve(app);
  stopper.abort();
  app->shutdown();
  co_return r ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  apps::block_stop_signals();
  RuntimeConfig config =
      o.workers == 1 ? RuntimeConfig::current_thread() : RuntimeConfig::multi_thread(o.workers);
  return run(config, [o] { return serve(o); });
}
