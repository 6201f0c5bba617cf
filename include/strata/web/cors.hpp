// web::Cors: Cross-Origin Resource Sharing as middleware — preflights answered before routing,
// Access-Control-Allow-Origin on allowed requests (the `cors` package's behaviour).
//
//   web::CorsConfig reads;                                 // public reads
//   reads.origins = {"*"};
//   reads.methods = {"GET", "HEAD"};
//   app->use(std::make_shared<web::Cors>(reads));
//   web::CorsConfig site;                                  // one origin, with cookies
//   site.origins = {"https://app.example"};
//   site.credentials = true;
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) gets 204 with the allowed
// methods and headers when the origin is allowed (else 204 without them: the browser refuses).
// Other requests from an allowed origin with an allowed method get Access-Control-Allow-Origin
// (the origin itself, with Vary: Origin, unless origins is {"*"} without credentials).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "strata/web/pipeline.hpp"

namespace strata::web {

struct CorsConfig {
  std::vector<std::string> origins{"*"};  // "*" or exact origins
  std::vector<std::string> methods{"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"};
  std::vector<std::string> allowed_headers;  // empty: echo Access-Control-Request-Headers
  std::vector<std::string> exposed_headers;
  bool credentials = false;
  std::chrono::seconds max_age{600};
};

class Cors final : public Middleware {
 public:
  explicit Cors(CorsConfig config = {});
  Task<http::Response> use(http::Request& req, MiddlewareNext next) override;

 private:
  bool origin_allowed(std::string_view origin) const noexcept;
  bool method_allowed(std::string_view method) const noexcept;
  void decorate(http::Response& r, std::string_view origin) const;

  CorsConfig config_;
  std::string methods_text_, allowed_headers_text_, exposed_headers_text_;
  bool any_origin_ = false;
};

}  // namespace strata::web
