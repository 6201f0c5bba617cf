// UnixDatagram: a Unix domain datagram socket (SOCK_DGRAM) — reliable, ordered datagrams
// between processes on one host.
//
//   auto server = net::UnixDatagram::bind(*net::UnixAddr::parse("@logd"));
//   auto client = net::UnixDatagram::unbound();
//   co_await client->send_to(io::as_bytes("hello"), *net::UnixAddr::parse("@logd"));
//   std::array<std::byte, 512> buf;
//   auto [n, from] = *co_await server->recv_from(buf);   // `from` is unnamed: client is unbound
//
// Unlike UDP, a Unix datagram is never lost: a sender whose receiver's queue is full waits
// (Pending) — backpressure. A datagram longer than the receive buffer is truncated. pair() gives
// two connected sockets. Cancellation: a pending send/recv has done nothing.
#pragma once

#include <cstddef>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/evented_fd.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/net/socket.hpp"
#include "strata/net/unix_addr.hpp"

namespace strata::net {

class UnixDatagram {
 public:
  static Result<UnixDatagram> bind(const UnixAddr& addr);
  // A socket with no address (it can send; replies need a bound socket).
  static Result<UnixDatagram> unbound();
  static Result<std::pair<UnixDatagram, UnixDatagram>> pair();
  static Result<UnixDatagram> from_std(int fd);

  UnixDatagram(UnixDatagram&&) noexcept = default;
  UnixDatagram& operator=(UnixDatagram&&) noexcept = default;

  Result<void> connect(const UnixAddr& peer);

  Poll<Result<std::size_t>> poll_send_to(Context& cx, io::ConstBuffer buf, const UnixAddr& to);
  Poll<Result<std::pair<std::size_t, UnixAddr>>> poll_recv_from(Context& cx, io::MutableBuffer buf);
  Poll<Result<std::size_t>> poll_send(Context& cx, io::ConstBuffer buf);
  Poll<Result<std::size_t>> poll_recv(Context& cx, io::MutableBuffer buf);

  // `to` is copied into the future.
  auto send_to(io::ConstBuffer buf, const UnixAddr& to) noexcept {
    return io::poll_fn([this, buf, to](Context& cx) { return poll_send_to(cx, buf, to); });
  }
  auto recv_from(io::MutableBuffer buf) noexcept {
    return io::poll_fn([this, buf](Context& cx) { return poll_recv_from(cx, buf); });
  }
  auto send(io::ConstBuffer buf) noexcept {
    return io::poll_fn([this, buf](Context& cx) { return poll_send(cx, buf); });
  }
  auto recv(io::MutableBuffer buf) noexcept {
    return io::poll_fn([this, buf](Context& cx) { return poll_recv(cx, buf); });
  }

  Result<UnixAddr> local_addr() const;
  Result<UnixAddr> peer_addr() const;
  Result<void> shutdown(Shutdown how) { return detail::shutdown(io_.fd(), how); }
  Result<std::optional<Error>> take_error() { return detail::take_error(io_.fd()); }
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UnixDatagram(io::EventedFd io) noexcept : io_(std::move(io)) {}
  io::EventedFd io_;
};

}  // namespace strata::net
