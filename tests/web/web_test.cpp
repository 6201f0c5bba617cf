// The web framework over real sockets: the pipeline's order, extraction and validation, DI
// (scopes, modules, start-up errors, hooks), guards (bearer, JWT, roles), CORS, rate limits,
// routing errors and the built-ins. The todo API example has its own end-to-end test
// (todo_api_test.py, with curl over HTTP/1.1 and h2c).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <zlib.h>

#include "../http/http_test_util.hpp"
#include "strata/rx.hpp"
#include "strata/web.hpp"

using namespace strata;
using namespace strata::test;

namespace {

// ---- validation -------------------------------------------------------------------------

struct Address {
  std::string city;
  std::optional<std::string> zip;
};
BOOST_DESCRIBE_STRUCT(Address, (), (city, zip))

enum class Color { red, green };
BOOST_DESCRIBE_ENUM(Color, red, green)

struct Person {
  std::string name;
  int age = 0;
  std::optional<Color> color;
  std::vector<Address> addresses;
  std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(Person, (), (name, age, color, addresses, tags))

// Person's rules live outside it, found by argument-dependent lookup.
constexpr auto constraints(web::Tag<Person>) {
  return web::rules(web::rule<&Person::name>(web::Length{2, 10}, web::Pattern{"^[a-z]+$"}),
                    web::rule<&Person::age>(web::Min{0}, web::Max{150}),
                    web::rule<&Person::tags>(web::Length{0, 2}));
}

web::Violations decode_person(std::string_view text, Person* out = nullptr) {
  web::Violations v;
  Person p = web::decode<Person>(web::json::parse(text), v);
  if (out) *out = p;
  return v;
}

TEST(WebValidate, ValidObjectDecodes) {
  Person p;
  auto v = decode_person(
      R"({"name":"ada","age":36,"color":"green","addresses":[{"city":"London"}],"tags":["a"]})",
      &p);
  EXPECT_TRUE(v.empty()) << v.messages().front();
  EXPECT_EQ(p.name, "ada");
  EXPECT_EQ(p.age, 36);
  EXPECT_EQ(p.color, Color::green);
  ASSERT_EQ(p.addresses.size(), 1u);
  EXPECT_EQ(p.addresses[0].city, "London");
  EXPECT_FALSE(p.addresses[0].zip);
}

TEST(WebValidate, EveryViolationIsListed) {
  auto v = decode_person(
      R"({"name":5,"age":"x","color":"blue","addresses":[{"city":1,"zip":2,"x":0}],"tags":"t","extra":true})");
  std::vector<std::string> want{
      "property extra should not exist",
      "name must be a string",
      "age must be an integer number",
      "color must be one of the following values: red, green",
      "property addresses.0.x should not exist",
      "addresses.0.city must be a string",
      "addresses.0.zip must be a string",
      "tags must be an array",
  };
  EXPECT_EQ(v.messages(), want);
}

TEST(WebValidate, ConstraintsRunOnWellTypedValues) {
  auto v = decode_person(R"({"name":"A","age":200,"addresses":[],"tags":["a","b","c"]})");
  std::vector<std::string> want{
      "name must be longer than or equal to 2 characters",
      "name must match /^[a-z]+$/ regular expression",
      "age must not be greater than 150",
      "tags must contain no more than 2 elements",
  };
  EXPECT_EQ(v.messages(), want);
}

TEST(WebValidate, MissingRequiredAndWrongRoot) {
  auto v = decode_person(R"({"addresses":[],"tags":[]})");
  std::vector<std::string> want{"name must be a string", "age must be an integer number"};
  EXPECT_EQ(v.messages(), want);
  web::Violations w;
  (void)web::decode<Person>(web::json::parse("[1]"), w);
  EXPECT_EQ(w.messages(), std::vector<std::string>{"body must be a JSON object"});
}

TEST(WebValidate, IntegersAreExact) {
  web::Violations v;
  EXPECT_EQ(web::decode<int>(web::json::parse("3.0"), v), 3);
  (void)web::decode<int>(web::json::parse("3.5"), v);
  (void)web::decode<std::int8_t>(web::json::parse("300"), v);
  EXPECT_EQ(v.messages().size(), 2u);
  web::Violations t;
  EXPECT_EQ(web::decode_text<std::int64_t>("42", "id", t), 42);
  EXPECT_FALSE(web::decode_text<std::int64_t>("42abc", "id", t));
  EXPECT_FALSE(web::decode_text<std::int64_t>("1e3", "id", t));
  EXPECT_FALSE(web::decode_text<bool>("yes", "flag", t));
  EXPECT_EQ(t.messages().size(), 3u);
}

TEST(WebValidate, SchemaCarriesConstraints) {
  web::json::object s = web::schema_of<Person>();
  EXPECT_EQ(s["properties"].as_object()["name"].as_object()["minLength"], 2);
  EXPECT_EQ(s["properties"].as_object()["age"].as_object()["maximum"], 150.0);
  EXPECT_EQ(s["required"].as_array().size(), 4u);
  EXPECT_EQ(s["additionalProperties"], false);
}

// ---- the pipeline -----------------------------------------------------------------------

struct Log {
  std::mutex mu;
  std::vector<std::string> lines;
  void add(std::string s) {
    std::lock_guard lock(mu);
    lines.push_back(std::move(s));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mu);
    return std::exchange(lines, {});
  }
};

class LogMiddleware : public web::Middleware {
 public:
  explicit LogMiddleware(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  Task<http::Response> use(http::Request& req, web::MiddlewareNext next) override {
    log_->add("middleware");
    if (req.headers.get("x-short-circuit")) co_return http::Response::text("from middleware");
    http::Response r = co_await next.run();
    log_->add("middleware after");
    co_return r;
  }

 private:
  std::shared_ptr<Log> log_;
};

class LogGuard : public web::Guard {
 public:
  using inject = web::Inject<Log>;
  explicit LogGuard(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  Task<bool> can_activate(web::Context& ctx) override {
    log_->add("guard");
    co_return !ctx.request.headers.get("x-deny");
  }

 private:
  std::shared_ptr<Log> log_;
};

class Envelope : public web::Interceptor {
 public:
  using inject = web::Inject<Log>;
  explicit Envelope(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  Task<web::Reply> intercept(web::Context&, web::Next next) override {
    log_->add("interceptor before");
    web::Reply r = co_await next.handle();
    log_->add("interceptor after");
    if (r.has_body) r.body = web::json::object{{"data", std::move(r.body)}};
    co_return r;
  }

 private:
  std::shared_ptr<Log> log_;
};

class Cache : public web::Interceptor {
 public:
  Task<web::Reply> intercept(web::Context& ctx, web::Next next) override {
    if (ctx.request.headers.get("x-cached")) co_return web::Reply::json(std::string("cached"));
    co_return co_await next.handle();
  }
};

struct Teapot : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class TeapotFilter : public web::ExceptionFilter {
 public:
  std::optional<http::Response> catch_exception(std::exception_ptr e, web::Context&) override {
    try {
      std::rethrow_exception(e);
    } catch (const Teapot& t) {
      http::Response r = http::Response::text(t.what());
      r.status = http::StatusCode(418);
      return r;
    } catch (...) {
      return std::nullopt;
    }
  }
};

struct Counter {
  std::atomic<int> made{0};
};

// A request-scoped provider: one per request, shared by everything in that request.
class RequestId {
 public:
  using inject = web::Inject<Counter>;
  explicit RequestId(std::shared_ptr<Counter> c) : id(++c->made) {}
  int id;
};

struct Sum {
  int a = 0;
  int b = 0;
};
BOOST_DESCRIBE_STRUCT(Sum, (), (a, b))

class ItemsController {
 public:
  static constexpr std::string_view prefix = "/items";
  using inject = web::Inject<Log>;
  using interceptors = web::Use<Envelope>;
  explicit ItemsController(std::shared_ptr<Log> log) : log_(std::move(log)) {}

  Task<std::string> show(web::Param<"id", int, web::Min{1}> id,
                         web::Query<"q", std::string, web::Default{"none"}> q) {
    log_->add("handler");
    co_return std::to_string(*id) + ":" + *q;
  }
  int sum(web::Body<Sum> s) { return s->a + s->b; }
  void boom(web::Query<"kind", std::string> kind) {
    if (*kind == "teapot") throw Teapot("short and stout");
    if (*kind == "http") throw web::ConflictException("already there");
    throw std::runtime_error("secret detail");
  }
  std::string whoami(web::Header<"x-user", std::optional<std::string>> user,
                     web::Cookie<"sid", std::optional<std::string>> sid) {
    return user->value_or("-") + "/" + sid->value_or("-");
  }
  std::string scoped(std::shared_ptr<RequestId> a, std::shared_ptr<RequestId> b) {
    return std::to_string(a->id) + "," + std::to_string(b->id);
  }
  Task<http::Response> raw(http::Request& req) {
    co_return http::Response::text("raw " + std::string(req.method.as_str()));
  }

  static constexpr auto routes() {
    return web::routes(web::get<":id">(&ItemsController::show, "show").guards<LogGuard>(),
                       web::post<"sum">(&ItemsController::sum).interceptors<Cache>(),
                       web::get<"boom">(&ItemsController::boom).filters<TeapotFilter>(),
                       web::get<"whoami">(&ItemsController::whoami),
                       web::get<"scoped">(&ItemsController::scoped),
                       web::put<"raw">(&ItemsController::raw));
  }

 private:
  std::shared_ptr<Log> log_;
};

struct Harness {
  std::shared_ptr<Log> log = std::make_shared<Log>();
  std::shared_ptr<web::App> app;
  Harness() {
    web::Module m("ItemsModule");
    m.provide_value(log).provide<Counter>().provide<RequestId>(web::Scope::request);
    m.controller<ItemsController>();
    app = web::App::create(m);
    app->use(std::make_shared<LogMiddleware>(log));
  }
};

Task<RawResponse> get(net::SocketAddr addr, std::string request) {
  auto c = co_await connect(addr);
  EXPECT_TRUE(c.has_value());
  if (!c) co_return RawResponse{};
  auto r = co_await c->exchange(request);
  EXPECT_TRUE(r.has_value()) << request;
  co_return r ? std::move(*r) : RawResponse{};
}

std::string req(std::string_view method, std::string_view target, std::string_view extra = "",
                std::string_view body = "") {
  std::string s = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nhost: t\r\n";
  s += extra;
  if (!body.empty()) s += "content-length: " + std::to_string(body.size()) + "\r\n";
  s += "\r\n";
  s += body;
  return s;
}

Task<void> pipeline_order(Harness& h, net::SocketAddr addr) {
  RawResponse r = co_await get(addr, req("GET", "/items/7?q=x"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"data":"7:x"})");
  std::vector<std::string> want{"middleware",         "guard",
                                "interceptor before", "handler",
                                "interceptor after",  "middleware after"};
  EXPECT_EQ(h.log->take(), want);

  r = co_await get(addr, req("GET", "/items/7"));
  EXPECT_EQ(r.body, R"({"data":"7:none"})");
  h.log->take();

  // A guard that refuses: 403 before interceptors and pipes run.
  r = co_await get(addr, req("GET", "/items/0", "x-deny: 1\r\n"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, R"({"statusCode":403,"message":"Forbidden resource","error":"Forbidden"})");
  std::vector<std::string> denied{"middleware", "guard", "middleware after"};
  EXPECT_EQ(h.log->take(), denied);

  // Pipes after guards: a bad id is 400 with the interceptors' before stage only.
  r = co_await get(addr, req("GET", "/items/0"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"statusCode":400,"message":["id must not be less than 1"],"error":"Bad Request"})");
  r = co_await get(addr, req("GET", "/items/x"));
  EXPECT_EQ(
      r.body,
      R"({"statusCode":400,"message":["id must be an integer number"],"error":"Bad Request"})");
  h.log->take();

  // Middleware can answer alone.
  r = co_await get(addr, req("GET", "/items/7", "x-short-circuit: 1\r\n"));
  EXPECT_EQ(r.body, "from middleware");
  EXPECT_EQ(h.log->take(), std::vector<std::string>{"middleware"});
}

Task<void> bodies_and_errors(Harness& h, net::SocketAddr addr) {
  RawResponse r = co_await get(addr, req("POST", "/items/sum", "", R"({"a":2,"b":3})"));
  EXPECT_EQ(r.status, 201);  // POST's default
  EXPECT_EQ(r.body, R"({"data":5})");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  r = co_await get(addr, req("POST", "/items/sum", "x-cached: 1\r\n", R"({"a":2,"b":3})"));
  EXPECT_EQ(r.body, R"({"data":"cached"})");  // the route's Cache ran inside the Envelope
  r = co_await get(addr, req("POST", "/items/sum", "", R"({"a":2,"b":)"));
  EXPECT_EQ(r.status, 400);
  r = co_await get(addr, req("POST", "/items/sum", "", R"({"a":"2","c":1})"));
  EXPECT_EQ(
      r.body,
      R"({"statusCode":400,"message":["property c should not exist","a must be an integer number","b must be an integer number"],"error":"Bad Request"})");
  std::string big(2 * 1024 * 1024, ' ');
  r = co_await get(addr, req("POST", "/items/sum", "", big));
  EXPECT_EQ(r.status, 413);

  r = co_await get(addr, req("GET", "/items/boom?kind=teapot"));
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "short and stout");
  r = co_await get(addr, req("GET", "/items/boom?kind=http"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, R"({"statusCode":409,"message":"already there","error":"Conflict"})");
  r = co_await get(addr, req("GET", "/items/boom?kind=other"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"statusCode":500,"message":"Internal server error"})");
  r = co_await get(addr, req("GET", "/items/boom"));
  EXPECT_EQ(r.status, 400);  // a required query parameter

  r = co_await get(addr,
                   req("GET", "/items/whoami", "x-user: ada\r\ncookie: a=1; sid=\"s42\"\r\n"));
  EXPECT_EQ(r.body, R"({"data":"ada/s42"})");
  r = co_await get(addr, req("GET", "/items/whoami"));
  EXPECT_EQ(r.body, R"({"data":"-/-"})");

  // Request scope: one instance per request, shared within it.
  r = co_await get(addr, req("GET", "/items/scoped"));
  RawResponse r2 = co_await get(addr, req("GET", "/items/scoped"));
  EXPECT_EQ(r.body, R"({"data":"1,1"})");
  EXPECT_EQ(r2.body, R"({"data":"2,2"})");

  r = co_await get(addr, req("PUT", "/items/raw"));
  EXPECT_EQ(r.body, "raw PUT");  // an http::Response passes the envelope untouched

  r = co_await get(addr, req("GET", "/nothing"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"statusCode":404,"message":"Cannot GET /nothing","error":"Not Found"})");
  r = co_await get(addr, req("DELETE", "/items/raw"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "PUT");
  h.log->take();
}

TEST(WebApp, PipelineRunsInNestOrder) {
  Harness h;
  run_current(
      with_server_serving({}, h.app, [&](net::SocketAddr a) { return pipeline_order(h, a); }));
}

TEST(WebApp, BodiesErrorsAndScopes) {
  Harness h;
  run_current(
      with_server_serving({}, h.app, [&](net::SocketAddr a) { return bodies_and_errors(h, a); }));
}

TEST(WebApp, MultiThreadRuntime) {
  Harness h;
  run_multi(
      with_server_serving({}, h.app, [&](net::SocketAddr a) { return bodies_and_errors(h, a); }));
}

// ---- dependency injection ---------------------------------------------------------------

struct Db {};
class Repo {
 public:
  using inject = web::Inject<Db>;
  explicit Repo(std::shared_ptr<Db> d) : db(std::move(d)) {}
  std::shared_ptr<Db> db;
};
class Service {
 public:
  using inject = web::Inject<Repo>;
  explicit Service(std::shared_ptr<Repo> r) : repo(std::move(r)) {}
  std::shared_ptr<Repo> repo;
};
class NeedsService {
 public:
  static constexpr std::string_view prefix = "/s";
  using inject = web::Inject<Service>;
  explicit NeedsService(std::shared_ptr<Service>) {}
  int one() { return 1; }
  static constexpr auto routes() { return web::routes(web::get<"">(&NeedsService::one)); }
};

std::string di_error(const web::Module& m) {
  try {
    web::App::create(m);
  } catch (const web::DiError& e) {
    return e.what();
  }
  return "no error";
}

TEST(WebDi, MissingProviderNamesTheChain) {
  web::Module m("AppModule");
  m.provide<Service>().provide<Repo>().controller<NeedsService>();
  std::string e = di_error(m);
  EXPECT_NE(e.find("Service -> Repo -> Db: no provider for Db in module AppModule"),
            std::string::npos)
      << e;
}

struct CycA;
struct CycB;
struct CycA {
  using inject = web::Inject<CycB>;
  explicit CycA(std::shared_ptr<CycB>) {}
};
struct CycB {
  using inject = web::Inject<CycA>;
  explicit CycB(std::shared_ptr<CycA>) {}
};

TEST(WebDi, CycleIsAStartupError) {
  web::Module m("AppModule");
  m.provide<CycA>().provide<CycB>();
  std::string e = di_error(m);
  EXPECT_NE(e.find("dependency cycle: CycA -> CycB -> CycA"), std::string::npos) << e;
}

TEST(WebDi, SingletonCannotDependOnRequestScope) {
  web::Module m("AppModule");
  m.provide<Db>(web::Scope::request).provide<Repo>();
  std::string e = di_error(m);
  EXPECT_NE(e.find("Db is request-scoped"), std::string::npos) << e;
}

TEST(WebDi, ModulesSeeOnlyExports) {
  web::Module data("DataModule");
  data.provide<Db>().provide<Repo>().exports<Repo>();
  web::Module app("AppModule");
  app.import(data).provide<Service>().controller<NeedsService>();
  EXPECT_NO_THROW(web::App::create(app));

  web::Module hidden("DataModule");
  hidden.provide<Db>().provide<Repo>();
  web::Module app2("AppModule");
  app2.import(hidden).provide<Service>();
  std::string e = di_error(app2);
  EXPECT_NE(e.find("no provider for Repo in module AppModule"), std::string::npos) << e;
  EXPECT_NE(e.find("exported by its imports: none"), std::string::npos) << e;
}

TEST(WebDi, SingletonsAreSharedTransientsAreNot) {
  web::Module m("AppModule");
  m.provide<Db>().provide<Repo>(web::Scope::transient).provide<Service>();
  auto app = web::App::create(m);
  auto s = app->get<Service>();
  EXPECT_EQ(s, app->get<Service>());
  EXPECT_NE(app->get<Repo>(), app->get<Repo>());
  EXPECT_EQ(app->get<Repo>()->db, s->repo->db);
}

std::vector<std::string> hook_log;
struct HookA {
  void on_module_init() { hook_log.push_back("init A"); }
  void on_application_shutdown() { hook_log.push_back("shutdown A"); }
};
struct HookB {
  using inject = web::Inject<HookA>;
  explicit HookB(std::shared_ptr<HookA>) {}
  void on_module_init() { hook_log.push_back("init B"); }
  void on_application_shutdown() { hook_log.push_back("shutdown B"); }
};

TEST(WebDi, LifecycleHooksRunInDependencyOrder) {
  hook_log.clear();
  web::Module m("AppModule");
  m.provide<HookB>().provide<HookA>();
  auto app = web::App::create(m);
  app->shutdown();
  app->shutdown();  // once
  std::vector<std::string> want{"init A", "init B", "shutdown B", "shutdown A"};
  EXPECT_EQ(hook_log, want);
}

// ---- guards -----------------------------------------------------------------------------

TEST(WebAuth, JwtHs256) {
  web::JwtConfig cfg = web::JwtConfig::hs256("s3cret");
  cfg.issuer = "strata";
  web::JwtVerifier v(cfg);
  auto now = std::chrono::system_clock::now();
  auto secs = [&](int d) {
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + d;
  };
  std::string ok =
      web::jwt_sign_hs256({{"sub", "ada"}, {"iss", "strata"}, {"exp", secs(60)}}, "s3cret");
  auto r = v.verify(ok, now);
  ASSERT_TRUE(std::holds_alternative<web::json::object>(r));
  EXPECT_EQ(std::get<web::json::object>(r).at("sub"), "ada");

  auto err = [&](const std::string& token) {
    auto x = v.verify(token, now);
    return std::holds_alternative<web::JwtError>(x) ? std::get<web::JwtError>(x)
                                                    : static_cast<web::JwtError>(-1);
  };
  EXPECT_EQ(err(web::jwt_sign_hs256({{"iss", "strata"}, {"exp", secs(-120)}}, "s3cret")),
            web::JwtError::expired);
  EXPECT_EQ(err(web::jwt_sign_hs256({{"iss", "strata"}, {"nbf", secs(120)}}, "s3cret")),
            web::JwtError::not_yet_valid);
  EXPECT_EQ(err(web::jwt_sign_hs256({{"iss", "other"}}, "s3cret")), web::JwtError::issuer);
  EXPECT_EQ(err(web::jwt_sign_hs256({{"iss", "strata"}}, "wrong")), web::JwtError::signature);
  EXPECT_EQ(err("abc"), web::JwtError::malformed);
  // alg "none" is refused whatever the signature.
  EXPECT_EQ(err("eyJhbGciOiJub25lIn0.eyJpc3MiOiJzdHJhdGEifQ."), web::JwtError::algorithm);
  std::string tampered = ok;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_NE(err(tampered), static_cast<web::JwtError>(-1));
}

class AdminController {
 public:
  static constexpr std::string_view prefix = "/admin";
  std::string who(web::Context& ctx) { return ctx.get<web::JwtClaims>()->subject(); }
  static constexpr auto routes() {
    return web::routes(web::get<"who">(&AdminController::who),
                       web::get<"only">(&AdminController::who).roles("admin"));
  }
};

Task<void> jwt_routes(net::SocketAddr addr) {
  std::string user = web::jwt_sign_hs256({{"sub", "bob"}, {"roles", {"user"}}}, "k");
  std::string admin = web::jwt_sign_hs256({{"sub", "ada"}, {"roles", {"admin"}}}, "k");
  RawResponse r = co_await get(addr, req("GET", "/admin/who"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  r = co_await get(addr, req("GET", "/admin/who", "authorization: Bearer " + user + "x\r\n"));
  EXPECT_EQ(r.status, 401);
  r = co_await get(addr, req("GET", "/admin/who", "authorization: Bearer " + user + "\r\n"));
  EXPECT_EQ(r.body, R"("bob")");
  r = co_await get(addr, req("GET", "/admin/only", "authorization: Bearer " + user + "\r\n"));
  EXPECT_EQ(r.status, 403);
  r = co_await get(addr, req("GET", "/admin/only", "authorization: bearer " + admin + "\r\n"));
  EXPECT_EQ(r.body, R"("ada")");
}

TEST(WebAuth, JwtAndRolesGuards) {
  web::Module m("AppModule");
  m.controller<AdminController>();
  auto app = web::App::create(m);
  app->use_global_guard(std::make_shared<web::JwtGuard>(web::JwtConfig::hs256("k")))
      .use_global_guard(std::make_shared<web::RolesGuard>());
  run_current(with_server_serving({}, app, jwt_routes));
}

// ---- built-ins --------------------------------------------------------------------------

TEST(WebBuiltins, RateLimitBuckets) {
  web::RateLimitConfig cfg;
  cfg.rate = 10;
  cfg.burst = 3;
  web::RateLimit limit(cfg);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.take("a", t0).wait, 0);
  EXPECT_NEAR(limit.take("a", t0).wait, 0.1, 1e-9);
  EXPECT_EQ(limit.take("b", t0).wait, 0);  // per key
  EXPECT_EQ(limit.take("a", t0 + std::chrono::milliseconds(100)).wait, 0);
}

Task<void> builtins(std::shared_ptr<web::App> app, net::SocketAddr addr) {
  RawResponse r = co_await get(addr, req("GET", "/items/3"));
  EXPECT_EQ(r.status, 200);
  r = co_await get(addr, req("GET", "/healthz"));
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  r = co_await get(addr, req("GET", "/readyz"));
  EXPECT_EQ(r.status, 200);
  app->set_ready(false);
  r = co_await get(addr, req("GET", "/readyz"));
  EXPECT_EQ(r.status, 503);
  r = co_await get(addr, req("GET", "/metrics"));
  EXPECT_NE(
      r.body.find(R"(strata_http_requests_total{method="GET",route="/items/:id",status="2xx"} 1)"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("strata_http_request_duration_seconds_bucket"), std::string::npos);
  r = co_await get(addr, req("GET", "/openapi.json"));
  auto doc = web::json::parse(r.body).as_object();
  auto& op = doc["paths"].as_object()["/items/{id}"].as_object()["get"].as_object();
  auto& params = op["parameters"].as_array();
  EXPECT_EQ(params.size(), 2u);
  if (params.size() != 2) co_return;
  EXPECT_EQ(params[0].as_object()["in"], "path");
  EXPECT_EQ(params[0].as_object()["schema"].as_object()["minimum"], 1.0);
  EXPECT_EQ(params[1].as_object()["required"], false);  // it has a Default
  EXPECT_TRUE(doc["paths"].as_object()["/items/sum"].as_object()["post"].as_object().contains(
      "requestBody"));

  // CORS: preflight and simple requests.
  r = co_await get(addr, req("OPTIONS", "/items/3",
                             "origin: https://a.example\r\naccess-control-request-method: GET\r\n"
                             "access-control-request-headers: x-user\r\n"));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "https://a.example");
  EXPECT_EQ(r.headers["access-control-allow-headers"], "x-user");
  r = co_await get(addr, req("GET", "/items/3", "origin: https://b.example\r\n"));
  EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
}

Task<void> rate_limited(net::SocketAddr addr) {
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    RawResponse x = co_await get(addr, req("GET", "/items/3", "x-client: z\r\n"));
    statuses.push_back(x.status);
    if (x.status == 429) {
      EXPECT_EQ(x.headers["retry-after"], "2");
      EXPECT_EQ(
          x.body,
          R"({"statusCode":429,"message":"ThrottlerException: Too Many Requests","error":"Too Many Requests"})");
    } else {
      EXPECT_EQ(x.headers["ratelimit-limit"], "2");
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429, 429, 429}));
  RawResponse other = co_await get(addr, req("GET", "/items/3", "x-client: y\r\n"));
  EXPECT_EQ(other.status, 200);
  RawResponse skipped = co_await get(addr, req("GET", "/healthz", "x-client: z\r\n"));
  EXPECT_EQ(skipped.status, 200);
}

TEST(WebBuiltins, RateLimitOverSockets) {
  Harness h;
  web::RateLimitConfig limits;
  limits.rate = 0.5;
  limits.burst = 2;
  limits.key = [](const http::Request& r) {
    return std::string(r.headers.get("x-client").value_or("anon"));
  };
  limits.skip = {"/healthz"};
  h.app->use(std::make_shared<web::RateLimit>(limits)).enable_health();
  run_current(with_server_serving({}, h.app, rate_limited));
}

TEST(WebBuiltins, HealthMetricsOpenApiCors) {
  Harness h;
  web::CorsConfig cors;
  cors.origins = {"https://a.example"};
  h.app->use(std::make_shared<web::Cors>(cors));
  h.app->enable_health().enable_metrics().enable_openapi();
  run_current(
      with_server_serving({}, h.app, [&](net::SocketAddr a) { return builtins(h.app, a); }));
}

// ---- compression -----------------------------------------------------------------------

TEST(WebCompression, AcceptEncodingRules) {
  EXPECT_TRUE(web::accepts_encoding("gzip", "gzip"));
  EXPECT_TRUE(web::accepts_encoding("br, GZIP;q=0.5", "gzip"));
  EXPECT_TRUE(web::accepts_encoding("*", "gzip"));
  EXPECT_FALSE(web::accepts_encoding("gzip;q=0", "gzip"));
  EXPECT_FALSE(web::accepts_encoding("gzip;q=0.000, *", "gzip"));  // named wins over *
  EXPECT_FALSE(web::accepts_encoding("*;q=0", "gzip"));
  EXPECT_FALSE(web::accepts_encoding("identity, br", "gzip"));
  EXPECT_FALSE(web::accepts_encoding("", "gzip"));
}

std::string gunzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 1000 + 65536, '\0');  // repetitive text packs tightly
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

class BigController {
 public:
  static constexpr std::string_view prefix = "/big";
  std::vector<std::string> list(web::Query<"n", int, web::Default{200}> n) {
    return std::vector<std::string>(static_cast<std::size_t>(*n), "a repeated line of text");
  }
  static constexpr auto routes() { return web::routes(web::get<"">(&BigController::list)); }
};

Task<void> compressed(net::SocketAddr addr) {
  RawResponse plain = co_await get(addr, req("GET", "/big"));
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  EXPECT_EQ(plain.headers["vary"], "Accept-Encoding");
  RawResponse packed = co_await get(addr, req("GET", "/big", "accept-encoding: gzip, br\r\n"));
  EXPECT_EQ(packed.headers["content-encoding"], "gzip");
  EXPECT_LT(packed.body.size(), plain.body.size() / 10);
  EXPECT_EQ(gunzip(packed.body), plain.body);
  RawResponse refused = co_await get(addr, req("GET", "/big", "accept-encoding: gzip;q=0\r\n"));
  EXPECT_EQ(refused.headers.count("content-encoding"), 0u);
  EXPECT_EQ(refused.body, plain.body);
  RawResponse small = co_await get(addr, req("GET", "/big?n=2", "accept-encoding: gzip\r\n"));
  EXPECT_EQ(small.headers.count("content-encoding"), 0u);  // under min_size
  EXPECT_EQ(small.body, R"(["a repeated line of text","a repeated line of text"])");
  RawResponse missing = co_await get(addr, req("GET", "/nothing", "accept-encoding: gzip\r\n"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers.count("content-encoding"), 0u);  // small JSON error bodies too
}

TEST(WebCompression, GzipForClientsThatAcceptIt) {
  web::Module m("BigModule");
  m.controller<BigController>();
  auto app = web::App::create(m);
  app->use(std::make_shared<web::Compression>());
  run_current(with_server_serving({}, app, compressed));
}

// ---- Observable routes: text/event-stream -----------------------------------------------

struct Tick {
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(Tick, (), (n))

class FeedController {
 public:
  static constexpr std::string_view prefix = "/feed";
  rx::Observable<web::MessageEvent> events() {
    web::MessageEvent a;
    a.data = "one";
    a.type = "greeting";
    a.id = "1";
    web::MessageEvent b;
    b.data = "two\nlines";
    return rx::of(a, b);
  }
  rx::Observable<Tick> ticks(web::Query<"n", int, web::Default{3}, web::Max{50}> n) {
    return rx::interval(std::chrono::milliseconds(1)) | rx::take(static_cast<std::size_t>(*n)) |
           rx::map([](long i) { return Tick{static_cast<int>(i)}; });
  }
  rx::Observable<std::string> failing() {
    return rx::concat<std::string>(
        {rx::of(std::string("before")),
         rx::throw_error<std::string>(std::runtime_error("source failed"))});
  }
  static constexpr auto routes() {
    return web::routes(web::get<"events">(&FeedController::events),
                       web::get<"ticks">(&FeedController::ticks),
                       web::get<"failing">(&FeedController::failing));
  }
};

Task<void> observable_routes(net::SocketAddr addr) {
  RawResponse e = co_await get(addr, req("GET", "/feed/events"));
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(e.headers["content-type"], "text/event-stream");
  EXPECT_NE(e.body.find("event: greeting\n"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("id: 1\n"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("data: one\n"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("data: two\ndata: lines\n\n"), std::string::npos) << e.body;
  EXPECT_LT(e.body.find("data: one"), e.body.find("data: two"));
  RawResponse t = co_await get(addr, req("GET", "/feed/ticks?n=3"));
  EXPECT_EQ(t.status, 200);
  EXPECT_EQ(t.body, "data: {\"n\":0}\n\ndata: {\"n\":1}\n\ndata: {\"n\":2}\n\n");
  RawResponse bad = co_await get(addr, req("GET", "/feed/ticks?n=99"));
  EXPECT_EQ(bad.status, 400);  // the pipes run before any stream starts
  RawResponse f = co_await get(addr, req("GET", "/feed/failing"));
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(f.body, "data: before\n\n");  // the error ends the stream; its text is not sent
}

TEST(WebSse, ObservableRoutesAnswerEventStreams) {
  web::Module m("FeedModule");
  m.controller<FeedController>();
  run_current(with_server_serving({}, web::App::create(m), observable_routes));
}

}  // namespace
