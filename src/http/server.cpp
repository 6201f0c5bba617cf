#include "strata/http/server.hpp"

#include <mutex>
#include <unordered_map>
#include <vector>

#include "strata/http/h1/server_connection.hpp"
#include "strata/rt/join_handle.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/sync/semaphore.hpp"

namespace strata::http {

namespace detail {

struct ServerState {
  ServerConfig config;
  std::vector<net::TcpListener> listeners;
  net::SocketAddr local;
  std::shared_ptr<Service> service;

  std::atomic<bool> draining{false};
  std::atomic<std::int64_t> grace_ns{0};
  sync::Notify drain_signal;  // wakes accept loops, idle connections and serve()
  sync::Notify all_closed;    // the last connection is gone
  sync::Semaphore slots;      // max_connections

  std::atomic<std::uint64_t> accepted{0}, active{0}, requests{0}, bad_requests{0}, timeouts{0};

  // Live connection tasks, to cancel what is left when the grace period ends.
  std::mutex live_mu;
  std::unordered_map<std::uint64_t, JoinHandle<void>> live;
  std::uint64_t next_id = 0;

  // What every connection borrows (points into this object).
  h1::ConnectionContext ctx;

  explicit ServerState(ServerConfig c) : config(std::move(c)), slots(config.max_connections) {
    ctx.config = &config;
    ctx.shutdown = &drain_signal;
    ctx.draining = &draining;
    ctx.requests = &requests;
    ctx.bad_requests = &bad_requests;
    ctx.timeouts = &timeouts;
  }
};

}  // namespace detail

namespace {

using detail::ServerState;

// What a connection gives back when its task ends (normally or cancelled). It owns a strong
// reference to the server state and the connection slot, and releases them in a safe order:
// the slot first (the semaphore lives in the state), then the registration and the active
// count (whose last decrement lets serve() return and the Server be dropped), and the state
// reference last, so nothing here touches freed memory. (Coroutine parameters would be
// destroyed after the body's locals in an order we do not control: hence a local.)
struct ConnectionLease {
  std::shared_ptr<ServerState> st;
  sync::SemaphorePermit permit;
  std::uint64_t id;
  ConnectionLease(std::shared_ptr<ServerState> s, sync::SemaphorePermit p, std::uint64_t i)
      : st(std::move(s)), permit(std::move(p)), id(i) {}
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  ~ConnectionLease() {
    permit.release();
    {
      std::lock_guard lock(st->live_mu);
      st->live.erase(id);
    }
    if (st->active.fetch_sub(1, std::memory_order_acq_rel) == 1) st->all_closed.notify_waiters();
  }
};

// One connection's task: serves it, then gives its lease back (even when cancelled).
Task<void> serve_tcp(std::shared_ptr<ServerState> state, net::TcpStream stream,
                     net::SocketAddr peer, sync::SemaphorePermit slot, std::uint64_t id) {
  ConnectionLease lease(std::move(state), std::move(slot), id);
  ServerState& st = *lease.st;
  if (st.config.nodelay) (void)stream.set_nodelay(true);
  h1::ServerConnection<net::TcpStream> conn(stream, st.ctx, peer);
  co_await conn.run();
}

// Accepts on one listener until the server drains.
Task<void> accept_loop(std::shared_ptr<ServerState> st, std::size_t index) {
  net::TcpListener& listener = st->listeners[index];
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
    std::lock_guard lock(st->live_mu);
    const std::uint64_t id = st->next_id++;
    st->live.emplace(
        id, spawn(serve_tcp(st, std::move(conn->first), conn->second, std::move(*permit), id)));
  }
}

}  // namespace

Result<Server> Server::bind(const net::SocketAddr& addr, ServerConfig config) {
  auto st = std::make_shared<ServerState>(std::move(config));
  const std::uint32_t n = st->config.listeners ? st->config.listeners : worker_count();
  net::ReuseOptions reuse;
  reuse.port = n > 1;
  net::SocketAddr at = addr;
  for (std::uint32_t i = 0; i < n; ++i) {
    // Listener i is polled by worker i: its accept loop, and the connections it accepts, are
    // woken there (per-worker reactors: docs/runtime.md).
    WorkerAffinity on_worker(i);
    Result<net::TcpListener> l = net::TcpListener::bind(at, st->config.backlog, reuse);
    if (!l) return std::unexpected(std::move(l).error());
    if (i == 0) {
      Result<net::SocketAddr> local = l->local_addr();
      if (!local) return std::unexpected(std::move(local).error());
      st->local = *local;
      at = *local;  // port 0: the others join the port the kernel picked
    }
    st->listeners.push_back(std::move(*l));
  }
  return Server(std::move(st));
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
    {
      std::lock_guard lock(st->live_mu);
      for (auto& [id, task] : st->live) task.abort();
    }
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
}

ServerStats Server::stats() const {
  ServerStats s;
  s.connections_accepted = state_->accepted.load(std::memory_order_relaxed);
  s.connections_active = state_->active.load(std::memory_order_relaxed);
  s.requests = state_->requests.load(std::memory_order_relaxed);
  s.bad_requests = state_->bad_requests.load(std::memory_order_relaxed);
  s.timeouts = state_->timeouts.load(std::memory_order_relaxed);
  return s;
}

}  // namespace strata::http
