#include "strata/web/cors.hpp"

#include <algorithm>

namespace strata::web {

namespace {
std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) {
    if (!s.empty()) s += ", ";
    s += i;
  }
  return s;
}
}  // namespace

Cors::Cors(CorsConfig config) : config_(std::move(config)) {
  methods_text_ = join(config_.methods);
  allowed_headers_text_ = join(config_.allowed_headers);
  exposed_headers_text_ = join(config_.exposed_headers);
  any_origin_ =
      std::find(config_.origins.begin(), config_.origins.end(), "*") != config_.origins.end();
}

bool Cors::origin_allowed(std::string_view origin) const noexcept {
  return any_origin_ ||
         std::find(config_.origins.begin(), config_.origins.end(), origin) != config_.origins.end();
}

bool Cors::method_allowed(std::string_view method) const noexcept {
  return std::find(config_.methods.begin(), config_.methods.end(), method) != config_.methods.end();
}

void Cors::decorate(http::Response& r, std::string_view origin) const {
  if (any_origin_ && !config_.credentials) {
    (void)r.headers.set("access-control-allow-origin", "*");
  } else {
    (void)r.headers.set("access-control-allow-origin", origin);
    (void)r.headers.append("vary", "Origin");
  }
  if (config_.credentials) (void)r.headers.set("access-control-allow-credentials", "true");
}

Task<http::Response> Cors::use(http::Request& req, MiddlewareNext next) {
  std::optional<std::string_view> origin = req.headers.get("origin");
  if (!origin) co_return co_await next.run();
  std::string origin_copy(*origin);  // the request's views may not outlive the handler
  std::optional<std::string_view> wanted = req.headers.get("access-control-request-method");
  if (req.method == http::Method::options && wanted) {
    http::Response r(http::StatusCode::no_content);
    if (origin_allowed(origin_copy)) {
      decorate(r, origin_copy);
      (void)r.headers.set("access-control-allow-methods", methods_text_);
      if (!allowed_headers_text_.empty()) {
        (void)r.headers.set("access-control-allow-headers", allowed_headers_text_);
      } else if (auto h = req.headers.get("access-control-request-headers")) {
        (void)r.headers.set("access-control-allow-headers", *h);
        (void)r.headers.append("vary", "Access-Control-Request-Headers");
      }
      (void)r.headers.set("access-control-max-age", std::to_string(config_.max_age.count()));
    }
    co_return r;
  }
  bool allowed = origin_allowed(origin_copy) && method_allowed(req.method.as_str());
  http::Response r = co_await next.run();
  if (allowed) {
    decorate(r, origin_copy);
    if (!exposed_headers_text_.empty())
      (void)r.headers.set("access-control-expose-headers", exposed_headers_text_);
  }
  co_return r;
}

}  // namespace strata::web
