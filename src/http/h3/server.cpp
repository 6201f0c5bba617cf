#include "strata/http/h3/server.hpp"

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "connection.hpp"
#include "strata/net/udp_socket.hpp"

namespace strata::http::h3 {

namespace detail {

// The endpoint's state: the socket, what the connections share, and what shutdown() touches
// from other threads.
struct EndpointState {
  ServerConfig config;
  std::optional<net::UdpSocket> sock;
  Shared shared;
  std::atomic<bool> draining{false};
  std::atomic<Instant::rep> drain_deadline{Instant::max().time_since_epoch().count()};
  std::atomic<bool> serving{false};
  std::atomic<std::uint64_t> active{0};
  std::mutex waker_mu;
  Waker waker;  // the serving task, woken by shutdown()

  EndpointState() = default;
  EndpointState(const EndpointState&) = delete;
  EndpointState& operator=(const EndpointState&) = delete;
  ~EndpointState() {
    if (shared.cred) gnutls_certificate_free_credentials(shared.cred);
  }
  Instant deadline() const { return Instant(Instant::duration(drain_deadline.load())); }
};

namespace {

thread_local std::array<std::uint8_t, 65536> t_datagram;

// The serving loop as one hand-written future: it owns the connections and polls them with
// the task's context, so that handlers, bodies and timers all wake this one task.
struct Serve {
  std::shared_ptr<EndpointState> st;
  std::shared_ptr<Service> service;
  Endpoint endpoint;
  Sleep timer{Instant::max()};
  Instant armed = Instant::max();
  std::vector<std::uint8_t> reply;

  Serve(std::shared_ptr<EndpointState> s, std::shared_ptr<Service> svc)
      : st(std::move(s)), service(std::move(svc)), endpoint(st->shared) {}

  Poll<Result<void>> poll(Context& cx) {
    {
      std::lock_guard lock(st->waker_mu);
      st->waker = cx.waker();
    }
    const bool draining = st->draining.load(std::memory_order_acquire);
    if (draining && Clock::now() >= st->deadline()) endpoint.conns.clear();  // grace is over
    net::UdpSocket& sock = *st->sock;
    for (int round = 0; round < 16; ++round) {
      // 1. Input: up to 64 datagrams per round, so that output and timers keep up.
      bool more_input = false;
      for (int i = 0; i < 64; ++i) {
        Poll<Result<std::pair<std::size_t, net::SocketAddr>>> r = sock.poll_recv_from(
            cx,
            io::MutableBuffer(reinterpret_cast<std::byte*>(t_datagram.data()), t_datagram.size()));
        if (r.is_pending()) break;
        if (!r.value()) continue;  // ICMP errors surface here: nothing to do
        st->shared.datagrams_in.fetch_add(1, std::memory_order_relaxed);
        const net::SocketAddr from = r.value()->second;
        reply.clear();
        endpoint.on_datagram(t_datagram.data(), r.value()->first, from, Clock::now(), reply);
        if (!reply.empty()) {  // best effort: a full socket buffer drops it, the client retries
          (void)sock.poll_send_to(
              cx, io::ConstBuffer(reinterpret_cast<const std::byte*>(reply.data()), reply.size()),
              from);
        }
        more_input = i == 63;
      }
      // 2. Every connection: timers, handlers, output.
      const Instant now = Clock::now();
      auto& conns = endpoint.conns;
      for (auto it = conns.begin(); it != conns.end();) {
        if (!it->second->drive(cx, sock, now)) {
          it = conns.erase(it);
        } else {
          ++it;
        }
      }
      st->active.store(conns.size(), std::memory_order_relaxed);
      if (draining && conns.empty()) return Result<void>();
      // 3. The next deadline among them.
      Instant next = draining ? st->deadline() : Instant::max();
      for (const auto& entry : conns) next = std::min(next, entry.second->expiry());
      if (next != armed) {
        armed = next;
        timer.reset(next);
      }
      const bool due = next != Instant::max() && timer.poll(cx).is_ready();
      if (!more_input && !due) return pending;
      if (due) armed = Instant::min();  // re-armed after the connections ran
    }
    cx.waker().wake_by_ref();  // busy: let the worker run others, then continue
    return pending;
  }
};

Error h3_error(std::errc e, std::string what) {
  return Error(std::make_error_code(e), "h3: " + std::move(what));
}

}  // namespace
}  // namespace detail

Result<Server> Server::bind(const net::SocketAddr& addr, ServerConfig config) {
  auto st = std::make_shared<detail::EndpointState>();
  st->config = std::move(config);
  if (gnutls_certificate_allocate_credentials(&st->shared.cred) != 0) {
    return std::unexpected(detail::h3_error(std::errc::not_enough_memory, "credentials"));
  }
  const int rv =
      gnutls_certificate_set_x509_key_file(st->shared.cred, st->config.cert_file.c_str(),
                                           st->config.key_file.c_str(), GNUTLS_X509_FMT_PEM);
  if (rv < 0) {
    return std::unexpected(detail::h3_error(
        std::errc::invalid_argument, std::string("certificate/key: ") + gnutls_strerror(rv)));
  }
  if (gnutls_rnd(GNUTLS_RND_RANDOM, st->shared.secret.data(), st->shared.secret.size()) != 0) {
    return std::unexpected(detail::h3_error(std::errc::io_error, "random"));
  }
  Result<net::UdpSocket> sock = net::UdpSocket::bind(addr);
  if (!sock) return std::unexpected(sock.error());
  Result<net::SocketAddr> local = sock->local_addr();
  if (!local) return std::unexpected(local.error());
  st->sock.emplace(std::move(*sock));
  st->shared.config = &st->config;
  st->shared.local = *local;
  st->shared.draining = &st->draining;
  return Server(std::move(st));
}

Server::Server(std::shared_ptr<detail::EndpointState> s) noexcept : state_(std::move(s)) {}
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;
Server::~Server() = default;

net::SocketAddr Server::local_addr() const {
  return state_->shared.local;
}

Task<Result<void>> Server::serve(std::shared_ptr<Service> service) {
  if (state_->serving.exchange(true)) {
    co_return std::unexpected(
        detail::h3_error(std::errc::operation_in_progress, "serve() called twice"));
  }
  state_->shared.service = service.get();
  detail::Serve serve(state_, std::move(service));
  Result<void> r = co_await serve;
  co_return r;
}

void Server::shutdown(Duration grace) const {
  const Instant::rep deadline = (Clock::now() + grace).time_since_epoch().count();
  Instant::rep current = state_->drain_deadline.load();
  while (deadline < current && !state_->drain_deadline.compare_exchange_weak(current, deadline)) {
  }
  state_->draining.store(true, std::memory_order_release);
  std::lock_guard lock(state_->waker_mu);
  state_->waker.wake_by_ref();
}

ServerStats Server::stats() const {
  const detail::Shared& s = state_->shared;
  ServerStats out;
  out.connections_accepted = s.accepted.load(std::memory_order_relaxed);
  out.connections_active = state_->active.load(std::memory_order_relaxed);
  out.requests = s.requests.load(std::memory_order_relaxed);
  out.bad_requests = s.bad_requests.load(std::memory_order_relaxed);
  out.datagrams_in = s.datagrams_in.load(std::memory_order_relaxed);
  out.datagrams_out = s.datagrams_out.load(std::memory_order_relaxed);
  out.datagrams_dropped = s.dropped.load(std::memory_order_relaxed);
  return out;
}

}  // namespace strata::http::h3
