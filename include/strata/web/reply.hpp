// web::Reply: what a handler answered, before it becomes an http::Response — so interceptors
// can map the value (an envelope, a cache) and filters can replace it.
//
//   web::Reply r = web::Reply::json(todo, http::StatusCode::created);
//   (void)r.headers.set("location", "/todos/7");
//   web::Reply none = web::Reply::empty();                  // 204, no body
//   web::Reply raw = web::Reply::response(http::Response::text("hi"));
//
// A handler may return a Reply, an http::Response, void, or any value web::to_json accepts
// (directly or from a Task); values get the route's status (GET 200, POST 201, `.code(n)`).
#pragma once

#include <optional>

#include "strata/http/headers.hpp"
#include "strata/http/response.hpp"
#include "strata/http/status.hpp"
#include "strata/web/json.hpp"

namespace strata::web {

class Reply {
 public:
  Reply() = default;
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept = default;

  // A JSON body from any value web::to_json accepts.
  template <class T>
  static Reply json(const T& value, std::optional<http::StatusCode> status = std::nullopt) {
    Reply r;
    r.body = to_json(value);
    r.has_body = true;
    r.status = status;
    return r;
  }
  // No body (204 unless a status is given).
  static Reply empty(http::StatusCode status = http::StatusCode::no_content) {
    Reply r;
    r.status = status;
    return r;
  }
  // A complete response, passed through untouched (headers here are added to it).
  static Reply response(http::Response resp) {
    Reply r;
    r.raw = std::move(resp);
    return r;
  }

  std::optional<http::StatusCode> status;  // unset: the route's default status
  http::Headers headers;                   // added to the response
  json::value body;                        // serialised when has_body
  bool has_body = false;
  std::optional<http::Response> raw;

  // The response for the wire; `fallback` is the status when none was set.
  http::Response into_response(http::StatusCode fallback) &&;
};

}  // namespace strata::web
