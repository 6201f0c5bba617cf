#include "strata/net/tcp_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "net_util.hpp"
#include "stream_io.hpp"

namespace strata::net {

namespace {

template <class T>
Poll<Result<T>> annotate(Poll<Result<T>> p, const char* op, const SocketAddr& peer) {
  if (p.is_ready() && !p.value()) {
    return Result<T>(fail(detail::with_context(p.value().error(), detail::context(op, peer))));
  }
  return p;
}

template <class T>
Result<T> annotate(Result<T> r, const char* op, const SocketAddr& peer) {
  if (!r && !(r.error() == std::errc::operation_would_block)) {
    return fail(detail::with_context(r.error(), detail::context(op, peer)));
  }
  return r;
}

}  // namespace

Result<TcpStream> TcpStream::from_std(int fd) {
  auto s = Socket::from_fd(fd);
  if (!s) return fail(s.error());
  auto peer = s->peer_addr();
  if (!peer) return fail(peer.error());
  auto io = io::EventedFd::adopt(s->release());
  if (!io) return fail(io.error());
  return TcpStream(std::move(*io), *peer);
}

Poll<Result<std::size_t>> TcpStream::poll_read(Context& cx, io::MutableBuffer buf) {
  return annotate(detail::stream_poll_read(io_, cx, buf), "read", peer_);
}

Poll<Result<void>> TcpStream::poll_read_ready(Context& cx) {
  return io_.poll_ready(cx, Interest::readable);
}

Poll<Result<std::size_t>> TcpStream::poll_write(Context& cx, io::ConstBuffer buf) {
  return annotate(detail::stream_poll_write(io_, cx, buf), "write", peer_);
}

Poll<Result<std::size_t>> TcpStream::poll_write_vectored(Context& cx,
                                                         std::span<const io::ConstBuffer> bufs) {
  return annotate(detail::stream_poll_writev(io_, cx, bufs), "write", peer_);
}

Poll<Result<std::size_t>> TcpStream::poll_sendfile(Context& cx, int file_fd, std::uint64_t& offset,
                                                   std::size_t count) {
  return annotate(detail::stream_poll_sendfile(io_, cx, file_fd, offset, count), "sendfile", peer_);
}

Poll<Result<void>> TcpStream::poll_write_ready(Context& cx) {
  return io_.poll_ready(cx, Interest::writable);
}

Result<std::size_t> TcpStream::try_peek(io::MutableBuffer buf) {
  return annotate(detail::stream_try_peek(io_, buf), "peek", peer_);
}

Result<std::size_t> TcpStream::try_read(io::MutableBuffer buf) {
  return annotate(detail::stream_try_read(io_, buf), "read", peer_);
}

Result<std::size_t> TcpStream::try_write(io::ConstBuffer buf) {
  return annotate(detail::stream_try_write(io_, buf), "write", peer_);
}

Result<void> TcpStream::shutdown(Shutdown how) {
  auto r = detail::shutdown(io_.fd(), how);
  if (!r) return fail(detail::with_context(r.error(), detail::context("shutdown", peer_)));
  return r;
}

Result<void> TcpStream::set_nodelay(bool on) {
  return detail::set_int_option(io_.fd(), IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY");
}
Result<bool> TcpStream::nodelay() const {
  auto v = detail::get_int_option(io_.fd(), IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  if (!v) return fail(v.error());
  return *v != 0;
}
Result<void> TcpStream::set_keepalive(bool on) {
  return detail::set_int_option(io_.fd(), SOL_SOCKET, SO_KEEPALIVE, on, "SO_KEEPALIVE");
}
Result<bool> TcpStream::keepalive() const {
  auto v = detail::get_int_option(io_.fd(), SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
  if (!v) return fail(v.error());
  return *v != 0;
}
// ---- connect ----

Poll<Result<TcpStream>> ConnectFuture::poll(Context& cx) {
  if (!io_) {
    auto s = Socket::create_for(addr_, SOCK_STREAM);
    if (!s)
      return Result<TcpStream>(
          fail(detail::with_context(s.error(), detail::context("connect", addr_))));
    sockaddr_storage ss;
    const socklen_t len = addr_.to_sockaddr(ss);
    const int rc = ::connect(s->fd(), reinterpret_cast<sockaddr*>(&ss), len);
    if (rc < 0 && errno != EINPROGRESS && errno != EINTR) {
      return Result<TcpStream>(fail(detail::sys_error(errno, "connect", addr_)));
    }
    // Registered only now: before connect() a TCP socket reports a (sticky) hang-up.
    auto io = io::EventedFd::adopt(s->release());
    if (!io)
      return Result<TcpStream>(
          fail(detail::with_context(io.error(), detail::context("connect", addr_))));
    if (rc == 0) return Result<TcpStream>(TcpStream(std::move(*io), addr_));
    io_.emplace(std::move(*io));
  }
  auto ready = io_->poll_ready(cx, Interest::writable);
  if (ready.is_pending()) return pending;
  auto err = detail::get_int_option(io_->fd(), SOL_SOCKET, SO_ERROR, "SO_ERROR");
  const int code = err ? *err : err.error().code().value();
  if (code != 0) {
    io_.reset();
    return Result<TcpStream>(fail(detail::sys_error(code, "connect", addr_)));
  }
  TcpStream stream(std::move(*io_), addr_);
  io_.reset();
  return Result<TcpStream>(std::move(stream));
}

HappyEyeballsFuture::HappyEyeballsFuture(std::span<const SocketAddr> addrs, Duration attempt_delay)
    : delay_(attempt_delay), timer_(Clock::now()) {
  // RFC 8305 §4: alternate the families, starting with the family of the first address.
  std::vector<SocketAddr> first, second;
  for (const SocketAddr& a : addrs) {
    (a.is_ipv4() == addrs.front().is_ipv4() ? first : second).push_back(a);
  }
  addrs_.reserve(addrs.size());
  for (std::size_t i = 0; i < first.size() || i < second.size(); ++i) {
    if (i < first.size()) addrs_.push_back(first[i]);
    if (i < second.size()) addrs_.push_back(second[i]);
  }
  attempts_.reserve(addrs_.size());  // never reallocates: started attempts do not move
}

void HappyEyeballsFuture::start_next() {
  attempts_.emplace_back(std::in_place, addrs_[next_++]);
  timer_.reset(Clock::now() + delay_);
}

Poll<Result<TcpStream>> HappyEyeballsFuture::poll(Context& cx) {
  if (addrs_.empty()) return Result<TcpStream>(fail(Errc::invalid_input, "connect: no addresses"));
  if (next_ == 0) start_next();
  for (;;) {
    bool started = false;
    bool active = false;
    for (std::size_t i = 0; i < attempts_.size(); ++i) {
      std::optional<ConnectFuture>& a = attempts_[i];
      if (!a) continue;
      auto p = a->poll(cx);
      if (p.is_pending()) {
        active = true;
        continue;
      }
      Result<TcpStream> r = p.take();
      if (r) {
        attempts_.clear();  // cancels the losers: their sockets close
        return r;
      }
      if (!first_error_) first_error_ = r.error();
      a.reset();
      if (next_ < addrs_.size()) {  // a failure starts the next attempt at once
        start_next();
        started = true;
      }
    }
    if (started) continue;
    if (next_ < addrs_.size()) {
      if (timer_.poll(cx).is_ready()) {
        start_next();
        continue;
      }
      return pending;
    }
    if (!active) return Result<TcpStream>(fail(*first_error_));
    return pending;
  }
}

Poll<Result<TcpStream>> ConnectTimeoutFuture::poll(Context& cx) {
  auto p = inner_.poll(cx);
  if (p.is_pending()) return pending;
  Result<Result<TcpStream>> r = p.take();
  if (!r) return Result<TcpStream>(fail(Error(Errc::timed_out, detail::context("connect", addr_))));
  return std::move(*r);
}

}  // namespace strata::net
