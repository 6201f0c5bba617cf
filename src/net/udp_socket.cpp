#include "strata/net/udp_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "net_util.hpp"

namespace strata::net {

namespace {

template <class T>
Poll<Result<T>> annotate(Poll<Result<T>> p, const char* op) {
  if (p.is_ready() && !p.value()) {
    return Result<T>(fail(detail::with_context(p.value().error(), op)));
  }
  return p;
}

}  // namespace

Result<UdpSocket> UdpSocket::bind(const SocketAddr& addr, ReuseOptions reuse) {
  auto s = Socket::create_for(addr, SOCK_DGRAM);
  if (!s) return fail(detail::with_context(s.error(), detail::context("bind", addr)));
  if (reuse.address) {
    if (auto r = s->set_reuse_address(true); !r) return fail(r.error());
  }
  if (reuse.port) {
    if (auto r = s->set_reuse_port(true); !r) return fail(r.error());
  }
  if (auto r = s->bind(addr); !r) return fail(r.error());
  return from_socket(std::move(*s));
}

Result<UdpSocket> UdpSocket::from_socket(Socket socket) {
  auto io = io::EventedFd::adopt(socket.release());
  if (!io) return fail(io.error());
  return UdpSocket(std::move(*io));
}

Result<void> UdpSocket::connect(const SocketAddr& peer) {
  sockaddr_storage ss;
  const socklen_t len = peer.to_sockaddr(ss);
  if (::connect(io_.fd(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return fail(detail::sys_error(errno, "connect", peer));
  }
  return {};
}

Poll<Result<std::size_t>> UdpSocket::poll_send_to(Context& cx, io::ConstBuffer buf,
                                                  const SocketAddr& to) {
  sockaddr_storage ss;
  const socklen_t len = to.to_sockaddr(ss);
  const int fd = io_.fd();
  auto p = io_.poll_io(cx, Interest::writable, [&] {
    return ::sendto(fd, buf.data(), buf.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss),
                    len);
  });
  if (p.is_ready() && !p.value()) {
    return Result<std::size_t>(
        fail(detail::with_context(p.value().error(), detail::context("send_to", to))));
  }
  return p;
}

Poll<Result<std::pair<std::size_t, SocketAddr>>> UdpSocket::poll_recv_from(Context& cx,
                                                                           io::MutableBuffer buf) {
  using Out = Result<std::pair<std::size_t, SocketAddr>>;
  sockaddr_storage ss;
  socklen_t len = 0;
  const int fd = io_.fd();
  auto p = io_.poll_io(cx, Interest::readable, [&] {
    len = sizeof ss;
    return ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
  });
  if (p.is_pending()) return pending;
  Result<std::size_t> n = p.take();
  if (!n) return Out(fail(detail::with_context(n.error(), "recv_from")));
  auto from = SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  if (!from) return Out(fail(from.error()));
  return Out(std::pair{*n, *from});
}

Poll<Result<std::size_t>> UdpSocket::poll_send(Context& cx, io::ConstBuffer buf) {
  const int fd = io_.fd();
  return annotate(io_.poll_io(cx, Interest::writable,
                              [&] { return ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL); }),
                  "send");
}

Poll<Result<std::size_t>> UdpSocket::poll_recv(Context& cx, io::MutableBuffer buf) {
  const int fd = io_.fd();
  return annotate(
      io_.poll_io(cx, Interest::readable, [&] { return ::recv(fd, buf.data(), buf.size(), 0); }),
      "recv");
}

Result<void> UdpSocket::set_broadcast(bool on) {
  return detail::set_int_option(io_.fd(), SOL_SOCKET, SO_BROADCAST, on, "SO_BROADCAST");
}

Result<bool> UdpSocket::broadcast() const {
  auto v = detail::get_int_option(io_.fd(), SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST");
  if (!v) return fail(v.error());
  return *v != 0;
}

namespace {

in_addr to_in_addr(Ipv4Addr a) noexcept {
  in_addr r{};
  r.s_addr = htonl(a.to_bits());
  return r;
}

Result<void> membership_v4(int fd, int opt, Ipv4Addr group, Ipv4Addr iface, const char* what) {
  ip_mreq m{};
  m.imr_multiaddr = to_in_addr(group);
  m.imr_interface = to_in_addr(iface);
  if (::setsockopt(fd, IPPROTO_IP, opt, &m, sizeof m) < 0) {
    return fail(Error::from_errno(errno, std::string(what) + " " + group.to_string()));
  }
  return {};
}

Result<void> membership_v6(int fd, int opt, const Ipv6Addr& group, std::uint32_t ifindex,
                           const char* what) {
  ipv6_mreq m{};
  std::memcpy(&m.ipv6mr_multiaddr, group.octets().data(), 16);
  m.ipv6mr_interface = ifindex;
  if (::setsockopt(fd, IPPROTO_IPV6, opt, &m, sizeof m) < 0) {
    return fail(Error::from_errno(errno, std::string(what) + " " + group.to_string()));
  }
  return {};
}

}  // namespace

Result<void> UdpSocket::join_multicast_v4(Ipv4Addr group, Ipv4Addr iface) {
  return membership_v4(io_.fd(), IP_ADD_MEMBERSHIP, group, iface, "join multicast");
}
Result<void> UdpSocket::leave_multicast_v4(Ipv4Addr group, Ipv4Addr iface) {
  return membership_v4(io_.fd(), IP_DROP_MEMBERSHIP, group, iface, "leave multicast");
}
Result<void> UdpSocket::join_multicast_v6(const Ipv6Addr& group, std::uint32_t ifindex) {
  return membership_v6(io_.fd(), IPV6_JOIN_GROUP, group, ifindex, "join multicast");
}
Result<void> UdpSocket::leave_multicast_v6(const Ipv6Addr& group, std::uint32_t ifindex) {
  return membership_v6(io_.fd(), IPV6_LEAVE_GROUP, group, ifindex, "leave multicast");
}
Result<void> UdpSocket::set_multicast_loop_v4(bool on) {
  return detail::set_int_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_LOOP, on, "IP_MULTICAST_LOOP");
}
Result<void> UdpSocket::set_multicast_loop_v6(bool on) {
  return detail::set_int_option(io_.fd(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on,
                                "IPV6_MULTICAST_LOOP");
}
Result<void> UdpSocket::set_multicast_ttl_v4(std::uint32_t ttl) {
  return detail::set_int_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_TTL, static_cast<int>(ttl),
                                "IP_MULTICAST_TTL");
}
Result<std::uint32_t> UdpSocket::multicast_ttl_v4() const {
  auto v = detail::get_int_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL");
  if (!v) return fail(v.error());
  return static_cast<std::uint32_t>(*v);
}
Result<void> UdpSocket::set_multicast_if_v4(Ipv4Addr iface) {
  in_addr a = to_in_addr(iface);
  if (::setsockopt(io_.fd(), IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a) < 0) {
    return fail(Error::from_errno(errno, "setsockopt IP_MULTICAST_IF"));
  }
  return {};
}

}  // namespace strata::net
