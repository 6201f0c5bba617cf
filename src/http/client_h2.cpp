// http::Client over HTTP/2: the per-origin h2 connections (H2Pool) and one exchange on them.
//
// An origin's protocol is unknown until its first TLS handshake (ALPN) or, for h2c with prior
// knowledge, known up front. The first request connects through ConnPool (so that connecting,
// TLS, session resumption and the counters are the HTTP/1.1 path's) while later ones wait on
// H2Origin::settled; an h2 connection is then taken out of ConnPool and shared through H2Pool,
// an http/1.1 one carries this request as usual and the origin is marked h1 for good.
#include "client_conn.hpp"

namespace strata::http::detail {
namespace {

// Errors after which a request sent on a lost connection may be sent again (idempotent only).
bool is_loss(const Error& e) {
  return e == Errc::closed || e == std::errc::connection_reset || e == std::errc::broken_pipe ||
         e == std::errc::connection_aborted || e == tls::TlsErrc::unexpected_eof;
}

// Ends a connect attempt for an origin: publishes the connection (or the h1 mark) and wakes
// the requests that waited. An attempt dropped mid-way (timeout, abort) settles with nothing.
class Connecting {
 public:
  Connecting(H2Pool& p, H2Origin& o) noexcept : pool_(p), origin_(o) {}
  Connecting(const Connecting&) = delete;
  Connecting& operator=(const Connecting&) = delete;
  ~Connecting() { settle(nullptr, false); }
  void settle(std::shared_ptr<h2::ClientConnection> conn, bool h1) {
    if (done_) return;
    done_ = true;
    std::lock_guard lock(pool_.m);
    origin_.connecting = false;
    if (conn) origin_.conns.push_back(std::move(conn));
    if (h1) origin_.h1 = true;
    origin_.settled.notify_waiters();
  }

 private:
  H2Pool& pool_;
  H2Origin& origin_;
  bool done_ = false;
};

// The Client's HTTP/2 settings; its connections idle out like pooled ones.
h2::ClientSettings h2_settings(const ClientConfig& cfg) {
  h2::ClientSettings s = cfg.http2;
  s.idle_timeout = cfg.pool_idle_timeout;
  return s;
}

// A caller's Host field becomes :authority (RFC 9113 §8.3.1; the field itself is not sent).
// 100-continue follows the HTTP/1.1 path's rules (continue_wait).
h2::SendOptions send_options(const ClientConfig& cfg, const Request& req, const Target& t,
                             const ExchangeOptions& o) {
  h2::SendOptions s;
  s.scheme = t.scheme;
  s.authority = req.headers.get(header::host).value_or(t.host_header);
  s.expect_continue = continue_wait(cfg, req, h1::request_framing(req), o.expect_continue);
  s.path = t.path_and_query;
  s.read_timeout = cfg.read_timeout;
  s.deadline = o.deadline;
  s.max_body_bytes = cfg.max_body_bytes;
  return s;
}

// One request on `conn`; the flags say when another connection may be tried.
Task<Attempt> send_on(std::shared_ptr<h2::ClientConnection> conn, Request& req,
                      h2::SendOptions so) {
  Result<Response> r = co_await conn->send(req, so);
  if (r) co_return Attempt(std::move(r));
  Error e = std::move(r).error();
  const bool refused = e == h2::ErrorCode::refused_stream;
  const bool lost = is_loss(e);
  if (e == Errc::closed)
    e = Error(make_error_code(ClientErrc::connection_closed), std::string(e.context()));
  co_return Attempt(std::unexpected(std::move(e)), lost, refused);
}

}  // namespace

bool tries_h2(const ClientConfig& cfg, const Target& t) noexcept {
  if (cfg.protocol == ClientProtocol::http1_only) return false;
  return t.tls || cfg.protocol == ClientProtocol::http2_prior_knowledge;
}

Task<std::optional<Attempt>> h2_exchange(std::shared_ptr<ClientShared> sh, Request& req,
                                         const Target& t, ExchangeOptions o, ConnKey key,
                                         std::optional<ConnLease>& fresh) {
  const ClientConfig& cfg = sh->config;
  for (;;) {
    std::shared_ptr<h2::ClientConnection> conn;
    H2Origin* origin = nullptr;
    std::optional<sync::Notify::Notified> wait;
    {
      std::lock_guard lock(sh->h2.m);
      std::unique_ptr<H2Origin>& slot = sh->h2.origins[key];
      if (!slot) slot = std::make_unique<H2Origin>();
      origin = slot.get();
      if (origin->h1) co_return std::nullopt;
      std::erase_if(origin->conns, [](const auto& c) { return !c->is_usable(); });
      if (!origin->conns.empty()) {
        conn = origin->conns.back();
      } else if (origin->connecting) {
        wait.emplace(origin->settled.notified());  // before the lock drops: no missed wake
      } else {
        origin->connecting = true;
      }
    }
    if (conn) {
      sh->requests.fetch_add(1, std::memory_order_relaxed);
      sh->reused.fetch_add(1, std::memory_order_relaxed);
      co_return co_await send_on(std::move(conn), req, send_options(cfg, req, t, o));
    }
    if (wait) {
      co_await std::move(*wait);
      continue;
    }

    // This request connects for the origin.
    Connecting connecting(sh->h2, *origin);
    Result<ConnLease> lease = co_await sh->pool.acquire(key);
    if (!lease) co_return Attempt(std::unexpected(std::move(lease).error()));
    if (!(*lease)->h2 && key.tls) {
      connecting.settle(nullptr, true);  // http/1.1 by ALPN: this request uses it
      fresh.emplace(std::move(*lease));
      co_return std::nullopt;
    }
    ClientConn c = std::move(*lease).detach();
    Result<std::shared_ptr<h2::ClientConnection>> made =
        co_await h2::ClientConnection::handshake(std::move(c.stream), h2_settings(cfg));
    if (!made) co_return Attempt(std::unexpected(std::move(made).error()));
    sh->h2_opened.fetch_add(1, std::memory_order_relaxed);
    sh->requests.fetch_add(1, std::memory_order_relaxed);
    conn = *made;
    connecting.settle(std::move(*made), false);
    co_return co_await send_on(std::move(conn), req, send_options(cfg, req, t, o));
  }
}

}  // namespace strata::http::detail
