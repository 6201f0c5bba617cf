// Controllers: a class groups routes under a prefix; each route is declared next to its
// handler, and the handler's parameter types say what it takes (extract.hpp). Everything is
// checked at compile time: a parameter that is not an extractor, a Param<"x"> whose `:x` is
// not in the route's pattern, or two bodies do not compile, with a message saying why.
//
//   class TodoController {
//    public:
//     static constexpr std::string_view prefix = "/todos";
//     using inject = web::Inject<TodoService>;                     // constructor injection
//     using guards = web::Use<>;                                   // controller-wide stages
//     explicit TodoController(std::shared_ptr<TodoService> s) : todos_(std::move(s)) {}
//
//     Task<std::vector<Todo>> list(web::Query<"limit", int, web::Default{20}> limit);
//     Todo find(web::Param<"id", std::int64_t, web::Min{1}> id);   // sync handlers too
//     Task<web::Reply> create(web::Body<CreateTodo> dto);
//     rx::Observable<Todo> changes();                               // SSE (web/sse.hpp)
//
//     static constexpr auto routes() {
//       return web::routes(
//           web::get<"">(&TodoController::list, "list"),
//           web::get<":id">(&TodoController::find, "find"),
//           web::post<"">(&TodoController::create, "create").guards<TodoAuthGuard>());
//     }
//    private:
//     std::shared_ptr<TodoService> todos_;
//   };
//
// Route options: `.guards<G...>()`, `.interceptors<I...>()`, `.filters<F...>()` (stage types,
// built by DI from the controller's module), `.code(204)` (the status of a returned value;
// default 201 for POST, else 200), `.roles("admin,editor")`, `.summary("...")` (OpenAPI).
// Controller-wide stages: member types `using guards = web::Use<G...>;`, `interceptors`,
// `filters`.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/http/method.hpp"
#include "strata/rt/task.hpp"
#include "strata/web/context.hpp"
#include "strata/web/detail/fixed_string.hpp"
#include "strata/web/di.hpp"
#include "strata/web/exception.hpp"
#include "strata/web/extract.hpp"
#include "strata/web/openapi.hpp"
#include "strata/web/pipeline.hpp"
#include "strata/web/reply.hpp"
#include "strata/web/sse.hpp"

namespace strata::web {

// A list of stage types (guards, interceptors, filters).
template <class... T>
struct Use {};

enum class Verb : std::uint8_t { get, post, put, patch, delete_, head, options };

template <detail::FixedString Path, class F, class Guards = Use<>, class Interceptors = Use<>,
          class Filters = Use<>>
struct Route {
  static constexpr std::string_view path = Path.view();
  using Fn = F;
  using guard_types = Guards;
  using interceptor_types = Interceptors;
  using filter_types = Filters;

  Verb verb;
  F fn;
  std::string_view name;
  int status = 0;  // 0: by verb
  std::string_view roles_csv;
  std::string_view summary_text;

  template <class... G>
  constexpr auto guards() const {
    return rebind<Append<Guards, G...>, Interceptors, Filters>();
  }
  template <class... I>
  constexpr auto interceptors() const {
    return rebind<Guards, Append<Interceptors, I...>, Filters>();
  }
  template <class... X>
  constexpr auto filters() const {
    return rebind<Guards, Interceptors, Append<Filters, X...>>();
  }
  constexpr Route code(int s) const {
    Route r = *this;
    r.status = s;
    return r;
  }
  constexpr Route roles(std::string_view csv) const {
    Route r = *this;
    r.roles_csv = csv;
    return r;
  }
  constexpr Route summary(std::string_view s) const {
    Route r = *this;
    r.summary_text = s;
    return r;
  }

 private:
  template <class L, class... T>
  struct AppendT;
  template <class... A, class... T>
  struct AppendT<Use<A...>, T...> {
    using type = Use<A..., T...>;
  };
  template <class L, class... T>
  using Append = typename AppendT<L, T...>::type;
  template <class G2, class I2, class X2>
  constexpr auto rebind() const {
    return Route<Path, F, G2, I2, X2>{verb, fn, name, status, roles_csv, summary_text};
  }
};

#define STRATA_WEB_VERB(fname, v)                                    \
  template <detail::FixedString Path, class F>                       \
  constexpr Route<Path, F> fname(F fn, std::string_view name = {}) { \
    return {Verb::v, fn, name, 0, {}, {}};                           \
  }
STRATA_WEB_VERB(get, get)
STRATA_WEB_VERB(post, post)
STRATA_WEB_VERB(put, put)
STRATA_WEB_VERB(patch, patch)
STRATA_WEB_VERB(delete_, delete_)
STRATA_WEB_VERB(head, head)
STRATA_WEB_VERB(options, options)
#undef STRATA_WEB_VERB

template <class... R>
constexpr std::tuple<R...> routes(R... r) {
  return {r...};
}

namespace detail {

// One mounted route, as the App runs it.
struct BoundRoute {
  RouteInfo info;
  std::vector<std::shared_ptr<Guard>> guards;  // controller, then route (global ones added)
  std::vector<std::shared_ptr<Interceptor>> interceptors;
  std::vector<std::shared_ptr<ExceptionFilter>> filters;  // route first, then controller
  std::function<Task<Reply>(Context&)> invoke;
  Injector* injector = nullptr;
  bool reads_body = false;
};

// Where mounted routes go (the App).
class RouteSink {
 public:
  virtual ~RouteSink() = default;
  virtual void add_route(std::shared_ptr<BoundRoute> route) = 0;
  virtual std::size_t body_limit() const noexcept = 0;
};

template <class F>
struct MemFn;
#define STRATA_WEB_MEMFN(quals)           \
  template <class C, class R, class... A> \
  struct MemFn<R (C::*)(A...) quals> {    \
    using Class = C;                      \
    using Ret = R;                        \
    using Args = Use<A...>;               \
  };
STRATA_WEB_MEMFN()
STRATA_WEB_MEMFN(const)
STRATA_WEB_MEMFN(noexcept)
STRATA_WEB_MEMFN(const noexcept)
#undef STRATA_WEB_MEMFN

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {
  using value_type = T;
};

constexpr std::string join_pattern(std::string_view prefix, std::string_view path) {
  std::string s(prefix);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty()) {
    s += '/';
    s += path;
  }
  if (s.empty() || s.front() != '/') s.insert(s.begin(), '/');
  return s;
}

constexpr bool pattern_has_param(std::string_view pattern, std::string_view name) {
  std::size_t i = 0;
  while (i < pattern.size()) {
    std::size_t j = pattern.find('/', i);
    if (j == std::string_view::npos) j = pattern.size();
    std::string_view seg = pattern.substr(i, j - i);
    if (seg.size() > 1 && (seg[0] == ':' || seg[0] == '*') && seg.substr(1) == name) return true;
    i = j + 1;
  }
  return false;
}

template <class A>
constexpr bool param_in_pattern(std::string_view pattern) {
  if constexpr (IsParam<std::remove_cvref_t<A>>::value)
    return pattern_has_param(pattern, std::remove_cvref_t<A>::name);
  else
    return true;
}

// A handler argument while it is being built.
template <class A>
struct Slot {
  using V = std::remove_cvref_t<A>;
  V value;
  static Slot make(Context& ctx, Violations& out) {
    if constexpr (IsSharedPtr<V>::value) {
      return {ctx.injector()->template get<typename V::element_type>(&ctx)};
    } else {
      return {V::extract(ctx, out)};
    }
  }
  V&& get() noexcept { return std::move(value); }
};
template <>
struct Slot<http::Request&> {
  http::Request* value;
  static Slot make(Context& ctx, Violations&) { return {&ctx.request}; }
  http::Request& get() noexcept { return *value; }
};
template <>
struct Slot<const http::Request&> : Slot<http::Request&> {
  static Slot make(Context& ctx, Violations&) { return {{&ctx.request}}; }
};
template <>
struct Slot<Context&> {
  Context* value;
  static Slot make(Context& ctx, Violations&) { return {&ctx}; }
  Context& get() noexcept { return *value; }
};

template <class X>
Reply to_reply(X&& x, http::StatusCode status, const Context& ctx) {
  using V = std::remove_cvref_t<X>;
  if constexpr (std::is_same_v<V, Reply>) {
    if (!x.status) x.status = status;
    return std::move(x);
  } else if constexpr (std::is_same_v<V, http::Response>) {
    return Reply::response(std::move(x));
  } else if constexpr (IsObservable<V>::value) {
    return Reply::response(sse_response(ctx.request, x));
  } else {
    return Reply::json(x, status);
  }
}

[[noreturn]] void throw_body_error(std::error_code ec, std::size_t limit);

template <class C, class F, class... A>
Task<Reply> invoke_handler(C* self, F fn, Context& ctx, http::StatusCode status,
                           std::size_t body_limit) {
  if constexpr ((IsBody<std::remove_cvref_t<A>>::value || ...)) {
    if (!ctx.body_text) {
      Result<std::string> text = co_await ctx.request.body.text(body_limit);
      if (!text) throw_body_error(text.error().code(), body_limit);
      ctx.body_text = std::move(*text);
    }
  }
  Violations violations;
  std::tuple<Slot<A>...> args{Slot<A>::make(ctx, violations)...};  // left to right
  if (!violations.empty()) throw BadRequestException(violations.take());
  using R = std::invoke_result_t<F, C*, A...>;
  auto call = [&]() -> R {
    return std::apply([&](auto&... s) -> R { return (self->*fn)(s.get()...); }, args);
  };
  if constexpr (IsTask<R>::value) {
    using X = typename IsTask<R>::value_type;
    if constexpr (std::is_void_v<X>) {
      co_await call();
      co_return Reply::empty(status);
    } else {
      X x = co_await call();
      co_return to_reply(std::move(x), status, ctx);
    }
  } else if constexpr (std::is_void_v<R>) {
    call();
    co_return Reply::empty(status);
  } else {
    co_return to_reply(call(), status, ctx);
  }
}

// OpenAPI parameter objects for the handler's arguments.
template <class A>
void describe_arg(json::array& params, json::object& op) {
  using V = std::remove_cvref_t<A>;
  auto add = [&](std::string_view in, std::string_view name, json::object schema, bool required) {
    params.push_back(json::object{
        {"name", name}, {"in", in}, {"required", required}, {"schema", std::move(schema)}});
  };
  if constexpr (requires { V::openapi_in; }) {
    add(V::openapi_in, V::name, V::openapi_schema(), V::openapi_required);
  } else if constexpr (IsBody<V>::value) {
    using T = std::remove_cvref_t<decltype(std::declval<V&>().value)>;
    std::string_view type = std::is_same_v<T, std::string> ? "text/plain"
                            : std::is_same_v<T, Form>      ? "application/x-www-form-urlencoded"
                                                           : "application/json";
    op["requestBody"] =
        json::object{{"required", true},
                     {"content", json::object{{type, json::object{{"schema", schema_of<T>()}}}}}};
  }
}

template <class Stage>
std::shared_ptr<Stage> make_stage(Injector& in) {
  return in.has(typeid(Stage)) ? in.get<Stage>() : in.make<Stage>();
}

template <class Base, class... S>
void make_stages(Injector& in, Use<S...>, std::vector<std::shared_ptr<Base>>& out) {
  static_assert((std::is_base_of_v<Base, S> && ...),
                "a stage type must derive from web::Guard, web::Interceptor or "
                "web::ExceptionFilter, as its list says");
  (out.push_back(make_stage<S>(in)), ...);
}

std::vector<std::string> split_csv(std::string_view csv);
http::Method method_of(Verb v);
std::string openapi_path(std::string_view pattern);  // "/todos/:id" -> "/todos/{id}"

template <class C, class R, class... A>
void mount_route(std::shared_ptr<C> self, const R& r, Use<A...>, Injector& in, RouteSink& sink) {
  static_assert((Extractable<A> && ...),
                "a route handler's parameters must be extractors: web::Param<>, web::Query<>, "
                "web::Body<>, web::Header<>, web::Cookie<>, http::Request&, web::Context&, "
                "std::shared_ptr<Provider>, or a type with "
                "`static T extract(web::Context&, web::Violations&)`");
  static_assert((static_cast<int>(IsBody<std::remove_cvref_t<A>>::value) + ... + 0) <= 1,
                "a route handler takes at most one web::Body<>");
  auto route = std::make_shared<BoundRoute>();
  route->info.method = method_of(r.verb);
  route->info.pattern = join_pattern(C::prefix, R::path);
  route->info.controller = std::string(type_name<C>());
  route->info.handler = std::string(r.name);
  route->info.roles = split_csv(r.roles_csv);
  route->info.summary = std::string(r.summary_text);
  int code = r.status ? r.status : (r.verb == Verb::post ? 201 : 200);
  route->info.status = http::StatusCode(static_cast<std::uint16_t>(code));
  route->injector = &in;
  route->reads_body = (IsBody<std::remove_cvref_t<A>>::value || ...);

  if constexpr (requires { typename C::guards; })
    make_stages<Guard>(in, typename C::guards{}, route->guards);
  make_stages<Guard>(in, typename R::guard_types{}, route->guards);
  if constexpr (requires { typename C::interceptors; })
    make_stages<Interceptor>(in, typename C::interceptors{}, route->interceptors);
  make_stages<Interceptor>(in, typename R::interceptor_types{}, route->interceptors);
  make_stages<ExceptionFilter>(in, typename R::filter_types{}, route->filters);
  if constexpr (requires { typename C::filters; })
    make_stages<ExceptionFilter>(in, typename C::filters{}, route->filters);

  json::array params;
  json::object op;
  (describe_arg<A>(params, op), ...);
  if (!params.empty()) op["parameters"] = std::move(params);
  if (!route->info.handler.empty()) op["operationId"] = route->info.handler;
  if (!route->info.summary.empty()) op["summary"] = route->info.summary;
  op["tags"] = json::array{json::value(route->info.controller)};
  json::object responses;
  responses[std::to_string(code)] = json::object{{"description", route->info.status.reason()}};
  if (sizeof...(A) > 0) responses["400"] = json::object{{"description", "Bad Request"}};
  op["responses"] = std::move(responses);
  route->info.openapi = std::move(op);

  auto fn = r.fn;
  http::StatusCode status = route->info.status;
  std::size_t limit = sink.body_limit();
  route->invoke = [self = std::move(self), fn, status, limit](Context& ctx) {
    return invoke_handler<C, decltype(fn), A...>(self.get(), fn, ctx, status, limit);
  };
  sink.add_route(std::move(route));
}

// Checks a route's Param<> names against its pattern at compile time (prefix and path apart:
// no std::string in a constant expression, which clang with libstdc++ 12 refuses).
template <class C, class R, class... A>
constexpr bool check_route(Use<A...>) {
  return ((param_in_pattern<A>(C::prefix) || param_in_pattern<A>(R::path)) && ...);
}

template <class C>
void mount_controller(Injector& in, RouteSink& sink, std::vector<std::string>& chain) {
  static_assert(
      requires { C::prefix; },
      "a controller declares `static constexpr std::string_view prefix = \"/...\";`");
  static_assert(
      requires { C::routes(); },
      "a controller declares `static constexpr auto routes() { return web::routes(...); }`");
  std::shared_ptr<C> self = Injector::construct<C>(in, nullptr, chain);
  constexpr auto rs = C::routes();
  std::apply(
      [&](const auto&... r) {
        (
            [&](const auto& route) {
              using R = std::remove_cvref_t<decltype(route)>;
              using M = MemFn<typename R::Fn>;
              static_assert(std::is_base_of_v<typename M::Class, C>,
                            "a route's handler must be a member function of its controller");
              static_assert(check_route<C, R>(typename M::Args{}),
                            "a web::Param<\"name\"> of this handler has no `:name` segment in the "
                            "route's pattern (controller prefix + route path)");
              mount_route<C>(self, route, typename M::Args{}, in, sink);
            }(r),
            ...);
      },
      rs);
}

}  // namespace detail

}  // namespace strata::web
