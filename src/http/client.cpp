// http::Client: the builder, URL handling, redirects and the stale-connection retry around one
// exchange (src/http/client_exchange.cpp).
#include "strata/http/client.hpp"

#include <algorithm>

#include "client_conn.hpp"
#include "strata/http/uri.hpp"

namespace strata::http {
namespace {

class ClientCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.client"; }
  std::string message(int c) const override {
    switch (static_cast<ClientErrc>(c)) {
      case ClientErrc::invalid_url:
        return "not an absolute http(s) URL";
      case ClientErrc::unsupported_scheme:
        return "unsupported URL scheme (only http and https)";
      case ClientErrc::too_many_redirects:
        return "too many redirects";
      case ClientErrc::invalid_redirect:
        return "redirect Location is not a valid URL";
      case ClientErrc::connection_closed:
        return "connection closed before the response was complete";
      case ClientErrc::body_length_mismatch:
        return "request body does not match its Content-Length";
    }
    return "unknown http client error";
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + ('a' - 'A'));
  }
  return out;
}

// Largest redirect body read (and discarded) to keep its connection; beyond it, it is closed.
constexpr std::uint64_t redirect_drain_limit = 64 * 1024;

Task<void> drain_small(Body& body) {
  std::uint64_t left = redirect_drain_limit;
  for (;;) {
    Result<io::BufferView> chunk = co_await body.next();
    if (!chunk || chunk->empty() || chunk->size() > left) co_return;
    left -= chunk->size();
  }
}

bool replayable(const Body& b) noexcept {
  return b.kind() == Body::Kind::empty || b.kind() == Body::Kind::bytes;
}

bool is_redirect(StatusCode s) noexcept {
  const auto c = s.as_u16();
  return c == 301 || c == 302 || c == 303 || c == 307 || c == 308;
}

// Retries of a request that an HTTP/2 server refused without processing it.
constexpr int max_refused_retries = 3;

// One exchange, retried once on a fresh connection when a reused one turned out stale (or, up
// to max_refused_retries times, when an HTTP/2 server refused it unprocessed).
Task<Result<Response>> send_with_retry(std::shared_ptr<detail::ClientShared> sh, Request& req,
                                       const detail::Target& t, detail::ExchangeOptions o) {
  for (int attempt = 0;; ++attempt) {
    detail::Attempt a = co_await detail::exchange(sh, req, t, o);
    const bool stale =
        a.stale && attempt == 0 && sh->config.retry_stale_connections && req.method.is_idempotent();
    const bool refused = a.refused && attempt < max_refused_retries;
    const bool retry = !a.response && (stale || refused) && replayable(req.body);
    if (!retry) co_return std::move(a.response);
    sh->stale_retries.fetch_add(1, std::memory_order_relaxed);
  }
}

// Sends `req` to `url`, following redirects per the configuration.
Task<Result<Response>> follow(std::shared_ptr<detail::ClientShared> sh, Request req,
                              std::string url, detail::ExchangeOptions o) {
  const ClientConfig& cfg = sh->config;
  Result<detail::Target> target = detail::parse_target(url);
  if (!target) co_return std::unexpected(std::move(target).error());
  if (!cfg.user_agent.empty() && !req.headers.contains(header::user_agent)) {
    (void)req.headers.append(header::user_agent, cfg.user_agent);
  }
  for (int redirects = 0;; ++redirects) {
    Result<Response> r = co_await send_with_retry(sh, req, *target, o);
    if (!r || !cfg.follow_redirects || !is_redirect(r->status)) co_return std::move(r);
    std::optional<std::string_view> location = r->headers.get(header::location);
    if (!location) co_return std::move(r);
    const auto code = r->status.as_u16();
    const bool keeps_method = code == 307 || code == 308;
    if (keeps_method && !replayable(req.body))
      co_return std::move(r);  // a stream cannot be sent again
    if (redirects >= cfg.max_redirects) {
      co_return detail::fail_client(
          ClientErrc::too_many_redirects,
          "http redirect " + std::to_string(redirects + 1) + " to " + std::string(*location));
    }
    Result<std::string> next_url = detail::resolve_reference(*target, *location);
    if (!next_url) co_return std::unexpected(std::move(next_url).error());
    Result<detail::Target> next = detail::parse_target(*next_url);
    if (!next) co_return std::unexpected(std::move(next).error());
    co_await drain_small(r->body);
    r = Result<Response>();  // the connection goes back to the pool (or closes) now

    if (!keeps_method && req.method != Method::head) {
      req.method = Method::get;
      req.body.reset();
      req.headers.remove(header::content_type);
      req.headers.remove(header::content_length);
      req.headers.remove(header::transfer_encoding);
      req.headers.remove(header::expect);  // no 100-continue without a body (RFC 9110 §10.1.1)
    }
    if (!detail::same_origin(*target, *next)) {
      req.headers.remove(header::authorization);
      req.headers.remove(header::proxy_authorization);
      req.headers.remove(header::cookie);
      req.headers.remove(header::host);
    }
    target = std::move(next);
  }
}

Task<Result<Response>> send_request(std::shared_ptr<detail::ClientShared> sh, Request req,
                                    std::string url, std::optional<Duration> per_request,
                                    std::optional<Duration> expect_continue) {
  detail::ExchangeOptions o;
  o.expect_continue = expect_continue;
  const Duration limit = per_request.value_or(sh->config.request_timeout);
  if (limit <= Duration::zero()) {
    co_return co_await follow(std::move(sh), std::move(req), std::move(url), o);
  }
  o.deadline = Clock::now() + limit;
  Result<Result<Response>> r =
      co_await timeout_at(*o.deadline, follow(std::move(sh), std::move(req), url, o));
  if (!r) co_return fail(Errc::timed_out, "http request " + url);
  co_return std::move(*r);
}

Task<Result<Response>> failed(Error e) {
  co_return std::unexpected(std::move(e));
}

bool is_scheme_char(char c, bool first) noexcept {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// Whether `ref` starts with "scheme:" (an absolute URI rather than a relative reference).
bool has_scheme(std::string_view ref) noexcept {
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (ref[i] == ':') return i > 0;
    if (!is_scheme_char(ref[i], i == 0)) return false;
  }
  return false;
}

}  // namespace

const std::error_category& client_category() noexcept {
  static const ClientCategory c;
  return c;
}

namespace detail {
namespace {

// The TLS configuration with the ALPN list the protocol choice asks for.
tls::ClientConfig alpn_for(const ClientConfig& c) {
  tls::ClientConfig t = c.tls;
  if (t.alpn.empty()) t.alpn = default_client_tls().alpn;
  if (c.protocol == ClientProtocol::http1_only) std::erase(t.alpn, std::string("h2"));
  return t;
}

}  // namespace

ClientShared::ClientShared(ClientConfig c)
    : config(std::move(c)),
      opened(std::make_shared<std::atomic<std::uint64_t>>(0)),
      pool(ConnManager{config.connect_timeout, opened,
                       std::make_shared<TlsContextCell>(alpn_for(config), config.tls_context)},
           [this] {
             net::KeyedPoolConfig k;
             k.per_key.max_size = std::max<std::size_t>(config.max_connections_per_host, 1);
             k.per_key.max_idle = config.max_idle_per_host;
             k.per_key.idle_timeout = config.pool_idle_timeout;
             k.per_key.acquire_timeout = config.pool_acquire_timeout;
             k.max_total = std::max<std::size_t>(config.max_connections_total, 1);
             return k;
           }()) {}

Result<tls::ClientContext> TlsContextCell::get() {
  std::call_once(once_, [this] {
    if (ctx_) return;
    Result<tls::ClientContext> made = tls::ClientContext::create(config_);
    if (made) {
      ctx_ = std::move(*made);
    } else {
      error_ = std::move(made).error();
    }
  });
  if (ctx_) return *ctx_;
  return std::unexpected(*error_);
}

Result<Target> parse_target(std::string_view url) {
  Result<Uri> u = Uri::parse(url);
  if (!u) return fail(Error(u.error().code(), "http url " + std::string(url)));
  Target t;
  t.scheme = lower(u->scheme());
  if (t.scheme != "http" && t.scheme != "https")
    return detail::fail_client(ClientErrc::unsupported_scheme, "http url " + std::string(url));
  t.tls = t.scheme == "https";
  const std::uint16_t default_port = t.tls ? 443 : 80;
  if (u->has_userinfo() || u->host().empty()) {
    return detail::fail_client(ClientErrc::invalid_url, "http url " + std::string(url));
  }
  t.url = std::string(url);
  t.host = lower(u->host());
  t.port = u->port().value_or(default_port);
  t.authority = t.host + ":" + std::to_string(t.port);
  t.host_header = t.port == default_port ? t.host : t.authority;
  if (u->path().empty()) {
    t.path_and_query = "/";
    if (u->has_query()) {
      t.path_and_query += '?';
      t.path_and_query += u->query();
    }
  } else {
    t.path_and_query = std::string(u->path_and_query());
  }
  return t;
}

Result<std::string> resolve_reference(const Target& base, std::string_view loc) {
  auto invalid = [&] {
    return detail::fail_client(ClientErrc::invalid_redirect,
                               "http redirect to " + std::string(loc));
  };
  if (has_scheme(loc)) return std::string(loc);
  if (loc.starts_with("//")) return base.scheme + ":" + std::string(loc);
  const std::string origin = base.scheme + "://" + base.host_header;
  // Split the reference into path and the rest ("?query#fragment").
  const std::size_t rest_at = std::min(loc.find('?'), loc.find('#'));
  std::string_view path = loc.substr(0, std::min(rest_at, loc.size()));
  std::string_view rest = rest_at == std::string_view::npos ? "" : loc.substr(rest_at);
  std::string_view base_path = base.path_and_query;
  base_path = base_path.substr(0, std::min(base_path.find('?'), base_path.size()));
  std::string merged;
  if (path.empty()) {
    merged = base_path;
    if (rest.empty() || rest.front() == '#') {  // same document: keep the base query
      merged = base.path_and_query;
      return origin + merged;
    }
  } else if (path.front() == '/') {
    merged = path;
  } else {
    merged = base_path.substr(0, base_path.rfind('/') + 1);
    merged += path;
  }
  std::string normal;
  if (!normalize_path(merged, normal)) return invalid();
  return origin + normal + std::string(rest);
}

bool same_origin(const Target& a, const Target& b) noexcept {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

}  // namespace detail

RequestBuilder::RequestBuilder(std::shared_ptr<detail::ClientShared> s, Method m,
                               std::string_view url)
    : shared_(std::move(s)), url_(url) {
  request_.method = m;
}

RequestBuilder& RequestBuilder::header(std::string_view name, std::string_view value) & {
  Result<void> r = request_.headers.append(name, value);
  if (!r && !error_) error_ = Error(r.error().code(), "http header " + std::string(name));
  return *this;
}

RequestBuilder& RequestBuilder::query(std::string_view key, std::string_view value) & {
  const std::size_t hash = url_.find('#');
  std::string fragment;
  if (hash != std::string::npos) {
    fragment = url_.substr(hash);
    url_.resize(hash);
  }
  url_ += url_.find('?') == std::string::npos ? '?' : '&';
  percent_encode(key, url_, EncodeSet::unreserved);
  url_ += '=';
  percent_encode(value, url_, EncodeSet::unreserved);
  url_ += fragment;
  return *this;
}

RequestBuilder& RequestBuilder::timeout(Duration d) & {
  timeout_ = d;
  return *this;
}

RequestBuilder& RequestBuilder::expect_continue() & {
  expect_continue_ = shared_ ? shared_->config.expect_continue_timeout : Duration::zero();
  return *this;
}

RequestBuilder& RequestBuilder::expect_continue(Duration wait) & {
  expect_continue_ = wait;
  return *this;
}

RequestBuilder& RequestBuilder::body(std::string bytes) & {
  request_.body = Body::from(std::move(bytes));
  return *this;
}

RequestBuilder& RequestBuilder::body(Body b) & {
  request_.body = std::move(b);
  return *this;
}

RequestBuilder& RequestBuilder::json(std::string text) & {
  (void)request_.headers.set(header::content_type, "application/json");
  return body(std::move(text));
}

Task<Result<Response>> RequestBuilder::send() {
  if (error_) return failed(*std::exchange(error_, std::nullopt));
  if (!shared_)
    return failed(
        Error(make_error_code(ClientErrc::invalid_url), "http request: builder already sent"));
  return send_request(std::move(shared_), std::move(request_), std::move(url_), timeout_,
                      expect_continue_);
}

Client::Client() : Client(ClientConfig{}) {}

Client::Client(ClientConfig config)
    : shared_(std::make_shared<detail::ClientShared>(std::move(config))) {}

RequestBuilder Client::request(Method m, std::string_view url) const {
  return RequestBuilder(shared_, m, url);
}

Task<Result<Response>> Client::execute(Request req) const {
  std::string url(req.target());
  return send_request(shared_, std::move(req), std::move(url), std::nullopt, std::nullopt);
}

const ClientConfig& Client::config() const noexcept {
  return shared_->config;
}

ClientStats Client::stats() const noexcept {
  ClientStats s;
  s.requests = shared_->requests.load(std::memory_order_relaxed);
  s.connections_opened = shared_->opened->load(std::memory_order_relaxed);
  s.connections_reused = shared_->reused.load(std::memory_order_relaxed);
  s.stale_retries = shared_->stale_retries.load(std::memory_order_relaxed);
  s.http2_connections = shared_->h2_opened.load(std::memory_order_relaxed);
  return s;
}

std::size_t Client::open_connections() const noexcept {
  return shared_->pool.total_size() + shared_->h2.open();
}

}  // namespace strata::http
