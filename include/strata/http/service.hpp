// http::Service: what a server runs for each request, whatever the protocol. The HTTP/1.1
// connection calls it today; HTTP/2 streams, HTTP/3 and the framework plug into the same
// interface, so one Router or handler serves them all.
//
//   Task<http::Response> hello(http::Request& req) {
//     co_return http::Response::text("hello " + std::string(req.path()));
//   }
//   std::shared_ptr<http::Service> svc = http::service_fn(hello);   // or a http::Router
//
// Contract: handle() may be called concurrently from several connections and workers (a
// Service must be thread-safe for its own state); `req` and its body stay valid until the
// returned Task completes. A handler that throws is answered 500 and the connection closes.
#pragma once

#include <memory>
#include <utility>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/rt/task.hpp"

namespace strata::http {

// What a server runs for each request. Implementations: Router, service_fn().
class Service {
 public:
  virtual ~Service() = default;
  // Answers one request. A throw answers 500; a request body that breaks (bad framing, over
  // the limit, too slow) is answered 400/413/408 by the connection whatever the handler
  // returns; both close the connection.
  virtual Task<Response> handle(Request& req) = 0;
};

// Wraps a callable `Task<Response>(Request&)` (function, lambda object, ...) as a Service. The
// callable is stored in the service, so a lambda's captures live as long as the server.
template <class F>
class FnService final : public Service {
 public:
  explicit FnService(F f) : f_(std::move(f)) {}
  Task<Response> handle(Request& req) override { return f_(req); }

 private:
  F f_;
};
template <class F>
std::shared_ptr<Service> service_fn(F f) {
  return std::make_shared<FnService<F>>(std::move(f));
}

}  // namespace strata::http
