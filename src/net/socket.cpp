#include "strata/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "net_util.hpp"

namespace strata::net {

namespace detail {

Result<void> set_int_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) {
    return fail(Error::from_errno(errno, std::string("setsockopt ") + what));
  }
  return {};
}

Result<int> get_int_option(int fd, int level, int name, const char* what) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) < 0) {
    return fail(Error::from_errno(errno, std::string("getsockopt ") + what));
  }
  return value;
}

Result<void> set_linger(int fd, std::optional<std::chrono::seconds> linger) {
  ::linger l{};
  l.l_onoff = linger ? 1 : 0;
  l.l_linger = linger ? static_cast<int>(linger->count()) : 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0) {
    return fail(Error::from_errno(errno, "setsockopt SO_LINGER"));
  }
  return {};
}

Result<std::optional<std::chrono::seconds>> get_linger(int fd) {
  ::linger l{};
  socklen_t len = sizeof l;
  if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) < 0) {
    return fail(Error::from_errno(errno, "getsockopt SO_LINGER"));
  }
  if (!l.l_onoff) return std::optional<std::chrono::seconds>();
  return std::optional<std::chrono::seconds>(std::chrono::seconds(l.l_linger));
}

Result<void> set_ttl(int fd, std::uint32_t ttl) {
  auto f = get_int_option(fd, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
  if (!f) return fail(f.error());
  if (*f == AF_INET6) {
    return set_int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, static_cast<int>(ttl),
                          "IPV6_UNICAST_HOPS");
  }
  return set_int_option(fd, IPPROTO_IP, IP_TTL, static_cast<int>(ttl), "IP_TTL");
}

Result<std::uint32_t> get_ttl(int fd) {
  auto f = get_int_option(fd, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
  if (!f) return fail(f.error());
  auto v = *f == AF_INET6 ? get_int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS")
                          : get_int_option(fd, IPPROTO_IP, IP_TTL, "IP_TTL");
  if (!v) return fail(v.error());
  return static_cast<std::uint32_t>(*v);
}

Result<SocketAddr> local_addr(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return fail(Error::from_errno(errno, "getsockname"));
  }
  return SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<SocketAddr> peer_addr(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return fail(Error::from_errno(errno, "getpeername"));
  }
  return SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<void> shutdown(int fd, Shutdown how) {
  if (::shutdown(fd, static_cast<int>(how)) < 0) {
    return fail(Error::from_errno(errno, "shutdown"));
  }
  return {};
}

Result<std::optional<Error>> take_error(int fd) {
  auto e = get_int_option(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
  if (!e) return fail(e.error());
  if (*e == 0) return std::optional<Error>();
  return std::optional<Error>(Error::from_errno(*e, "socket error"));
}

}  // namespace detail

namespace {
int domain_of(const SocketAddr& a) noexcept {
  return a.is_ipv4() ? AF_INET : AF_INET6;
}
}  // namespace

Result<Socket> Socket::create(int domain, int type, int protocol) {
  int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return fail(Error::from_errno(errno, "socket"));
  return Socket(fd);
}

Result<Socket> Socket::create_for(const SocketAddr& addr, int type) {
  return create(domain_of(addr), type);
}

Result<Socket> Socket::from_fd(int fd) {
  if (fd < 0) return fail(Error::from_errno(EBADF, "Socket::from_fd"));
  Socket s(fd);
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    return fail(Error::from_errno(errno, "fcntl O_NONBLOCK"));
  }
  int fdfl = ::fcntl(fd, F_GETFD);
  if (fdfl < 0 || ::fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0) {
    return fail(Error::from_errno(errno, "fcntl FD_CLOEXEC"));
  }
  return s;
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void Socket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

Result<void> Socket::bind(const SocketAddr& addr) {
  sockaddr_storage ss;
  socklen_t len = addr.to_sockaddr(ss);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return fail(detail::sys_error(errno, "bind", addr));
  }
  return {};
}

Result<void> Socket::listen(int backlog) {
  if (::listen(fd_, backlog) < 0) return fail(Error::from_errno(errno, "listen"));
  return {};
}

namespace {
Result<bool> as_bool(Result<int> r) {
  if (!r) return fail(r.error());
  return *r != 0;
}
}  // namespace

Result<void> Socket::set_reuse_address(bool on) {
  return detail::set_int_option(fd_, SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR");
}
Result<bool> Socket::reuse_address() const {
  return as_bool(detail::get_int_option(fd_, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"));
}
Result<void> Socket::set_reuse_port(bool on) {
  return detail::set_int_option(fd_, SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT");
}
Result<bool> Socket::reuse_port() const {
  return as_bool(detail::get_int_option(fd_, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT"));
}
Result<void> Socket::set_nodelay(bool on) {
  return detail::set_int_option(fd_, IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY");
}
Result<bool> Socket::nodelay() const {
  return as_bool(detail::get_int_option(fd_, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY"));
}
Result<void> Socket::set_keepalive(bool on) {
  return detail::set_int_option(fd_, SOL_SOCKET, SO_KEEPALIVE, on, "SO_KEEPALIVE");
}
Result<bool> Socket::keepalive() const {
  return as_bool(detail::get_int_option(fd_, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"));
}
Result<void> Socket::set_keepalive_params(std::chrono::seconds idle, std::chrono::seconds interval,
                                          int probes) {
  if (auto r = detail::set_int_option(fd_, IPPROTO_TCP, TCP_KEEPIDLE,
                                      static_cast<int>(idle.count()), "TCP_KEEPIDLE");
      !r)
    return r;
  if (auto r = detail::set_int_option(fd_, IPPROTO_TCP, TCP_KEEPINTVL,
                                      static_cast<int>(interval.count()), "TCP_KEEPINTVL");
      !r)
    return r;
  return detail::set_int_option(fd_, IPPROTO_TCP, TCP_KEEPCNT, probes, "TCP_KEEPCNT");
}

Result<void> Socket::set_broadcast(bool on) {
  return detail::set_int_option(fd_, SOL_SOCKET, SO_BROADCAST, on, "SO_BROADCAST");
}
Result<bool> Socket::broadcast() const {
  return as_bool(detail::get_int_option(fd_, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST"));
}
Result<void> Socket::set_recv_buffer_size(std::size_t bytes) {
  return detail::set_int_option(fd_, SOL_SOCKET, SO_RCVBUF, static_cast<int>(bytes), "SO_RCVBUF");
}
Result<std::size_t> Socket::recv_buffer_size() const {
  auto v = detail::get_int_option(fd_, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
  if (!v) return fail(v.error());
  return static_cast<std::size_t>(*v);
}
Result<void> Socket::set_send_buffer_size(std::size_t bytes) {
  return detail::set_int_option(fd_, SOL_SOCKET, SO_SNDBUF, static_cast<int>(bytes), "SO_SNDBUF");
}
Result<std::size_t> Socket::send_buffer_size() const {
  auto v = detail::get_int_option(fd_, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
  if (!v) return fail(v.error());
  return static_cast<std::size_t>(*v);
}
Result<void> Socket::set_only_v6(bool on) {
  return detail::set_int_option(fd_, IPPROTO_IPV6, IPV6_V6ONLY, on, "IPV6_V6ONLY");
}
Result<bool> Socket::only_v6() const {
  return as_bool(detail::get_int_option(fd_, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY"));
}

}  // namespace strata::net
