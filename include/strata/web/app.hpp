// web::App: the application — modules resolved into controllers and providers at start-up,
// the request pipeline, and the built-ins (health, metrics, OpenAPI). It is an http::Service,
// so one App serves HTTP/1.1 and HTTP/2 (and HTTP/3) alike.
//
//   web::Module root("AppModule");
//   root.provide<TodoRepository>().provide<TodoService>().controller<TodoController>();
//   std::shared_ptr<web::App> app = web::App::create(root);      // throws web::DiError
//   app->use(std::make_shared<web::RateLimit>());                 // 30/s, bursts of 60
//   app->use_global_interceptor(std::make_shared<Timing>());
//   app->enable_health().enable_metrics().enable_openapi();
//   auto server = http::Server::bind(*net::SocketAddr::parse("127.0.0.1:3000"));
//   co_await server->serve(app);
//   app->shutdown();                                             // on_application_shutdown hooks
//
// Unknown paths answer 404 {"statusCode":404,"message":"Cannot GET /x","error":"Not Found"};
// a known path with another method 405 with Allow. Built-in routes (health, metrics, OpenAPI)
// skip guards and interceptors but not middleware.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/http/route_tree.hpp"
#include "strata/http/service.hpp"
#include "strata/web/controller.hpp"
#include "strata/web/di.hpp"
#include "strata/web/module.hpp"
#include "strata/web/openapi.hpp"
#include "strata/web/pipeline.hpp"

namespace strata::web {

struct AppConfig {
  std::size_t body_limit = 1024 * 1024;  // Body<> reads beyond this answer 413
};

class App final : public http::Service, private detail::RouteSink {
 public:
  // Resolves the module graph, builds every singleton and controller, runs on_module_init
  // hooks. Throws DiError for a broken graph, std::invalid_argument for conflicting routes.
  static std::shared_ptr<App> create(const Module& root, AppConfig config = {});
  ~App() override;

  // Middleware, in order, before routing (for every path).
  App& use(std::shared_ptr<Middleware> middleware);
  App& use_global_guard(std::shared_ptr<Guard> guard);
  App& use_global_interceptor(std::shared_ptr<Interceptor> interceptor);
  App& use_global_filter(std::shared_ptr<ExceptionFilter> filter);

  // GET /healthz (200 while the process serves) and /readyz (200 once ready, 503 after
  // set_ready(false) or shutdown()).
  App& enable_health(std::string_view live = "/healthz", std::string_view ready = "/readyz");
  // GET `path`: Prometheus text — requests by method, route and status class, latency
  // histograms, requests in flight, plus `extra()`'s text (server or runtime gauges).
  App& enable_metrics(std::string_view path = "/metrics",
                      std::function<std::string()> extra = nullptr);
  // GET `path`: the OpenAPI 3.0 document of every controller route.
  App& enable_openapi(std::string_view path = "/openapi.json", OpenApiInfo info = {});

  void set_ready(bool ready) noexcept { ready_.store(ready, std::memory_order_relaxed); }
  // Marks the app not ready and runs on_application_shutdown hooks (reverse creation order).
  void shutdown();

  // The provider T of the root module (for main(): configuration, clients).
  template <class T>
  std::shared_ptr<T> get() {
    return root_injector_->get<T>();
  }

  Task<http::Response> handle(http::Request& req) override;

  // The OpenAPI document (what enable_openapi serves).
  json::object openapi_document() const;

 private:
  struct Impl;
  explicit App(AppConfig config);
  void add_route(std::shared_ptr<detail::BoundRoute> route) override;
  std::size_t body_limit() const noexcept override { return config_.body_limit; }
  void add_builtin(std::string_view path, std::function<Task<Reply>(Context&)> fn);
  void rebuild_stage_lists();
  Task<http::Response> route_request(http::Request& req);
  Task<http::Response> handle_with_middleware(http::Request& req);
  static Task<http::Response> route_terminal(void* self, http::Request& req);
  static Task<Reply> handler_terminal(void* route, Context& ctx);

  AppConfig config_;
  std::unique_ptr<Impl> impl_;
  Injector* root_injector_ = nullptr;
  std::atomic<bool> ready_{true};
};

// The response for an exception escaping a stage: filters first, then HttpException's body,
// then 500. Exposed for filters that wrap the default.
http::Response error_response(std::exception_ptr error, Context& ctx,
                              std::span<const std::shared_ptr<ExceptionFilter>> filters);

}  // namespace strata::web
