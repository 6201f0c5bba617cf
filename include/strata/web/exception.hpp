// web::HttpException: an error a handler, guard or pipe throws to answer with a status, in
// NestJS's error shape. The framework catches it at the edge (exception filters, pipeline.hpp).
//
//   throw web::NotFoundException("Todo 42 not found");
//   // 404 {"statusCode":404,"message":"Todo 42 not found","error":"Not Found"}
//   throw web::BadRequestException(std::vector<std::string>{"title must be a string"});
//   // 400 {"statusCode":400,"message":["title must be a string"],"error":"Bad Request"}
//   throw web::ForbiddenException();
//   // 403 {"statusCode":403,"message":"Forbidden"}
//
// Any other exception becomes 500 {"statusCode":500,"message":"Internal server error"}, with the
// exception's text kept out of the response (it goes to the log).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "strata/http/status.hpp"
#include "strata/web/json.hpp"

namespace strata::web {

class HttpException : public std::runtime_error {
 public:
  // The body {"statusCode", "message": <reason phrase>}.
  explicit HttpException(http::StatusCode status);
  // The body {"statusCode", "message", "error": <reason phrase>}.
  HttpException(http::StatusCode status, std::string message);
  // The body {"statusCode", "message": [...], "error": <reason phrase>}.
  HttpException(http::StatusCode status, std::vector<std::string> messages);
  // A body of the caller's own shape (an object, usually).
  HttpException(http::StatusCode status, json::value body);

  http::StatusCode status() const noexcept { return status_; }
  const json::value& body() const noexcept { return body_; }

  // Header fields for the response (Retry-After, WWW-Authenticate, ...).
  HttpException& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }

 private:
  http::StatusCode status_;
  json::value body_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// The named subclasses NestJS users know; each takes nothing, a message or a message list.
#define STRATA_WEB_HTTP_EXCEPTION(Name, code)                           \
  class Name : public HttpException {                                   \
   public:                                                              \
    Name() : HttpException(http::StatusCode(code)) {}                   \
    explicit Name(std::string message)                                  \
        : HttpException(http::StatusCode(code), std::move(message)) {}  \
    explicit Name(std::vector<std::string> messages)                    \
        : HttpException(http::StatusCode(code), std::move(messages)) {} \
  };
STRATA_WEB_HTTP_EXCEPTION(BadRequestException, 400)
STRATA_WEB_HTTP_EXCEPTION(UnauthorizedException, 401)
STRATA_WEB_HTTP_EXCEPTION(ForbiddenException, 403)
STRATA_WEB_HTTP_EXCEPTION(NotFoundException, 404)
STRATA_WEB_HTTP_EXCEPTION(MethodNotAllowedException, 405)
STRATA_WEB_HTTP_EXCEPTION(NotAcceptableException, 406)
STRATA_WEB_HTTP_EXCEPTION(RequestTimeoutException, 408)
STRATA_WEB_HTTP_EXCEPTION(ConflictException, 409)
STRATA_WEB_HTTP_EXCEPTION(GoneException, 410)
STRATA_WEB_HTTP_EXCEPTION(PayloadTooLargeException, 413)
STRATA_WEB_HTTP_EXCEPTION(UnsupportedMediaTypeException, 415)
STRATA_WEB_HTTP_EXCEPTION(UnprocessableEntityException, 422)
STRATA_WEB_HTTP_EXCEPTION(TooManyRequestsException, 429)
STRATA_WEB_HTTP_EXCEPTION(InternalServerErrorException, 500)
STRATA_WEB_HTTP_EXCEPTION(NotImplementedException, 501)
STRATA_WEB_HTTP_EXCEPTION(ServiceUnavailableException, 503)
#undef STRATA_WEB_HTTP_EXCEPTION

}  // namespace strata::web
