#include "strata/http/server.hpp"

#include <mutex>
#include <optional>
#include <vector>

#include "strata/http/h1/server_connection.hpp"
#include "strata/http/h2/server_connection.hpp"
#include "strata/rt/join_handle.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/sync/semaphore.hpp"
#include "strata/tls/stream.hpp"

namespace strata::http {

namespace detail {

// A connection in ServerState::live (the links and the waker are guarded by live_mu).
struct LiveLink {
  LiveLink* prev = nullptr;
  LiveLink* next = nullptr;
  Waker waker;                         // the connection's task
  std::atomic<bool> cancelled{false};  // read by the task without the lock
  bool linked = false;                 // read and written by the task only
};

// A listening socket, and the TLS context of its connections (none: plaintext).
struct Listener {
  net::TcpListener socket;
  std::optional<tls::ServerContext> tls;
};

struct ServerState {
  ServerConfig config;
  std::vector<Listener> listeners;
  std::uint32_t per_address = 0;  // listeners bound per address (one per worker by default)
  net::SocketAddr local;
  std::shared_ptr<Service> service;

  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> grace_ns{0};
  sync::Notify drain_signal;  // wakes the accept loops and serve()
  sync::Notify all_closed;    // the last connection is gone
  sync::Semaphore slots;      // max_connections

  std::atomic<std::uint64_t> accepted{0}, active{0}, requests{0}, bad_requests{0}, timeouts{0};
  std::atomic<std::uint64_t> tls_handshakes{0}, tls_resumed{0}, tls_failures{0};
  std::atomic<std::uint64_t> tls_active{0}, h2_active{0};  // of `active`

  // Live connections (a circular list through their leases, guarded by live_mu): shutdown()
  // wakes them, and serve() cancels what is left when the grace period ends.
  std::mutex live_mu;
  LiveLink live;
  bool cancelling = false;  // the grace period is over: a connection not yet listed ends at once

  // Wakes every live connection; `cancel`: each ends at its next poll (what abort() does).
  void wake_live(bool cancel) {
    std::lock_guard lock(live_mu);
    if (cancel) cancelling = true;
    for (LiveLink* l = live.next; l != &live; l = l->next) {
      if (cancel) l->cancelled.store(true, std::memory_order_release);
      l->waker.wake_by_ref();
    }
  }

  // What every connection borrows (points into this object).
  h1::ConnectionContext ctx;

  explicit ServerState(ServerConfig c) : config(std::move(c)), slots(config.max_connections) {
    live.prev = live.next = &live;
    ctx.config = &config;
    ctx.shutdown = &drain_signal;  // for run(); our connections are woken through `live`
    ctx.draining = &draining;
    ctx.requests = &requests;
    ctx.bad_requests = &bad_requests;
    ctx.timeouts = &timeouts;
    ctx.detect_h2_preface = config.http2.enabled;
  }
};

}  // namespace detail

namespace {

using detail::Listener;
using detail::ServerState;

// What a connection gives back when its task ends (normally or cancelled). It owns a strong
// reference to the server state and the connection slot, and releases them in a safe order:
// the slot first (the semaphore lives in the state), then the registration and the active
// count (whose last decrement lets serve() return and the Server be dropped), and the state
// reference last, so nothing here touches freed memory. Movable until linked (first poll).
struct ConnectionLease {
  enum Kind : std::uint8_t { over_tls = 1, speaks_h2 = 2 };
  std::shared_ptr<ServerState> st;
  detail::LiveLink link;
  std::uint8_t kinds = 0;  // Kind bits counted in st's tls_active / h2_active
  // Holds one permit of st->slots (forgotten here, given back by the destructor: a
  // SemaphorePermit would cost 16 bytes per idle connection).
  ConnectionLease(std::shared_ptr<ServerState> s, sync::SemaphorePermit p) : st(std::move(s)) {
    p.forget();
  }
  ConnectionLease(ConnectionLease&& o) noexcept : st(std::move(o.st)), kinds(o.kinds) {}
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ~ConnectionLease() {
    if (!st) return;  // moved from
    st->slots.add_permits(1);
    if (kinds & over_tls) st->tls_active.fetch_sub(1, std::memory_order_relaxed);
    if (kinds & speaks_h2) st->h2_active.fetch_sub(1, std::memory_order_relaxed);
    if (link.linked) {
      std::lock_guard lock(st->live_mu);
      link.prev->next = link.next;
      link.next->prev = link.prev;
    }
    if (st->active.fetch_sub(1, std::memory_order_acq_rel) == 1) st->all_closed.notify_waiters();
  }

  // Counts this connection as `kind` (once) until it ends.
  void count_as(Kind kind) {
    if (kinds & kind) return;
    kinds |= kind;
    (kind == over_tls ? st->tls_active : st->h2_active).fetch_add(1, std::memory_order_relaxed);
  }

  // Joins the live list with the task's waker (kept up to date); false: the server cancelled
  // this connection.
  bool check_in(const Waker& w) {
    if (!link.linked) {
      std::lock_guard lock(st->live_mu);
      if (st->cancelling) return false;
      link.waker = w;
      link.prev = &st->live;
      link.next = st->live.next;
      st->live.next->prev = &link;
      st->live.next = &link;
      link.linked = true;
      return true;
    }
    if (link.cancelled.load(std::memory_order_acquire)) return false;
    if (!link.waker.will_wake(w)) {  // only this task writes it: the unlocked read is safe
      std::lock_guard lock(st->live_mu);
      link.waker = w;
    }
    return true;
  }
};

// One connection's task: a hand-written future, so that the task's cell holds everything an
// idle connection needs (lease, stream, connection and its idle deadline) and no coroutine
// frame exists until bytes arrive (docs/http.md, "How a connection is served").
class TcpConnection {
 public:
  TcpConnection(std::shared_ptr<ServerState> st, net::TcpStream stream, sync::SemaphorePermit slot)
      : lease_(std::move(st), std::move(slot)),
        stream_(std::move(stream)),
        conn_(stream_, lease_.st->ctx, stream_.peer_addr()) {}
  // Only before the first poll (spawn() moves the future into the task's cell).
  TcpConnection(TcpConnection&& o) noexcept
      : lease_(std::move(o.lease_)),
        stream_(std::move(o.stream_)),
        conn_(stream_, lease_.st->ctx, stream_.peer_addr()) {}

  Poll<void> poll(Context& cx) {
    if (!lease_.check_in(cx.waker())) return ready;  // cancelled: dropping us closes
    if (h2_) return h2_->poll_serve(cx, h2::IoRef::of(stream_));
    if (conn_.poll_serve(cx).is_pending()) return pending;
    std::unique_ptr<h2::Upgrade> upgrade = conn_.take_h2_upgrade();
    if (!conn_.h2_preface() && !upgrade) return ready;
    // h2c with prior knowledge (the preface is still unread) or by Upgrade (the 101 is
    // written): HTTP/2 takes the connection.
    const ServerState& st = *lease_.st;
    h2_ = std::make_unique<h2::ServerConnection>(st.ctx, st.config.http2, stream_.peer_addr(),
                                                 nullptr);
    lease_.count_as(ConnectionLease::speaks_h2);
    if (upgrade) h2_->upgrade(std::move(*upgrade));
    return h2_->poll_serve(cx, h2::IoRef::of(stream_));
  }

 private:
  ConnectionLease lease_;  // first: released last
  net::TcpStream stream_;
  h1::ServerConnection<net::TcpStream> conn_;
  std::unique_ptr<h2::ServerConnection> h2_;  // once the client spoke HTTP/2
};

// A TLS connection's task: the handshake (under the context's deadline), then the same
// HTTP/1.1 connection as TcpConnection over the TlsStream.
class TlsConnection {
 public:
  using Stream = tls::TlsStream<net::TcpStream>;
  TlsConnection(std::shared_ptr<ServerState> st, net::TcpStream tcp, tls::Session session,
                sync::SemaphorePermit slot)
      : lease_(std::move(st), std::move(slot)),
        peer_(tcp.peer_addr()),
        stream_(std::move(tcp), std::move(session)),
        conn_(stream_, lease_.st->ctx, peer_) {}
  // Only before the first poll.
  TlsConnection(TlsConnection&& o) noexcept
      : lease_(std::move(o.lease_)),
        peer_(o.peer_),
        stream_(std::move(o.stream_)),
        conn_(stream_, lease_.st->ctx, peer_) {}

  Poll<void> poll(Context& cx) {
    if (!lease_.check_in(cx.waker())) return ready;
    if (!handshaken_) {
      if (!deadline_) {
        const Duration limit = stream_.session().handshake_timeout();
        deadline_.emplace(limit > Duration::zero() ? Clock::now() + limit : Instant::max());
      }
      Poll<Result<void>> h = stream_.poll_handshake(cx);
      if (h.is_pending()) {
        if (deadline_->poll(cx).is_pending()) return pending;
        lease_.st->tls_failures.fetch_add(1, std::memory_order_relaxed);
        lease_.st->timeouts.fetch_add(1, std::memory_order_relaxed);
        return ready;
      }
      if (!h.value()) {
        lease_.st->tls_failures.fetch_add(1, std::memory_order_relaxed);
        return ready;
      }
      handshaken_ = true;
      deadline_.reset();
      lease_.st->tls_handshakes.fetch_add(1, std::memory_order_relaxed);
      lease_.count_as(ConnectionLease::over_tls);
      if (stream_.session().resumed())
        lease_.st->tls_resumed.fetch_add(1, std::memory_order_relaxed);
      const ServerState& st = *lease_.st;
      if (st.config.http2.enabled && stream_.session().alpn() == "h2") {
        h2_ = std::make_unique<h2::ServerConnection>(st.ctx, st.config.http2, peer_,
                                                     &stream_.session());
        lease_.count_as(ConnectionLease::speaks_h2);
      }
    }
    if (h2_) return h2_->poll_serve(cx, h2::IoRef::of(stream_));
    return conn_.poll_serve(cx);
  }

 private:
  ConnectionLease lease_;  // first: released last
  net::SocketAddr peer_;
  Stream stream_;
  h1::ServerConnection<Stream> conn_;
  std::optional<Sleep> deadline_;             // the handshake's
  std::unique_ptr<h2::ServerConnection> h2_;  // ALPN agreed on h2
  bool handshaken_ = false;
};

// Accepts on one listener until the server drains.
Task<void> accept_loop(std::shared_ptr<ServerState> st, std::size_t index) {
  net::TcpListener& listener = st->listeners[index].socket;
  const std::optional<tls::ServerContext>& tls = st->listeners[index].tls;
  for (;;) {
    auto drained = st->drain_signal.notified();
    if (st->draining.load(std::memory_order_acquire)) co_return;
    auto slot = co_await select(st->slots.acquire(), std::move(drained));
    if (slot.index() != 0) co_return;
    Result<sync::SemaphorePermit> permit = std::move(std::get<0>(slot));
    if (!permit) co_return;
    auto drained2 = st->drain_signal.notified();
    if (st->draining.load(std::memory_order_acquire)) co_return;
    auto accepted = co_await select(listener.accept(), std::move(drained2));
    if (accepted.index() != 0) co_return;
    auto conn = std::move(std::get<0>(accepted));
    if (!conn) {
      // EMFILE/ENFILE/ENOBUFS: back off instead of spinning; the listener stays usable.
      co_await sleep(std::chrono::milliseconds(10));
      continue;
    }
    st->accepted.fetch_add(1, std::memory_order_relaxed);
    st->active.fetch_add(1, std::memory_order_relaxed);
    if (st->config.nodelay) (void)conn->first.set_nodelay(true);
    if (!tls) {
      (void)spawn(TcpConnection(st, std::move(conn->first), std::move(*permit)));  // detached
      continue;
    }
    Result<tls::Session> session = tls->new_session();
    if (!session) {  // out of memory in OpenSSL: refuse this one connection
      st->tls_failures.fetch_add(1, std::memory_order_relaxed);
      st->active.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    (void)spawn(TlsConnection(st, std::move(conn->first), std::move(*session), std::move(*permit)));
  }
}

// Binds `n` listeners on `addr` (SO_REUSEPORT when n > 1), listener i on worker i's reactor.
Result<net::SocketAddr> bind_listeners(ServerState& st, const net::SocketAddr& addr,
                                       std::optional<tls::ServerContext> tls) {
  const std::uint32_t n = st.per_address;
  net::ReuseOptions reuse;
  reuse.port = n > 1;
  net::SocketAddr at = addr;
  std::vector<Listener> bound;
  for (std::uint32_t i = 0; i < n; ++i) {
    // Listener i is polled by worker i: its accept loop, and the connections it accepts, are
    // woken there (per-worker reactors: docs/runtime.md).
    WorkerAffinity on_worker(i);
    Result<net::TcpListener> l = net::TcpListener::bind(at, st.config.backlog, reuse);
    if (!l) return std::unexpected(std::move(l).error());
    if (i == 0) {
      Result<net::SocketAddr> local = l->local_addr();
      if (!local) return std::unexpected(std::move(local).error());
      at = *local;  // port 0: the others join the port the kernel picked
    }
    bound.push_back(Listener{std::move(*l), tls});
  }
  for (Listener& l : bound) st.listeners.push_back(std::move(l));
  return at;
}

}  // namespace

Result<Server> Server::bind(const net::SocketAddr& addr, ServerConfig config) {
  auto st = std::make_shared<ServerState>(std::move(config));
  st->per_address = st->config.listeners ? st->config.listeners : worker_count();
  Result<net::SocketAddr> local = bind_listeners(*st, addr, std::nullopt);
  if (!local) return std::unexpected(std::move(local).error());
  st->local = *local;
  return Server(std::move(st));
}

Result<net::SocketAddr> Server::listen_tls(const net::SocketAddr& addr, tls::ServerContext ctx) {
  if (state_->service) {
    return fail(Errc::invalid_input, "http::Server::listen_tls: call it before serve()");
  }
  return bind_listeners(*state_, addr, std::move(ctx));
}

Server::Server(std::shared_ptr<detail::ServerState> s) noexcept : state_(std::move(s)) {}
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;
Server::~Server() = default;

net::SocketAddr Server::local_addr() const {
  return state_->local;
}

Task<Result<void>> Server::serve(std::shared_ptr<Service> service) {
  std::shared_ptr<ServerState> st = state_;
  if (!service) co_return fail(Errc::invalid_input, "http::Server::serve: no service");
  if (st->service) co_return fail(Errc::invalid_input, "http::Server::serve: called twice");
  st->service = std::move(service);
  st->ctx.service = st->service.get();
  std::vector<JoinHandle<void>> loops;
  for (std::size_t i = 0; i < st->listeners.size(); ++i) loops.push_back(spawn(accept_loop(st, i)));

  // Run until shutdown() starts draining.
  for (;;) {
    auto drained = st->drain_signal.notified();
    if (st->draining.load(std::memory_order_acquire)) break;
    co_await std::move(drained);
  }
  for (auto& l : loops) (void)co_await l;
  st->listeners.clear();  // refuse new connections at the kernel level too

  // Let in-flight requests finish until the grace period ends, then cancel the rest.
  const Instant deadline =
      Clock::now() + std::chrono::nanoseconds(st->grace_ns.load(std::memory_order_acquire));
  for (;;) {
    auto closed = st->all_closed.notified();
    if (st->active.load(std::memory_order_acquire) == 0) break;
    Result<void> r = co_await timeout_at(deadline, std::move(closed));
    if (!r) break;
  }
  if (st->active.load(std::memory_order_acquire) != 0) {
    st->wake_live(true);
    for (;;) {
      auto closed = st->all_closed.notified();
      if (st->active.load(std::memory_order_acquire) == 0) break;
      co_await std::move(closed);
    }
  }
  co_return Result<void>{};
}

void Server::shutdown(Duration grace) const {
  state_->grace_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count(),
                         std::memory_order_release);
  state_->draining.store(true, std::memory_order_release);
  state_->drain_signal.notify_waiters();
  state_->wake_live(false);  // idle connections see `draining` and close
}

ServerStats Server::stats() const {
  ServerStats s;
  s.connections_accepted = state_->accepted.load(std::memory_order_relaxed);
  s.connections_active = state_->active.load(std::memory_order_relaxed);
  s.requests = state_->requests.load(std::memory_order_relaxed);
  s.bad_requests = state_->bad_requests.load(std::memory_order_relaxed);
  s.timeouts = state_->timeouts.load(std::memory_order_relaxed);
  s.tls_handshakes = state_->tls_handshakes.load(std::memory_order_relaxed);
  s.tls_resumed = state_->tls_resumed.load(std::memory_order_relaxed);
  s.tls_handshake_failures = state_->tls_failures.load(std::memory_order_relaxed);
  s.connections_tls_active = state_->tls_active.load(std::memory_order_relaxed);
  s.connections_h2_active = state_->h2_active.load(std::memory_order_relaxed);
  return s;
}

}  // namespace strata::http
