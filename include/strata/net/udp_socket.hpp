// UdpSocket: a UDP socket — datagrams to and from any address, or to one connected peer.
//
//   auto sock = net::UdpSocket::bind(*net::SocketAddr::parse("127.0.0.1:0"));
//   std::array<std::byte, 1500> buf;
//   auto [n, from] = *co_await sock->recv_from(buf);            // one datagram
//   co_await sock->send_to(std::span(buf).first(n), from);      // echo it back
//
// Every datagram is sent or received whole by one call: send_to() returns the datagram's size
// (a datagram larger than the path allows fails with EMSGSIZE); recv_from() returns the bytes
// stored, and a datagram longer than the buffer is truncated (the rest is discarded, as with
// recvfrom). connect() fixes the peer: send()/recv() then talk to it only, and ICMP errors (port
// unreachable) surface as ECONNREFUSED on a later call.
//
// Multicast: join_multicast_v4(group, interface address) / join_multicast_v6(group, interface
// index), the matching leave_*, set_multicast_loop_v4/v6, set_multicast_ttl_v4 and
// set_multicast_if_v4. Broadcast needs set_broadcast(true).
//
// Cancellation: a pending recv/send future has done nothing; dropping it loses no datagram.
// One task receives and one task sends at a time (they may be different tasks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/evented_fd.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/net/ip_addr.hpp"
#include "strata/net/socket.hpp"
#include "strata/net/socket_addr.hpp"

namespace strata::net {

class UdpSocket {
 public:
  // A socket bound to `addr` (port 0: the kernel picks one).
  static Result<UdpSocket> bind(const SocketAddr& addr, ReuseOptions reuse = {.address = false});
  // Takes over a bound UDP socket.
  static Result<UdpSocket> from_socket(Socket socket);

  UdpSocket(UdpSocket&&) noexcept = default;
  UdpSocket& operator=(UdpSocket&&) noexcept = default;

  // Sets the default peer: send()/recv() use it, datagrams from other addresses are dropped.
  Result<void> connect(const SocketAddr& peer);

  Poll<Result<std::size_t>> poll_send_to(Context& cx, io::ConstBuffer buf, const SocketAddr& to);
  Poll<Result<std::pair<std::size_t, SocketAddr>>> poll_recv_from(Context& cx,
                                                                  io::MutableBuffer buf);
  Poll<Result<std::size_t>> poll_send(Context& cx, io::ConstBuffer buf);
  Poll<Result<std::size_t>> poll_recv(Context& cx, io::MutableBuffer buf);
  Poll<Result<void>> poll_recv_ready(Context& cx) { return io_.poll_ready(cx, Interest::readable); }

  auto send_to(io::ConstBuffer buf, const SocketAddr& to) noexcept {
    return io::poll_fn([this, buf, to](Context& cx) { return poll_send_to(cx, buf, to); });
  }
  // One datagram and its sender.
  auto recv_from(io::MutableBuffer buf) noexcept {
    return io::poll_fn([this, buf](Context& cx) { return poll_recv_from(cx, buf); });
  }
  auto send(io::ConstBuffer buf) noexcept {
    return io::poll_fn([this, buf](Context& cx) { return poll_send(cx, buf); });
  }
  auto recv(io::MutableBuffer buf) noexcept {
    return io::poll_fn([this, buf](Context& cx) { return poll_recv(cx, buf); });
  }

  Result<SocketAddr> local_addr() const { return detail::local_addr(io_.fd()); }
  Result<SocketAddr> peer_addr() const { return detail::peer_addr(io_.fd()); }

  Result<void> set_broadcast(bool on);
  Result<bool> broadcast() const;
  Result<void> set_ttl(std::uint32_t ttl) { return detail::set_ttl(io_.fd(), ttl); }
  Result<std::uint32_t> ttl() const { return detail::get_ttl(io_.fd()); }

  // IP_ADD_MEMBERSHIP on the interface with address `iface` (unspecified: the kernel chooses).
  Result<void> join_multicast_v4(Ipv4Addr group, Ipv4Addr iface = Ipv4Addr::unspecified);
  Result<void> leave_multicast_v4(Ipv4Addr group, Ipv4Addr iface = Ipv4Addr::unspecified);
  // IPV6_JOIN_GROUP on interface index `ifindex` (0: the kernel chooses).
  Result<void> join_multicast_v6(const Ipv6Addr& group, std::uint32_t ifindex = 0);
  Result<void> leave_multicast_v6(const Ipv6Addr& group, std::uint32_t ifindex = 0);
  Result<void> set_multicast_loop_v4(bool on);
  Result<void> set_multicast_loop_v6(bool on);
  Result<void> set_multicast_ttl_v4(std::uint32_t ttl);
  Result<std::uint32_t> multicast_ttl_v4() const;
  // IP_MULTICAST_IF: the interface (by address) outgoing multicast datagrams leave through.
  Result<void> set_multicast_if_v4(Ipv4Addr iface);

  Result<std::optional<Error>> take_error() { return detail::take_error(io_.fd()); }
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UdpSocket(io::EventedFd io) noexcept : io_(std::move(io)) {}
  io::EventedFd io_;
};

}  // namespace strata::net
