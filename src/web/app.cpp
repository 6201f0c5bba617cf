#include "strata/web/app.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <unordered_set>

#include "strata/web/exception.hpp"
#include "web_impl.hpp"

namespace strata::web {

namespace {

using Clock = std::chrono::steady_clock;

// Latency histogram bounds (seconds), Prometheus's defaults trimmed to a server's range.
constexpr std::array<double, 12> kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.5,    1.0};

struct RouteMetrics {
  std::array<std::atomic<std::uint64_t>, 5> by_class{};  // 1xx..5xx
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_ns{0};

  void record(http::StatusCode status, Clock::duration took) noexcept {
    std::size_t cls = std::clamp<std::size_t>(status.as_u16() / 100, 1, 5) - 1;
    by_class[cls].fetch_add(1, std::memory_order_relaxed);
    double s = std::chrono::duration<double>(took).count();
    std::size_t b = 0;
    while (b < kBuckets.size() && s > kBuckets[b]) ++b;
    buckets[b].fetch_add(1, std::memory_order_relaxed);
    sum_ns.fetch_add(static_cast<std::uint64_t>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
                     std::memory_order_relaxed);
  }
};

struct RouteEntry {
  std::shared_ptr<detail::BoundRoute> route;
  bool builtin = false;
  std::vector<Guard*> guards;
  std::vector<Interceptor*> interceptors;
  Next::Chain chain{};
  std::vector<std::shared_ptr<ExceptionFilter>> filters;
  RouteMetrics metrics;
};

std::string escape_label(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

struct App::Impl {
  std::vector<std::unique_ptr<Injector>> injectors;
  std::shared_ptr<Injector::Shared> shared = std::make_shared<Injector::Shared>();
  std::vector<std::unique_ptr<RouteEntry>> routes;
  http::RouteTree<RouteEntry*> tree;
  std::vector<std::shared_ptr<Middleware>> middleware_owned;
  std::vector<Middleware*> middleware;
  MiddlewareNext::Chain middleware_chain{};
  std::vector<std::shared_ptr<Guard>> global_guards;
  std::vector<std::shared_ptr<Interceptor>> global_interceptors;
  std::vector<std::shared_ptr<ExceptionFilter>> global_filters;
  RouteMetrics unmatched;
  std::atomic<std::int64_t> in_flight{0};
  // enable_metrics() was called (before serving): only then are requests timed and counted,
  // which costs two clock reads and four atomic additions per request.
  bool metrics_on = false;
  bool shut_down = false;
  OpenApiInfo openapi_info;
};

App::App(AppConfig config) : config_(config), impl_(std::make_unique<Impl>()) {}
App::~App() = default;

std::shared_ptr<App> App::create(const Module& root, AppConfig config) {
  std::shared_ptr<App> app(new App(config));
  Impl& impl = *app->impl_;

  // Every module once, imports first, each with its own injector.
  std::vector<const detail::ModuleDef*> order;
  std::unordered_map<const detail::ModuleDef*, Injector*> by_module;
  std::unordered_set<const detail::ModuleDef*> visiting;
  std::function<void(const detail::ModuleDef&)> visit = [&](const detail::ModuleDef& m) {
    if (by_module.count(&m) || visiting.count(&m)) return;
    visiting.insert(&m);
    for (const auto& imp : m.imports) visit(*imp);
    auto in = std::make_unique<Injector>();
    in->shared_ = impl.shared;
    in->module_name_ = m.name;
    for (const auto& p : m.providers) {
      in->visible_.push_back({p->type, p});
      in->own_names_.push_back(p->name);
      impl.shared->owner[p.get()] = in.get();
    }
    by_module[&m] = in.get();
    order.push_back(&m);
    impl.injectors.push_back(std::move(in));
  };
  visit(*root.definition());

  // Imports' exports become visible (an export may name a provider its module imported).
  for (const detail::ModuleDef* m : order) {
    Injector& in = *by_module[m];
    for (const auto& imp : m->imports) {
      Injector& from = *by_module[imp.get()];
      for (std::size_t i = 0; i < imp->exports.size(); ++i) {
        auto it = std::find_if(from.visible_.begin(), from.visible_.end(),
                               [&](const auto& v) { return v.type == imp->exports[i]; });
        if (it == from.visible_.end())
          throw DiError("module " + imp->name + " exports " + imp->export_names[i] +
                        ", which is neither its provider nor exported by its imports");
        if (!in.has(it->type)) {
          in.visible_.push_back(*it);
          in.import_names_.push_back(imp->export_names[i]);
        }
      }
    }
  }

  // Singletons at start-up (so graph errors surface now), then controllers.
  for (const detail::ModuleDef* m : order) {
    Injector& in = *by_module[m];
    for (const auto& p : m->providers) {
      if (p->scope != Scope::singleton) continue;
      std::vector<std::string> chain;
      in.resolve(p->type, p->name, nullptr, chain);
    }
  }
  for (const detail::ModuleDef* m : order) {
    Injector& in = *by_module[m];
    for (const auto& c : m->controllers) {
      std::vector<std::string> chain{c.name};
      c.mount(in, *app, chain);
    }
  }
  impl.shared->frozen = true;
  app->root_injector_ = by_module[root.definition().get()];
  app->rebuild_stage_lists();

  for (const auto& [def, instance] : impl.shared->created)
    if (def->on_module_init) def->on_module_init(instance.get());
  return app;
}

void App::shutdown() {
  set_ready(false);
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  auto& created = impl_->shared->created;
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    if (it->first->on_application_shutdown) it->first->on_application_shutdown(it->second.get());
}

void App::add_route(std::shared_ptr<detail::BoundRoute> route) {
  auto entry = std::make_unique<RouteEntry>();
  entry->route = std::move(route);
  const detail::BoundRoute& r = *entry->route;
  Result<void> ok = impl_->tree.insert(r.info.method.as_str(), r.info.pattern, entry.get());
  if (!ok)
    throw std::invalid_argument("web: route " + std::string(r.info.method.as_str()) + " " +
                                r.info.pattern + " (" + r.info.controller +
                                "): " + ok.error().message());
  impl_->routes.push_back(std::move(entry));
}

void App::add_builtin(std::string_view path, std::function<Task<Reply>(Context&)> fn) {
  auto route = std::make_shared<detail::BoundRoute>();
  route->info.method = http::Method::get;
  route->info.pattern = std::string(path);
  route->info.controller = "App";
  route->invoke = std::move(fn);
  add_route(std::move(route));
  impl_->routes.back()->builtin = true;
  rebuild_stage_lists();
}

void App::rebuild_stage_lists() {
  for (auto& e : impl_->routes) {
    e->guards.clear();
    e->interceptors.clear();
    e->filters = e->route->filters;
    if (!e->builtin) {
      for (auto& g : impl_->global_guards) e->guards.push_back(g.get());
      for (auto& i : impl_->global_interceptors) e->interceptors.push_back(i.get());
    }
    for (auto& g : e->route->guards) e->guards.push_back(g.get());
    for (auto& i : e->route->interceptors) e->interceptors.push_back(i.get());
    for (auto& f : impl_->global_filters) e->filters.push_back(f);
    e->chain = {e->interceptors, &App::handler_terminal, e->route.get()};
  }
  impl_->middleware.clear();
  for (auto& m : impl_->middleware_owned) impl_->middleware.push_back(m.get());
  impl_->middleware_chain = {impl_->middleware, &App::route_terminal, this};
}

App& App::use(std::shared_ptr<Middleware> middleware) {
  impl_->middleware_owned.push_back(std::move(middleware));
  rebuild_stage_lists();
  return *this;
}
App& App::use_global_guard(std::shared_ptr<Guard> guard) {
  impl_->global_guards.push_back(std::move(guard));
  rebuild_stage_lists();
  return *this;
}
App& App::use_global_interceptor(std::shared_ptr<Interceptor> interceptor) {
  impl_->global_interceptors.push_back(std::move(interceptor));
  rebuild_stage_lists();
  return *this;
}
App& App::use_global_filter(std::shared_ptr<ExceptionFilter> filter) {
  impl_->global_filters.push_back(std::move(filter));
  rebuild_stage_lists();
  return *this;
}

http::Response error_response(std::exception_ptr error, Context& ctx,
                              std::span<const std::shared_ptr<ExceptionFilter>> filters) {
  for (const auto& f : filters) {
    try {
      if (std::optional<http::Response> r = f->catch_exception(error, ctx)) return std::move(*r);
    } catch (...) {
      error = std::current_exception();  // a filter that throws hands on its own error
    }
  }
  try {
    std::rethrow_exception(error);
  } catch (const HttpException& e) {
    http::Response r = http::Response::json(json::serialize(e.body()));
    r.status = e.status();
    for (const auto& [name, value] : e.headers()) (void)r.headers.append(name, value);
    return r;
  } catch (const std::exception& e) {
    std::fprintf(
        stderr, "strata web: unhandled exception on %s: %s\n",
        ctx.route() ? ctx.route()->pattern.c_str() : std::string(ctx.request.path()).c_str(),
        e.what());
  } catch (...) {
    std::fprintf(stderr, "strata web: unhandled non-standard exception\n");
  }
  http::Response r =
      http::Response::json(R"({"statusCode":500,"message":"Internal server error"})");
  r.status = http::StatusCode::internal_server_error;
  return r;
}

Task<Reply> App::handler_terminal(void* route, Context& ctx) {
  return static_cast<detail::BoundRoute*>(route)->invoke(ctx);
}

Task<http::Response> App::route_terminal(void* self, http::Request& req) {
  return static_cast<App*>(self)->route_request(req);
}

namespace {
http::Response unmatched_response(http::Request& req, std::string_view allow,
                                  std::span<const std::shared_ptr<ExceptionFilter>> filters) {
  Context ctx(req, nullptr, nullptr);
  std::string what = "Cannot " + std::string(req.method.as_str()) + " " + std::string(req.path());
  std::exception_ptr error;
  if (allow.empty())
    error = std::make_exception_ptr(NotFoundException(std::move(what)));
  else
    error = std::make_exception_ptr(MethodNotAllowedException(std::move(what)));
  http::Response r = error_response(error, ctx, filters);
  if (!allow.empty()) (void)r.headers.set(http::header::allow, allow);
  return r;
}
}  // namespace

// One frame per request from here to the handler's own (App::handle returns this task
// directly when there is no middleware): guards, interceptors, filters and metrics run inline.
Task<http::Response> App::route_request(http::Request& req) {
  http::MatchResult<RouteEntry*> m = impl_->tree.match(req.method.as_str(), req.path());
  if (m.status() != http::MatchStatus::found) {
    http::Response r = unmatched_response(req, m.allow(), impl_->global_filters);
    if (impl_->metrics_on) impl_->unmatched.record(r.status, Clock::duration{});
    co_return r;
  }
  req.params = m.params();
  RouteEntry& e = *m.value();
  const bool measured = impl_->metrics_on;
  if (measured) impl_->in_flight.fetch_add(1, std::memory_order_relaxed);
  struct Leave {
    std::atomic<std::int64_t>* n;
    ~Leave() {
      if (n) n->fetch_sub(1, std::memory_order_relaxed);
    }
  } leave{measured ? &impl_->in_flight : nullptr};
  const Clock::time_point start = measured ? Clock::now() : Clock::time_point{};
  Context ctx(req, &e.route->info, e.route->injector);
  std::optional<http::Response> answer;
  std::exception_ptr error;
  try {
    for (Guard* g : e.guards) {
      bool allowed = co_await g->can_activate(ctx);
      if (!allowed) throw ForbiddenException("Forbidden resource");
    }
    Reply reply = co_await Next(e.chain, 0, ctx).handle();
    answer.emplace(std::move(reply).into_response(e.route->info.status));
  } catch (...) {
    error = std::current_exception();
  }
  if (!answer) answer.emplace(error_response(error, ctx, e.filters));
  if (measured) e.metrics.record(answer->status, Clock::now() - start);
  co_return std::move(*answer);
}

Task<http::Response> App::handle(http::Request& req) {
  if (impl_->middleware.empty()) return route_request(req);  // no frame of its own
  return handle_with_middleware(req);
}

Task<http::Response> App::handle_with_middleware(http::Request& req) {
  std::exception_ptr error;
  try {
    co_return co_await MiddlewareNext(impl_->middleware_chain, 0, req).run();
  } catch (...) {
    error = std::current_exception();
  }
  Context ctx(req, nullptr, nullptr);
  co_return error_response(error, ctx, impl_->global_filters);
}

App& App::enable_health(std::string_view live, std::string_view ready) {
  add_builtin(live, [](Context&) -> Task<Reply> {
    co_return Reply::json(json::object{{"status", "ok"}}, http::StatusCode::ok);
  });
  add_builtin(ready, [this](Context&) -> Task<Reply> {
    bool r = ready_.load(std::memory_order_relaxed);
    co_return Reply::json(json::object{{"status", r ? "ready" : "not ready"}},
                          r ? http::StatusCode::ok : http::StatusCode::service_unavailable);
  });
  return *this;
}

App& App::enable_metrics(std::string_view path, std::function<std::string()> extra) {
  impl_->metrics_on = true;
  add_builtin(path, [this, extra = std::move(extra)](Context&) -> Task<Reply> {
    std::string out;
    out.reserve(4096);
    out += "# HELP strata_http_requests_total Requests answered, by route and status class.\n";
    out += "# TYPE strata_http_requests_total counter\n";
    auto counts = [&](std::string_view method, std::string_view route, const RouteMetrics& m) {
      for (std::size_t c = 0; c < m.by_class.size(); ++c) {
        std::uint64_t n = m.by_class[c].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out += "strata_http_requests_total{method=\"" + std::string(method) + "\",route=\"" +
               escape_label(route) + "\",status=\"" + std::to_string(c + 1) + "xx\"} " +
               std::to_string(n) + "\n";
      }
    };
    for (const auto& e : impl_->routes)
      counts(e->route->info.method.as_str(), e->route->info.pattern, e->metrics);
    counts("", "unmatched", impl_->unmatched);
    out += "# HELP strata_http_request_duration_seconds Time from routing to the response.\n";
    out += "# TYPE strata_http_request_duration_seconds histogram\n";
    for (const auto& e : impl_->routes) {
      const RouteMetrics& m = e->metrics;
      std::string labels = "method=\"" + std::string(e->route->info.method.as_str()) +
                           "\",route=\"" + escape_label(e->route->info.pattern) + "\"";
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < m.buckets.size(); ++b) {
        cumulative += m.buckets[b].load(std::memory_order_relaxed);
        std::string le = b < kBuckets.size() ? detail::number_text(kBuckets[b]) : "+Inf";
        out += "strata_http_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
               std::to_string(cumulative) + "\n";
      }
      out +=
          "strata_http_request_duration_seconds_sum{" + labels + "} " +
          detail::number_text(static_cast<double>(m.sum_ns.load(std::memory_order_relaxed)) / 1e9) +
          "\n";
      out += "strata_http_request_duration_seconds_count{" + labels + "} " +
             std::to_string(cumulative) + "\n";
    }
    out += "# HELP strata_http_requests_in_flight Requests being handled.\n";
    out += "# TYPE strata_http_requests_in_flight gauge\n";
    out += "strata_http_requests_in_flight " +
           std::to_string(impl_->in_flight.load(std::memory_order_relaxed)) + "\n";
    if (extra) out += extra();
    http::Response r = http::Response::text(std::move(out));
    (void)r.headers.set(http::header::content_type, "text/plain; version=0.0.4; charset=utf-8");
    co_return Reply::response(std::move(r));
  });
  return *this;
}

json::object App::openapi_document() const {
  json::object paths;
  for (const auto& e : impl_->routes) {
    const RouteInfo& info = e->route->info;
    json::object op = info.openapi;
    if (e->builtin) op = {{"responses", json::object{{"200", {{"description", "OK"}}}}}};
    std::string method(info.method.as_str());
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json::value& item = paths[detail::openapi_path(info.pattern)];
    if (!item.is_object()) item = json::object{};
    item.as_object()[method] = std::move(op);
  }
  json::object info{{"title", impl_->openapi_info.title}, {"version", impl_->openapi_info.version}};
  if (!impl_->openapi_info.description.empty())
    info["description"] = impl_->openapi_info.description;
  return {{"openapi", "3.0.3"}, {"info", std::move(info)}, {"paths", std::move(paths)}};
}

App& App::enable_openapi(std::string_view path, OpenApiInfo info) {
  impl_->openapi_info = std::move(info);
  add_builtin(path, [this](Context&) -> Task<Reply> {
    co_return Reply::json(openapi_document(), http::StatusCode::ok);
  });
  return *this;
}

}  // namespace strata::web
