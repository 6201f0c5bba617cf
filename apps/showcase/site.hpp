// The web site around the API: the plain-HTTP port's redirect, and the pages and assets.
//
// HttpsRedirect: on the plain port, HTTP/1.x requests get 308 to the same path on the HTTPS
// port (a browser typing localhost:8080 lands on https://localhost:8443); h2c (prior knowledge
// or Upgrade) is served as is, for tools such as `curl --http2-prior-knowledge` and h2load.
// Pages: GET/HEAD of `/` or of a file name (a last segment with a dot) outside /api, /chat and
// /todos is a file of the www folder, with ETag, Last-Modified, Range and 304s (http::StaticFiles,
// sent with sendfile on plain connections).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "strata/http.hpp"
#include "strata/web.hpp"

namespace showcase {

class HttpsRedirect : public strata::web::Middleware {
 public:
  explicit HttpsRedirect(std::uint16_t https_port) : https_port_(https_port) {}
  strata::Task<strata::http::Response> use(strata::http::Request& req,
                                           strata::web::MiddlewareNext next) override;

 private:
  std::uint16_t https_port_;
};

// Alt-Svc on responses over TLS: browsers learn that the same port number serves HTTP/3 over
// UDP and switch to it for later requests (RFC 7838).
class AdvertiseHttp3 : public strata::web::Middleware {
 public:
  explicit AdvertiseHttp3(std::uint16_t port)
      : value_("h3=\":" + std::to_string(port) + "\"; ma=86400") {}
  strata::Task<strata::http::Response> use(strata::http::Request& req,
                                           strata::web::MiddlewareNext next) override;

 private:
  std::string value_;
};

class Pages : public strata::web::Middleware {
 public:
  explicit Pages(const std::string& www_root);
  strata::Task<strata::http::Response> use(strata::http::Request& req,
                                           strata::web::MiddlewareNext next) override;

 private:
  strata::http::Router files_;
};

}  // namespace showcase
