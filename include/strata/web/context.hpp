// web::Context: one request's passage through the framework — the request, the route it
// matched, and typed values that guards and interceptors leave for the handler (NestJS's
// ExecutionContext plus the request object's extra fields).
//
//   struct User { std::string name; };
//   class AuthGuard : public web::Guard {
//     Task<bool> can_activate(web::Context& ctx) override {
//       ctx.set(User{"ada"});                      // for the handler and later stages
//       co_return true;
//     }
//   };
//   // a handler: Task<Todo> create(web::Context& ctx) { const User* u = ctx.get<User>(); ... }
#pragma once

#include <any>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include "strata/http/method.hpp"
#include "strata/http/request.hpp"
#include "strata/http/status.hpp"
#include "strata/web/json.hpp"

namespace strata::web {

class Injector;

// What the framework knows about a route: for guards (roles), logs, metrics and OpenAPI.
struct RouteInfo {
  http::Method method;
  std::string pattern;             // full pattern, prefix included: "/todos/:id"
  std::string controller;          // "TodoController"
  std::string handler;             // "find" (from the route declaration; may be empty)
  std::vector<std::string> roles;  // `.roles("admin")`: read by role guards
  std::string summary;             // `.summary("...")`: OpenAPI
  http::StatusCode status = http::StatusCode::ok;  // the status of a value returned
  json::object openapi;  // this route's OpenAPI operation (parameters, body, responses)
};

class Context {
 public:
  Context(http::Request& req, const RouteInfo* route, Injector* injector) noexcept
      : request(req), route_(route), injector_(injector) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  http::Request& request;

  // The matched route, or null (middleware, 404/405).
  const RouteInfo* route() const noexcept { return route_; }
  // The module injector of the route's controller (request-scoped providers), or null.
  Injector* injector() const noexcept { return injector_; }

  // Typed per-request values: set replaces the value of that type.
  template <class T>
  void set(T value) {
    for (auto& [type, v] : values_)
      if (type == typeid(T)) {
        v = std::move(value);
        return;
      }
    values_.emplace_back(typeid(T), std::any(std::move(value)));
  }
  template <class T>
  T* get() noexcept {
    for (auto& [type, v] : values_)
      if (type == typeid(T)) return std::any_cast<T>(&v);
    return nullptr;
  }

  // The request body read by a Body<> extractor (or a stage that read it first).
  std::optional<std::string> body_text;

  // Request-scoped provider instances (di.hpp), keyed by provider.
  std::shared_ptr<void>* scoped(const void* key) noexcept {
    for (auto& [k, v] : scoped_)
      if (k == key) return &v;
    return nullptr;
  }
  void set_scoped(const void* key, std::shared_ptr<void> value) {
    scoped_.emplace_back(key, std::move(value));
  }

 private:
  const RouteInfo* route_;
  Injector* injector_;
  std::vector<std::pair<std::type_index, std::any>> values_;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> scoped_;
};

}  // namespace strata::web
