#include "strata/web/exception.hpp"

#include <string>

namespace strata::web {

namespace {
std::string what_of(http::StatusCode s, std::string_view message) {
  return std::to_string(s.as_u16()) + " " + std::string(message);
}
}  // namespace

HttpException::HttpException(http::StatusCode status)
    : std::runtime_error(what_of(status, status.reason())), status_(status) {
  body_ = json::object{{"statusCode", status.as_u16()}, {"message", status.reason()}};
}

HttpException::HttpException(http::StatusCode status, std::string message)
    : std::runtime_error(what_of(status, message)), status_(status) {
  body_ = json::object{
      {"statusCode", status.as_u16()}, {"message", message}, {"error", status.reason()}};
}

HttpException::HttpException(http::StatusCode status, std::vector<std::string> messages)
    : std::runtime_error(what_of(status, messages.empty() ? status.reason() : messages.front())),
      status_(status) {
  json::array list;
  list.reserve(messages.size());
  for (auto& m : messages) list.emplace_back(m);
  body_ = json::object{
      {"statusCode", status.as_u16()}, {"message", std::move(list)}, {"error", status.reason()}};
}

HttpException::HttpException(http::StatusCode status, json::value body)
    : std::runtime_error(what_of(status, status.reason())),
      status_(status),
      body_(std::move(body)) {}

}  // namespace strata::web
