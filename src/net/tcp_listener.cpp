#include "strata/net/tcp_listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include "net_util.hpp"

namespace strata::net {

Result<TcpListener> TcpListener::bind(const SocketAddr& addr, int backlog, ReuseOptions reuse) {
  auto s = Socket::create_for(addr, SOCK_STREAM);
  if (!s) return fail(detail::with_context(s.error(), detail::context("bind", addr)));
  if (reuse.address) {
    if (auto r = s->set_reuse_address(true); !r) return fail(r.error());
  }
  if (reuse.port) {
    if (auto r = s->set_reuse_port(true); !r) return fail(r.error());
  }
  if (auto r = s->bind(addr); !r) return fail(r.error());
  if (::listen(s->fd(), backlog) < 0) return fail(detail::sys_error(errno, "listen", addr));
  return from_socket(std::move(*s));
}

Result<TcpListener> TcpListener::from_socket(Socket socket) {
  auto io = io::EventedFd::adopt(socket.release());
  if (!io) return fail(io.error());
  return TcpListener(std::move(*io));
}

Result<TcpListener> TcpListener::from_std(int fd) {
  auto s = Socket::from_fd(fd);
  if (!s) return fail(s.error());
  return from_socket(std::move(*s));
}

Poll<Result<std::pair<TcpStream, SocketAddr>>> TcpListener::poll_accept(Context& cx) {
  using Out = Result<std::pair<TcpStream, SocketAddr>>;
  const int fd = io_.fd();
  for (;;) {
    sockaddr_storage ss;
    socklen_t len = 0;
    auto p = io_.poll_io(cx, Interest::readable, [&] {
      len = sizeof ss;
      return ::accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    });
    if (p.is_pending()) return pending;
    Result<std::size_t> r = p.take();
    if (!r) {
      // A connection reset while queued: not the listener's problem, take the next one.
      if (r.error() == std::errc::connection_aborted || r.error() == std::errc::protocol_error) {
        continue;
      }
      auto local = local_addr();
      return Out(fail(local ? detail::with_context(r.error(), detail::context("accept", *local))
                            : r.error()));
    }
    const int cfd = static_cast<int>(*r);
    auto peer = SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    auto io = io::EventedFd::adopt(cfd);  // closes cfd on failure
    if (!io) return Out(fail(detail::with_context(io.error(), "accept: register")));
    if (!peer) continue;  // not AF_INET/AF_INET6: cannot happen on a TCP listener
    return Out(std::pair<TcpStream, SocketAddr>(TcpStream(std::move(*io), *peer), *peer));
  }
}

}  // namespace strata::net
