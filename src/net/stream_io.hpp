// Internal: the read/write syscalls shared by the stream sockets (TCP, Unix).
#pragma once

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <span>

#include "strata/io/async_io.hpp"
#include "strata/io/evented_fd.hpp"

namespace strata::net::detail {

// The largest iovec array built on the stack for one sendmsg (the rest waits for the next call).
inline constexpr std::size_t kMaxIov = 64;

inline Poll<Result<std::size_t>> stream_poll_read(io::EventedFd& io, Context& cx,
                                                  io::MutableBuffer buf) {
  if (buf.empty()) return std::size_t{0};
  const int fd = io.fd();
  return io.poll_io(
      cx, Interest::readable, [&] { return ::recv(fd, buf.data(), buf.size(), 0); }, buf.size());
}

inline Poll<Result<std::size_t>> stream_poll_write(io::EventedFd& io, Context& cx,
                                                   io::ConstBuffer buf) {
  if (buf.empty()) return std::size_t{0};
  const int fd = io.fd();
  return io.poll_io(
      cx, Interest::writable, [&] { return ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL); },
      buf.size());
}

inline Poll<Result<std::size_t>> stream_poll_writev(io::EventedFd& io, Context& cx,
                                                    std::span<const io::ConstBuffer> bufs) {
  iovec iov[kMaxIov];
  std::size_t n = 0, total = 0;
  for (io::ConstBuffer b : bufs) {
    if (b.empty()) continue;
    if (n == kMaxIov) break;
    iov[n].iov_base = const_cast<std::byte*>(b.data());
    iov[n].iov_len = b.size();
    total += b.size();
    ++n;
  }
  if (n == 0) return std::size_t{0};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = n;
  const int fd = io.fd();
  return io.poll_io(
      cx, Interest::writable, [&] { return ::sendmsg(fd, &msg, MSG_NOSIGNAL); }, total);
}

inline Poll<Result<std::size_t>> stream_poll_sendfile(io::EventedFd& io, Context& cx, int file_fd,
                                                      std::uint64_t& offset, std::size_t count) {
  if (count == 0) return std::size_t{0};
  const int fd = io.fd();
  off_t off = static_cast<off_t>(offset);
  Poll<Result<std::size_t>> p = io.poll_io(
      cx, Interest::writable, [&] { return ::sendfile(fd, file_fd, &off, count); }, count);
  if (p.is_ready() && p.value()) offset += *p.value();
  return p;
}

inline Result<std::size_t> stream_try_read(io::EventedFd& io, io::MutableBuffer buf) {
  const int fd = io.fd();
  return io.try_io(Interest::readable, [&] { return ::recv(fd, buf.data(), buf.size(), 0); });
}

inline Result<std::size_t> stream_try_peek(io::EventedFd& io, io::MutableBuffer buf) {
  const int fd = io.fd();
  return io.try_io(Interest::readable,
                   [&] { return ::recv(fd, buf.data(), buf.size(), MSG_PEEK); });
}

inline Result<std::size_t> stream_try_write(io::EventedFd& io, io::ConstBuffer buf) {
  const int fd = io.fd();
  return io.try_io(Interest::writable,
                   [&] { return ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL); });
}

}  // namespace strata::net::detail
