// Unix domain sockets: UnixStream, UnixListener, UnixDatagram.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "net_util.hpp"
#include "strata/net/unix_datagram.hpp"
#include "strata/net/unix_listener.hpp"
#include "strata/net/unix_stream.hpp"
#include "stream_io.hpp"

namespace strata::net {

namespace detail {
namespace {

Error unix_error(int err, std::string_view op, const UnixAddr& addr) {
  std::string ctx(op);
  ctx += ' ';
  ctx += addr.to_string();
  return Error::from_errno(err, std::move(ctx));
}

template <class T>
Poll<Result<T>> annotate(Poll<Result<T>> p, const char* op) {
  if (p.is_ready() && !p.value()) return Result<T>(fail(with_context(p.value().error(), op)));
  return p;
}

template <class T>
Result<T> annotate(Result<T> r, const char* op) {
  if (!r && !(r.error() == std::errc::operation_would_block)) {
    return fail(with_context(r.error(), op));
  }
  return r;
}

Result<int> unix_socket(int type) {
  int fd = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Error::from_errno(errno, "socket AF_UNIX"));
  return fd;
}

// Two connected sockets of `type` (socketpair), both registered with the current runtime.
Result<std::pair<io::EventedFd, io::EventedFd>> unix_pair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
    return fail(Error::from_errno(errno, "socketpair"));
  }
  auto a = io::EventedFd::adopt(fds[0]);
  if (!a) {
    ::close(fds[1]);
    return fail(a.error());
  }
  auto b = io::EventedFd::adopt(fds[1]);
  if (!b) return fail(b.error());
  return std::pair<io::EventedFd, io::EventedFd>(std::move(*a), std::move(*b));
}

// A socket of `type` bound to `addr`, listening when `backlog` is given (before it is
// registered), then registered with the current runtime.
Result<io::EventedFd> unix_bind(int type, const UnixAddr& addr, std::optional<int> backlog) {
  auto fd = unix_socket(type);
  if (!fd) return fail(fd.error());
  FdGuard guard(*fd);
  if (::bind(*fd, addr.as_sockaddr(), addr.len()) < 0) {
    return fail(unix_error(errno, "bind", addr));
  }
  if (backlog && ::listen(*fd, *backlog) < 0) return fail(unix_error(errno, "listen", addr));
  return io::EventedFd::adopt(guard.release());
}

// Takes over a caller's socket fd (from_std): non-blocking, close-on-exec, registered.
Result<io::EventedFd> adopt_std(int fd) {
  auto s = Socket::from_fd(fd);
  if (!s) return fail(s.error());
  return io::EventedFd::adopt(s->release());
}

}  // namespace

Result<UnixAddr> unix_local_addr(int fd) {
  sockaddr_un sun{};
  socklen_t len = sizeof sun;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sun), &len) < 0) {
    return fail(Error::from_errno(errno, "getsockname"));
  }
  return UnixAddr::from_sockaddr(sun, len);
}

Result<UnixAddr> unix_peer_addr(int fd) {
  sockaddr_un sun{};
  socklen_t len = sizeof sun;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&sun), &len) < 0) {
    return fail(Error::from_errno(errno, "getpeername"));
  }
  return UnixAddr::from_sockaddr(sun, len);
}

}  // namespace detail

// ---- UnixStream ----

Poll<Result<UnixStream>> UnixConnectFuture::poll(Context&) {
  auto fd = detail::unix_socket(SOCK_STREAM);
  if (!fd) return Result<UnixStream>(fail(fd.error()));
  detail::FdGuard guard(*fd);
  if (::connect(*fd, addr_.as_sockaddr(), addr_.len()) < 0) {
    return Result<UnixStream>(fail(detail::unix_error(errno, "connect", addr_)));
  }
  auto io = io::EventedFd::adopt(guard.release());
  if (!io) return Result<UnixStream>(fail(io.error()));
  return Result<UnixStream>(UnixStream(std::move(*io)));
}

Result<std::pair<UnixStream, UnixStream>> UnixStream::pair() {
  auto ios = detail::unix_pair(SOCK_STREAM);
  if (!ios) return fail(ios.error());
  return std::pair<UnixStream, UnixStream>(UnixStream(std::move(ios->first)),
                                           UnixStream(std::move(ios->second)));
}

Result<UnixStream> UnixStream::from_std(int fd) {
  auto io = detail::adopt_std(fd);
  if (!io) return fail(io.error());
  return UnixStream(std::move(*io));
}

Poll<Result<std::size_t>> UnixStream::poll_read(Context& cx, io::MutableBuffer buf) {
  return detail::annotate(detail::stream_poll_read(io_, cx, buf), "unix read");
}
Poll<Result<std::size_t>> UnixStream::poll_write(Context& cx, io::ConstBuffer buf) {
  return detail::annotate(detail::stream_poll_write(io_, cx, buf), "unix write");
}
Poll<Result<std::size_t>> UnixStream::poll_sendfile(Context& cx, int file_fd, std::uint64_t& offset,
                                                    std::size_t count) {
  return detail::annotate(detail::stream_poll_sendfile(io_, cx, file_fd, offset, count),
                          "unix sendfile");
}

Poll<Result<std::size_t>> UnixStream::poll_write_vectored(Context& cx,
                                                          std::span<const io::ConstBuffer> bufs) {
  return detail::annotate(detail::stream_poll_writev(io_, cx, bufs), "unix write");
}
Result<std::size_t> UnixStream::try_read(io::MutableBuffer buf) {
  return detail::annotate(detail::stream_try_read(io_, buf), "unix read");
}
Result<std::size_t> UnixStream::try_write(io::ConstBuffer buf) {
  return detail::annotate(detail::stream_try_write(io_, buf), "unix write");
}
Result<UnixAddr> UnixStream::local_addr() const {
  return detail::unix_local_addr(io_.fd());
}
Result<UnixAddr> UnixStream::peer_addr() const {
  return detail::unix_peer_addr(io_.fd());
}
Result<UCred> UnixStream::peer_cred() const {
  ucred c{};
  socklen_t len = sizeof c;
  if (::getsockopt(io_.fd(), SOL_SOCKET, SO_PEERCRED, &c, &len) < 0) {
    return fail(Error::from_errno(errno, "getsockopt SO_PEERCRED"));
  }
  return UCred{c.pid, c.uid, c.gid};
}

// ---- UnixListener ----

Result<UnixListener> UnixListener::bind(const UnixAddr& addr, int backlog) {
  auto io = detail::unix_bind(SOCK_STREAM, addr, backlog);
  if (!io) return fail(io.error());
  return UnixListener(std::move(*io));
}

Result<UnixListener> UnixListener::from_std(int fd) {
  auto io = detail::adopt_std(fd);
  if (!io) return fail(io.error());
  return UnixListener(std::move(*io));
}

Poll<Result<std::pair<UnixStream, UnixAddr>>> UnixListener::poll_accept(Context& cx) {
  using Out = Result<std::pair<UnixStream, UnixAddr>>;
  const int fd = io_.fd();
  for (;;) {
    sockaddr_un sun{};
    socklen_t len = 0;
    auto p = io_.poll_io(cx, Interest::readable, [&] {
      len = sizeof sun;
      return ::accept4(fd, reinterpret_cast<sockaddr*>(&sun), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    });
    if (p.is_pending()) return pending;
    Result<std::size_t> r = p.take();
    if (!r) {
      if (r.error() == std::errc::connection_aborted) continue;
      return Out(fail(detail::with_context(r.error(), "unix accept")));
    }
    auto io = io::EventedFd::adopt(static_cast<int>(*r));
    if (!io) return Out(fail(io.error()));
    auto peer = UnixAddr::from_sockaddr(sun, len);
    return Out(
        std::pair<UnixStream, UnixAddr>(UnixStream(std::move(*io)), peer ? *peer : UnixAddr()));
  }
}

// ---- UnixDatagram ----

Result<UnixDatagram> UnixDatagram::bind(const UnixAddr& addr) {
  auto io = detail::unix_bind(SOCK_DGRAM, addr, std::nullopt);
  if (!io) return fail(io.error());
  return UnixDatagram(std::move(*io));
}

Result<UnixDatagram> UnixDatagram::unbound() {
  auto fd = detail::unix_socket(SOCK_DGRAM);
  if (!fd) return fail(fd.error());
  auto io = io::EventedFd::adopt(*fd);
  if (!io) return fail(io.error());
  return UnixDatagram(std::move(*io));
}

Result<std::pair<UnixDatagram, UnixDatagram>> UnixDatagram::pair() {
  auto ios = detail::unix_pair(SOCK_DGRAM);
  if (!ios) return fail(ios.error());
  return std::pair<UnixDatagram, UnixDatagram>(UnixDatagram(std::move(ios->first)),
                                               UnixDatagram(std::move(ios->second)));
}

Result<UnixDatagram> UnixDatagram::from_std(int fd) {
  auto io = detail::adopt_std(fd);
  if (!io) return fail(io.error());
  return UnixDatagram(std::move(*io));
}

Result<void> UnixDatagram::connect(const UnixAddr& peer) {
  if (::connect(io_.fd(), peer.as_sockaddr(), peer.len()) < 0) {
    return fail(detail::unix_error(errno, "connect", peer));
  }
  return {};
}

Poll<Result<std::size_t>> UnixDatagram::poll_send_to(Context& cx, io::ConstBuffer buf,
                                                     const UnixAddr& to) {
  const int fd = io_.fd();
  auto p = io_.poll_io(cx, Interest::writable, [&] {
    return ::sendto(fd, buf.data(), buf.size(), MSG_NOSIGNAL, to.as_sockaddr(), to.len());
  });
  if (p.is_ready() && !p.value()) {
    return Result<std::size_t>(
        fail(detail::unix_error(p.value().error().code().value(), "send_to", to)));
  }
  return p;
}

Poll<Result<std::pair<std::size_t, UnixAddr>>> UnixDatagram::poll_recv_from(Context& cx,
                                                                            io::MutableBuffer buf) {
  using Out = Result<std::pair<std::size_t, UnixAddr>>;
  sockaddr_un sun{};
  socklen_t len = 0;
  const int fd = io_.fd();
  auto p = io_.poll_io(cx, Interest::readable, [&] {
    len = sizeof sun;
    return ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&sun), &len);
  });
  if (p.is_pending()) return pending;
  Result<std::size_t> n = p.take();
  if (!n) return Out(fail(detail::with_context(n.error(), "unix recv_from")));
  auto from = UnixAddr::from_sockaddr(sun, len);
  return Out(std::pair<std::size_t, UnixAddr>(*n, from ? *from : UnixAddr()));
}

Poll<Result<std::size_t>> UnixDatagram::poll_send(Context& cx, io::ConstBuffer buf) {
  const int fd = io_.fd();
  return detail::annotate(
      io_.poll_io(cx, Interest::writable,
                  [&] { return ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL); }),
      "unix send");
}

Poll<Result<std::size_t>> UnixDatagram::poll_recv(Context& cx, io::MutableBuffer buf) {
  const int fd = io_.fd();
  return detail::annotate(
      io_.poll_io(cx, Interest::readable, [&] { return ::recv(fd, buf.data(), buf.size(), 0); }),
      "unix recv");
}

Result<UnixAddr> UnixDatagram::local_addr() const {
  return detail::unix_local_addr(io_.fd());
}
Result<UnixAddr> UnixDatagram::peer_addr() const {
  return detail::unix_peer_addr(io_.fd());
}

}  // namespace strata::net
