#include "strata/web/extract.hpp"

#include <string>

#include "strata/http/uri.hpp"
#include "strata/web/controller.hpp"
#include "strata/web/exception.hpp"

namespace strata::web {

Form parse_form(std::string_view text) {
  Form form;
  for (const http::QueryParam& p : http::QueryParams(text, /*plus_as_space=*/true)) {
    Result<std::string> k = p.key();
    Result<std::string> v = p.value();
    if (!k || !v) throw BadRequestException("malformed application/x-www-form-urlencoded body");
    form.fields.emplace_back(std::move(*k), std::move(*v));
  }
  return form;
}

namespace detail {

std::optional<std::string> path_param(const http::Request& req, std::string_view name) {
  std::optional<std::string_view> raw = req.params.get(name);
  if (!raw) return std::nullopt;
  std::string out;
  if (!http::percent_decode(*raw, out, {.reject_nul = true}))
    throw BadRequestException("malformed percent-encoding in path parameter " + std::string(name));
  return out;
}

std::optional<std::string_view> cookie(const http::Request& req, std::string_view name) {
  for (std::string_view header : req.headers.get_all("cookie")) {
    while (!header.empty()) {
      std::size_t semi = header.find(';');
      std::string_view pair = header.substr(0, semi);
      header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return std::nullopt;
}

json::value parse_json_body(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    throw BadRequestException(text.empty() ? std::string("request body must be JSON")
                                           : "malformed JSON in request body: " + ec.message());
  }
  return v;
}

void throw_body_error(std::error_code ec, std::size_t limit) {
  if (ec == std::errc::message_size)
    throw PayloadTooLargeException("request body larger than " + std::to_string(limit) + " bytes");
  throw BadRequestException("request body could not be read: " + ec.message());
}

std::vector<std::string> split_csv(std::string_view csv) {
  std::vector<std::string> out;
  while (!csv.empty()) {
    std::size_t comma = csv.find(',');
    std::string_view item = csv.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    csv = comma == std::string_view::npos ? std::string_view{} : csv.substr(comma + 1);
  }
  return out;
}

http::Method method_of(Verb v) {
  switch (v) {
    case Verb::get:
      return http::Method::get;
    case Verb::post:
      return http::Method::post;
    case Verb::put:
      return http::Method::put;
    case Verb::patch:
      return http::Method::patch;
    case Verb::delete_:
      return http::Method::delete_;
    case Verb::head:
      return http::Method::head;
    case Verb::options:
      return http::Method::options;
  }
  return http::Method::get;
}

std::string openapi_path(std::string_view pattern) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if ((c == ':' || c == '*') && i > 0 && pattern[i - 1] == '/') {
      std::size_t j = pattern.find('/', i);
      if (j == std::string_view::npos) j = pattern.size();
      out += '{';
      out += pattern.substr(i + 1, j - i - 1);
      out += '}';
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace detail
}  // namespace strata::web
