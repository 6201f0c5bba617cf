#include "strata/web/reply.hpp"

namespace strata::web {

http::Response Reply::into_response(http::StatusCode fallback) && {
  http::Response resp;
  if (raw) {
    resp = std::move(*raw);
    if (status) resp.status = *status;
  } else {
    resp.status = status.value_or(fallback);
    if (has_body) {
      resp = http::Response::json(json::serialize(body));
      resp.status = status.value_or(fallback);
    }
  }
  for (const auto& field : headers) (void)resp.headers.append(field.name, field.value);
  return resp;
}

}  // namespace strata::web
