// http::Response: what a handler returns (server) or what a request yields (client).
//
//   co_return http::Response::text("Hello, World!");              // 200, text/plain
//   co_return http::Response::json(R"({"message":"Hello, World!"})");
//   http::Response r(http::StatusCode::created);
//   r.headers.set(http::header::location, "/users/42");            // validated: no injection
//   co_return r;
//
// The server adds Date, Content-Length / Transfer-Encoding and Connection itself; a
// Content-Length or Transfer-Encoding field set by the handler is ignored for whole-bytes
// bodies (the server knows the length) and honoured for streamed ones (a promised length).
#pragma once

#include <string>
#include <string_view>

#include "strata/http/body.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/status.hpp"
#include "strata/http/upgrade.hpp"
#include "strata/http/version.hpp"

namespace strata::http {

class Response {
 public:
  Response() = default;
  explicit Response(StatusCode s) noexcept : status(s) {}
  Response(StatusCode s, Body b) noexcept : status(s), body(std::move(b)) {}
  Response(Response&&) noexcept = default;
  Response& operator=(Response&&) noexcept = default;

  // 200 with a text/plain; charset=utf-8 body (copied).
  static Response text(std::string body);
  // 200, text/plain, from text that outlives the response (literals): no copy.
  static Response text_static(std::string_view body);
  // 200 with an application/json body (copied).
  static Response json(std::string body);
  // 200 with a text/html; charset=utf-8 body (copied).
  static Response html(std::string body);
  // `status` with its reason phrase as a text/plain body ("404 Not Found").
  static Response error(StatusCode status);
  // A redirect (301/302/303/307/308) to `location`.
  static Response redirect(StatusCode status, std::string_view location);

  StatusCode status = StatusCode::ok;
  Version version = Version::http_1_1;
  Headers headers;
  Body body;
  // With status 101 to a request that asked to upgrade: takes the connection over once the
  // 101 is written (see upgrade.hpp).
  UpgradeHandler on_upgrade;

  void clear() noexcept;
};

}  // namespace strata::http
