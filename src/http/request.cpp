#include "strata/http/request.hpp"

#include "strata/http/uri.hpp"

namespace strata::http {

Request::Request(Request&& o) noexcept
    : method(o.method),
      version(o.version),
      headers(std::move(o.headers)),
      body(std::move(o.body)),
      params(o.params),
      peer(o.peer),
      tls(o.tls),
      server_draining(o.server_draining) {
  if (o.target_.data() == o.owned_target_.data()) {
    owned_target_ = std::move(o.owned_target_);
    target_ = owned_target_;
    split_target();
  } else {
    target_ = o.target_, path_ = o.path_, query_ = o.query_;
  }
  o.clear();
}

Request& Request::operator=(Request&& o) noexcept {
  if (this != &o) {
    this->~Request();
    new (this) Request(std::move(o));
  }
  return *this;
}

std::optional<std::string> Request::query_param(std::string_view key) const {
  Result<std::optional<std::string>> v = QueryParams(query_, /*plus_as_space=*/true).get(key);
  if (!v) return std::nullopt;  // a malformed escape reads as absent
  return std::move(*v);
}

void Request::set_target(std::string_view target) {
  owned_target_.assign(target);
  target_ = owned_target_;
  split_target();
}

void Request::set_target_view(std::string_view target) noexcept {
  target_ = target;
  split_target();
}

void Request::split_target() noexcept {
  std::string_view t = target_;
  path_ = {}, query_ = {};
  if (t.empty()) return;
  if (t.front() != '/' && t != "*") {
    // Absolute form: skip "scheme://authority"; authority form has no path.
    std::size_t scheme = t.find("://");
    if (scheme == std::string_view::npos) return;
    std::size_t slash = t.find_first_of("/?", scheme + 3);
    if (slash == std::string_view::npos) {
      path_ = "/";
      return;
    }
    t.remove_prefix(slash);
    if (t.front() == '?') {
      path_ = "/";
      query_ = t.substr(1);
      return;
    }
  }
  std::size_t q = t.find('?');
  path_ = t.substr(0, q);
  if (q != std::string_view::npos) query_ = t.substr(q + 1);
}

void Request::clear() noexcept {
  method = Method::get;
  version = Version::http_1_1;
  headers.clear();
  body.reset();
  params = PathParams();
  peer = net::SocketAddr();
  tls = nullptr;
  server_draining = nullptr;
  owned_target_.clear();
  target_ = path_ = query_ = {};
}

}  // namespace strata::http
