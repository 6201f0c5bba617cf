// The framework's cost per request: one route (path param + query + JSON body + guard +
// interceptor) through web::App, against the same logic hand-written on http::Router. Both are
// called in process on a prepared request (no sockets), so the difference is the framework.
//
//   build/release/bench/web/strata-bench-web --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <charconv>
#include <string>

#include "strata/http.hpp"
#include "strata/rt.hpp"
#include "strata/web.hpp"

using namespace strata;

namespace {

struct Order {
  int quantity = 0;
  std::string sku;
  static constexpr auto constraints() {
    return web::rules(web::rule<&Order::quantity>(web::Min{1}, web::Max{100}),
                      web::rule<&Order::sku>(web::Length{1, 32}));
  }
};
BOOST_DESCRIBE_STRUCT(Order, (), (quantity, sku))

struct Receipt {
  int user = 0;
  int quantity = 0;
  std::string sku;
  bool express = false;
};
BOOST_DESCRIBE_STRUCT(Receipt, (), (user, quantity, sku, express))

class Passthrough : public web::Interceptor {
 public:
  Task<web::Reply> intercept(web::Context&, web::Next next) override {
    co_return co_await next.handle();
  }
};

class Token : public web::BearerGuard {
 public:
  Token() : BearerGuard("secret-token") {}
};

class Orders {
 public:
  static constexpr std::string_view prefix = "/users/:id";
  Receipt order(web::Param<"id", int, web::Min{1}> id,
                web::Query<"express", bool, web::Default{false}> express, web::Body<Order> body) {
    return {*id, body->quantity, std::move(body->sku), *express};
  }
  static constexpr auto routes() {
    return web::routes(
        web::post<"orders">(&Orders::order).guards<Token>().interceptors<Passthrough>());
  }
};

// The same work by hand: parse, check, authorise, answer.
Task<http::Response> raw_order(http::Request& req) {
  auto auth = req.headers.get("authorization");
  if (!auth || *auth != "Bearer secret-token")
    co_return http::Response::error(http::StatusCode::unauthorized);
  std::string_view id_text = req.params.get("id").value_or("");
  int id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || p != id_text.data() + id_text.size() || id < 1)
    co_return http::Response::error(http::StatusCode::bad_request);
  bool express = req.query_param("express").value_or("false") == "true";
  Result<std::string> text = co_await req.body.text(1 << 20);
  if (!text) co_return http::Response::error(http::StatusCode::content_too_large);
  web::json::error_code jec;
  web::json::value v = web::json::parse(*text, jec);
  if (jec || !v.is_object()) co_return http::Response::error(http::StatusCode::bad_request);
  auto& o = v.as_object();
  if (o.size() != 2 || !o.contains("quantity") || !o.contains("sku") || !o["quantity"].is_int64() ||
      !o["sku"].is_string())
    co_return http::Response::error(http::StatusCode::bad_request);
  std::int64_t q = o["quantity"].as_int64();
  std::string_view sku = o["sku"].as_string();
  if (q < 1 || q > 100 || sku.empty() || sku.size() > 32)
    co_return http::Response::error(http::StatusCode::bad_request);
  web::json::object out{{"user", id}, {"quantity", q}, {"sku", sku}, {"express", express}};
  http::Response r = http::Response::json(web::json::serialize(out));
  r.status = http::StatusCode::created;
  co_return r;
}

void prepare(http::Request& req) {
  req.clear();
  req.method = http::Method::post;
  req.set_target("/users/42/orders?express=true");
  (void)req.headers.append("authorization", "Bearer secret-token");
  (void)req.headers.append("content-type", "application/json");
  req.body = http::Body::from(std::string(R"({"quantity":3,"sku":"ABC-123"})"));
}

template <class MakeService>
void measure(benchmark::State& state, MakeService make) {
  std::shared_ptr<http::Service> service = make();
  strata::run(RuntimeConfig::current_thread(), [&]() -> Task<void> {
    http::Request req;
    for (auto _ : state) {
      prepare(req);
      http::Response r = co_await service->handle(req);
      if (r.status != http::StatusCode::created) state.SkipWithError("unexpected status");
      benchmark::DoNotOptimize(r);
    }
  });
}

void Framework(benchmark::State& state) {
  measure(state, [] {
    web::Module m("Bench");
    m.controller<Orders>();
    return std::static_pointer_cast<http::Service>(web::App::create(m));
  });
}

void RawRouter(benchmark::State& state) {
  measure(state, [] {
    auto router = std::make_shared<http::Router>();
    router->post("/users/:id/orders", raw_order);
    return std::static_pointer_cast<http::Service>(router);
  });
}

BENCHMARK(RawRouter);
BENCHMARK(Framework);

}  // namespace

BENCHMARK_MAIN();
