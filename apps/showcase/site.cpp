// The redirect and the pages (site.hpp).
#include "site.hpp"

#include <chrono>

namespace showcase {

using namespace strata;

namespace {

// The host name of a Host field value, without its port ("[::1]:8080" -> "[::1]").
std::string_view host_without_port(std::string_view host) {
  if (host.starts_with('[')) {
    const std::size_t end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(0, end + 1);
  }
  return host.substr(0, host.find(':'));
}

bool is_page_path(std::string_view path) {
  if (path == "/") return true;
  for (std::string_view api : {"/api/", "/chat/", "/todos", "/openapi.json", "/metrics"})
    if (path.starts_with(api)) return false;
  const std::string_view last = path.substr(path.rfind('/') + 1);
  return last.find('.') != std::string_view::npos;
}

}  // namespace

Task<http::Response> HttpsRedirect::use(http::Request& req, web::MiddlewareNext next) {
  if (req.tls || req.version >= http::Version::http_2) co_return co_await next.run();
  std::string_view host = host_without_port(req.headers.get("host").value_or("localhost"));
  if (host.empty()) host = "localhost";
  std::string location = "https://" + std::string(host) + ":" + std::to_string(https_port_);
  location += req.target();
  http::Response r = http::Response::redirect(http::StatusCode::permanent_redirect, location);
  co_return r;
}

Task<http::Response> AdvertiseHttp3::use(http::Request& req, web::MiddlewareNext next) {
  http::Response r = co_await next.run();
  if (req.tls && !r.headers.get("alt-svc")) (void)r.headers.append("alt-svc", value_);
  co_return r;
}

Pages::Pages(const std::string& www_root) {
  http::StaticFilesOptions options;
  options.cache_control = "no-cache";  // revalidate with the ETag: edits show at once
  files_.get("/*path", http::StaticFiles(www_root, options));
}

Task<http::Response> Pages::use(http::Request& req, web::MiddlewareNext next) {
  const bool read = req.method == http::Method::get || req.method == http::Method::head;
  if (!read || !is_page_path(req.path())) co_return co_await next.run();
  co_return co_await files_.handle(req);
}

}  // namespace showcase
