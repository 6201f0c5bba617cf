// Socket: a raw socket file descriptor with RAII — creation, options, bind/listen and addresses,
// for set-ups the typed sockets (TcpListener, TcpStream, UdpSocket, Unix sockets) do not cover.
//
//   auto s = net::Socket::create(AF_INET6, SOCK_STREAM);        // always non-blocking, CLOEXEC
//   s->set_only_v6(false);                                      // dual-stack listener
//   s->set_reuse_address(true);
//   s->bind(*net::SocketAddr::parse("[::]:8080"));
//   s->listen(4096);
//   auto listener = net::TcpListener::from_socket(std::move(*s));
//
// Every Strata socket is non-blocking and close-on-exec. Option setters and getters are thin
// wrappers over setsockopt/getsockopt returning Result (context "setsockopt SO_REUSEADDR", ...);
// set_option()/option() and fd() reach any option not listed. A Socket is not registered with
// the reactor: it does no async I/O itself; the typed sockets do (they take one over with
// from_socket()). The destructor closes the fd.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "strata/net/socket_addr.hpp"
#include "strata/rt/error.hpp"

namespace strata::net {

// Which direction(s) shutdown() closes.
enum class Shutdown { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

// Address-reuse options applied before bind() by TcpListener::bind, UdpSocket::bind, ...
struct ReuseOptions {
  bool address = true;  // SO_REUSEADDR
  bool port = false;    // SO_REUSEPORT: several sockets (e.g. one per worker) on one port
};

namespace detail {
// Option helpers over a raw fd, shared by every socket type (src/net/socket.cpp).
Result<void> set_int_option(int fd, int level, int name, int value, const char* what);
Result<int> get_int_option(int fd, int level, int name, const char* what);
Result<void> set_linger(int fd, std::optional<std::chrono::seconds> linger);
Result<std::optional<std::chrono::seconds>> get_linger(int fd);
// IP_TTL or IPV6_UNICAST_HOPS, by the socket's family (SO_DOMAIN).
Result<void> set_ttl(int fd, std::uint32_t ttl);
Result<std::uint32_t> get_ttl(int fd);
Result<SocketAddr> local_addr(int fd);
Result<SocketAddr> peer_addr(int fd);
Result<void> shutdown(int fd, Shutdown how);
// SO_ERROR: the pending error of the socket, if any (reading it clears it).
Result<std::optional<Error>> take_error(int fd);
}  // namespace detail

class Socket {
 public:
  // socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
  static Result<Socket> create(int domain, int type, int protocol = 0);
  // A socket of `type` in the family of `addr` (AF_INET or AF_INET6).
  static Result<Socket> create_for(const SocketAddr& addr, int type);
  // Takes ownership of an open fd (made non-blocking and close-on-exec).
  static Result<Socket> from_fd(int fd);

  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept;
  ~Socket() { close(); }

  int fd() const noexcept { return fd_; }
  // Gives up ownership: the caller closes the fd.
  int release() noexcept { return std::exchange(fd_, -1); }
  void close() noexcept;

  Result<void> bind(const SocketAddr& addr);
  Result<void> listen(int backlog);
  Result<SocketAddr> local_addr() const { return detail::local_addr(fd_); }
  Result<SocketAddr> peer_addr() const { return detail::peer_addr(fd_); }
  Result<void> shutdown(Shutdown how) { return detail::shutdown(fd_, how); }
  Result<std::optional<Error>> take_error() { return detail::take_error(fd_); }

  // SO_REUSEADDR: bind a listening port again while old connections are in TIME_WAIT.
  Result<void> set_reuse_address(bool on);
  Result<bool> reuse_address() const;
  // SO_REUSEPORT: several sockets bind the same port; the kernel balances connections.
  Result<void> set_reuse_port(bool on);
  Result<bool> reuse_port() const;
  // TCP_NODELAY: send small segments at once (no Nagle delay).
  Result<void> set_nodelay(bool on);
  Result<bool> nodelay() const;
  // SO_KEEPALIVE, and optionally TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT.
  Result<void> set_keepalive(bool on);
  Result<bool> keepalive() const;
  Result<void> set_keepalive_params(std::chrono::seconds idle, std::chrono::seconds interval,
                                    int probes);
  // SO_LINGER: nullopt = close() returns at once (default); 0 s = close() resets (RST).
  Result<void> set_linger(std::optional<std::chrono::seconds> linger) {
    return detail::set_linger(fd_, linger);
  }
  Result<std::optional<std::chrono::seconds>> linger() const { return detail::get_linger(fd_); }
  // IP_TTL or IPV6_UNICAST_HOPS, by the socket's family.
  Result<void> set_ttl(std::uint32_t ttl) { return detail::set_ttl(fd_, ttl); }
  Result<std::uint32_t> ttl() const { return detail::get_ttl(fd_); }
  // SO_BROADCAST (UDP): allow sending to broadcast addresses.
  Result<void> set_broadcast(bool on);
  Result<bool> broadcast() const;
  // SO_RCVBUF / SO_SNDBUF. Linux doubles the value set and reports the doubled value.
  Result<void> set_recv_buffer_size(std::size_t bytes);
  Result<std::size_t> recv_buffer_size() const;
  Result<void> set_send_buffer_size(std::size_t bytes);
  Result<std::size_t> send_buffer_size() const;
  // IPV6_V6ONLY: an AF_INET6 socket accepts IPv6 only (true) or also IPv4-mapped (false).
  Result<void> set_only_v6(bool on);
  Result<bool> only_v6() const;

  // Any option as a plain value: set_option(IPPROTO_TCP, TCP_USER_TIMEOUT, 30000u).
  template <class T>
  Result<void> set_option(int level, int name, const T& value) {
    if (::setsockopt(fd_, level, name, &value, sizeof value) < 0) {
      return fail(Error::from_errno(errno, "setsockopt"));
    }
    return {};
  }
  template <class T>
  Result<T> option(int level, int name) const {
    T value{};
    socklen_t len = sizeof value;
    if (::getsockopt(fd_, level, name, &value, &len) < 0) {
      return fail(Error::from_errno(errno, "getsockopt"));
    }
    return value;
  }

 private:
  explicit Socket(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace strata::net
