// http::Request: a request as a server handler sees it, or as a client sends it.
//
//   Task<http::Response> show_user(http::Request& req) {
//     std::string_view id = req.params.get("id").value_or("");     // from the Router
//     std::optional<std::string_view> page = req.query_param("page");
//     if (auto agent = req.headers.get(http::header::user_agent)) log(*agent);
//     Result<std::string> body = co_await req.body.text(64 * 1024);
//     co_return http::Response::text("user " + std::string(id));
//   }
//
// On the server, the target and the header fields are views into the connection's read buffer
// (zero-copy): they are valid while the handler runs. Copy what must outlive the request
// (`std::string(req.path())`, `req.headers.make_owned()`). A client request owns its target
// (set_target() copies) and usually its headers.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "strata/http/body.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/method.hpp"
#include "strata/http/path_params.hpp"
#include "strata/http/version.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/tls/session.hpp"

namespace strata::http {

class Request {
 public:
  Request() = default;
  // A client request: copies the target ("/path?query" or an absolute URI).
  Request(Method m, std::string_view target) : method(m) { set_target(target); }
  Request(Request&&) noexcept;
  Request& operator=(Request&&) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  Method method = Method::get;
  Version version = Version::http_1_1;
  Headers headers;
  Body body;
  PathParams params;     // path parameters set by the Router (`:id`, `*rest`), raw (encoded)
  net::SocketAddr peer;  // the client's address (server side)
  // The TLS session the request arrived on (server side; null for plaintext): version, ALPN,
  // SNI name and, under mutual TLS, the client's verified certificate. Valid while the handler
  // runs.
  const tls::Session* tls = nullptr;
  // Set by the server (null elsewhere): true once it is shutting down. Long-lived responses
  // (server-sent events) end when they see it; the server wakes every connection when it flips.
  const std::atomic<bool>* server_draining = nullptr;

  // The request-target as sent (origin form "/a/b?x=1", absolute form, "*" or authority form).
  std::string_view target() const noexcept { return target_; }
  // The path of an origin-form target ("/a/b"), undecoded; for an absolute-form target, the
  // path part of the URI; "*" for asterisk form; empty for authority form.
  std::string_view path() const noexcept { return path_; }
  // The text after '?', undecoded (empty if none).
  std::string_view query() const noexcept { return query_; }
  // The first value of a query parameter, percent-decoded ('+' as space), or nullopt.
  std::optional<std::string> query_param(std::string_view key) const;

  // Copies `target` into the request.
  void set_target(std::string_view target);
  // Points at `target` without copying; it must outlive the request's use (server side).
  void set_target_view(std::string_view target) noexcept;

  // Resets everything for reuse, keeping capacity (a keep-alive connection reuses one).
  void clear() noexcept;

 private:
  void split_target() noexcept;

  std::string owned_target_;
  std::string_view target_;
  std::string_view path_;
  std::string_view query_;
};

}  // namespace strata::http
