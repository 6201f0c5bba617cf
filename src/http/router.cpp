#include "strata/http/router.hpp"

#include <stdexcept>
#include <string>

namespace strata::http {

namespace {

Task<Response> not_found(Request&) {
  co_return Response::error(StatusCode::not_found);
}

Task<Response> method_not_allowed(std::string_view allow) {
  Response r = Response::error(StatusCode::method_not_allowed);
  r.headers.append_view_unchecked(header::allow, allow);  // the tree outlives the response
  co_return r;
}

}  // namespace

Router& Router::route(const Method& method, std::string_view pattern, Handler handler) {
  if (!handler) throw std::invalid_argument("http::Router: empty handler");
  Result<void> r = tree_.insert(method.as_str(), pattern, std::move(handler));
  if (!r) {
    throw std::invalid_argument("http::Router: " + std::string(method.as_str()) + " " +
                                std::string(pattern) + ": " + r.error().message());
  }
  return *this;
}

Router& Router::fallback(Handler handler) {
  fallback_ = std::move(handler);
  return *this;
}

Task<Response> Router::handle(Request& req) {
  MatchResult<Handler> m = tree_.match(req.method.as_str(), req.path());
  switch (m.status()) {
    case MatchStatus::found:
      req.params = m.params();
      return m.value()(req);  // the handler's own task: no extra frame
    case MatchStatus::method_not_allowed:
      return method_not_allowed(m.allow());
    case MatchStatus::not_found:
      break;
  }
  return fallback_ ? fallback_(req) : not_found(req);
}

}  // namespace strata::http
