// http::Router: dispatches requests to handlers by method and path (a radix tree: static
// segments, `:param` and `*wildcard`), answering 404 and 405 (with Allow) itself.
//
//   http::Router router;
//   router.get("/plaintext", [](http::Request&) -> Task<http::Response> {
//           co_return http::Response::text_static("Hello, World!");
//         })
//       .get("/users/:id", show_user)                 // req.params.get("id")
//       .post("/users", create_user)
//       .get("/static/*path", http::StaticFiles("/var/www"));
//   auto server = http::Server::bind(*net::SocketAddr::parse("127.0.0.1:8080"));
//   co_await server->serve(std::make_shared<http::Router>(std::move(router)));
//
// Rules (see route_tree.hpp): static > :param > *wildcard, trailing slashes are significant,
// HEAD is served by the GET handler when no HEAD route exists (the server sends no body), and a
// path that exists for other methods answers 405 with `Allow`. Adding a route that conflicts
// with an existing one throws std::invalid_argument: route tables are built at start-up, and a
// conflict there is a programming error to report at once.
#pragma once

#include <functional>
#include <string_view>

#include "strata/http/method.hpp"
#include "strata/http/route_tree.hpp"
#include "strata/http/service.hpp"

namespace strata::http {

class Router final : public Service {
 public:
  // A handler; its captures live as long as the router.
  using Handler = std::function<Task<Response>(Request&)>;

  Router() = default;
  Router(Router&&) noexcept = default;
  Router& operator=(Router&&) noexcept = default;

  // Adds a route; throws std::invalid_argument for an invalid or conflicting pattern.
  Router& route(const Method& method, std::string_view pattern, Handler handler);
  Router& get(std::string_view p, Handler h) { return route(Method::get, p, std::move(h)); }
  Router& head(std::string_view p, Handler h) { return route(Method::head, p, std::move(h)); }
  Router& post(std::string_view p, Handler h) { return route(Method::post, p, std::move(h)); }
  Router& put(std::string_view p, Handler h) { return route(Method::put, p, std::move(h)); }
  Router& patch(std::string_view p, Handler h) { return route(Method::patch, p, std::move(h)); }
  Router& delete_(std::string_view p, Handler h) { return route(Method::delete_, p, std::move(h)); }
  Router& options(std::string_view p, Handler h) { return route(Method::options, p, std::move(h)); }
  // The handler for paths no route matches (default: 404 Not Found).
  Router& fallback(Handler handler);

  // Routes one request: sets req.params and runs the matching handler.
  Task<Response> handle(Request& req) override;

  std::size_t size() const noexcept { return tree_.size(); }

 private:
  RouteTree<Handler> tree_;
  Handler fallback_;
};

}  // namespace strata::http
