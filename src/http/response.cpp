#include "strata/http/response.hpp"

namespace strata::http {

namespace {
Response with_type(std::string body, std::string_view type) {
  Response r(StatusCode::ok, Body::from(std::move(body)));
  r.headers.append_view_unchecked(header::content_type, type);
  return r;
}
}  // namespace

Response Response::text(std::string body) {
  return with_type(std::move(body), "text/plain; charset=utf-8");
}

Response Response::text_static(std::string_view body) {
  Response r(StatusCode::ok, Body::from_static(body));
  r.headers.append_view_unchecked(header::content_type, "text/plain; charset=utf-8");
  return r;
}

Response Response::json(std::string body) {
  return with_type(std::move(body), "application/json");
}

Response Response::html(std::string body) {
  return with_type(std::move(body), "text/html; charset=utf-8");
}

Response Response::error(StatusCode status) {
  std::string message = std::to_string(status.as_u16());
  if (!status.reason().empty()) message.append(" ").append(status.reason());
  Response r = text(std::move(message));
  r.status = status;
  return r;
}

Response Response::redirect(StatusCode status, std::string_view location) {
  Response r(status);
  if (!r.headers.set(header::location, location)) {
    return error(StatusCode::internal_server_error);  // CR/LF in a location: never echo it
  }
  return r;
}

void Response::clear() noexcept {
  status = StatusCode::ok;
  version = Version::http_1_1;
  headers.clear();
  body.reset();
  on_upgrade = nullptr;
}

}  // namespace strata::http
