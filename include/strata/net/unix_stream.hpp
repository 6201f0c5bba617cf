// UnixStream: a connected Unix domain stream socket — AsyncRead and AsyncWrite, like TcpStream.
//
//   auto s = co_await net::UnixStream::connect(*net::UnixAddr::parse("/run/app.sock"));
//   auto [a, b] = *net::UnixStream::pair();               // socketpair(): two connected ends
//   co_await io::write_all(a, io::as_bytes("ping"));
//   net::UCred who = *b.peer_cred();                       // pid, uid, gid of the peer process
//
// Addresses are net::UnixAddr: a path, or a Linux abstract name written "@name" (see
// net/unix_addr.hpp). Connecting to a Unix socket completes at once or fails: ENOENT/
// ECONNREFUSED when nobody listens, EAGAIN when the listener's backlog is full (Linux does not
// queue a non-blocking connect), each with context "connect ADDR".
//
// I/O, cancellation and concurrency rules are TcpStream's: try the syscall, wait on EAGAIN;
// MSG_NOSIGNAL (EPIPE instead of SIGPIPE); a pending read or write consumes nothing; one reader
// and one writer at a time, e.g. the two halves of split() in two tasks.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/evented_fd.hpp"
#include "strata/net/detail/stream_ops.hpp"
#include "strata/net/socket.hpp"
#include "strata/net/split.hpp"
#include "strata/net/unix_addr.hpp"

namespace strata::net {

// The credentials of the process at the other end (SO_PEERCRED), as of connect()/socketpair().
struct UCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class UnixConnectFuture;

class UnixStream : public detail::StreamOps<UnixStream> {
 public:
  static UnixConnectFuture connect(const UnixAddr& addr) noexcept;
  // Two connected streams (socketpair), registered with the current runtime.
  static Result<std::pair<UnixStream, UnixStream>> pair();
  // Takes over a connected AF_UNIX stream socket fd.
  static Result<UnixStream> from_std(int fd);

  UnixStream(UnixStream&&) noexcept = default;
  UnixStream& operator=(UnixStream&&) noexcept = default;

  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf);
  Poll<Result<void>> poll_read_ready(Context& cx) { return io_.poll_ready(cx, Interest::readable); }
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf);
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx, std::span<const io::ConstBuffer> bufs);
  // sendfile(2): up to `count` bytes of `file_fd` from `offset` (advanced by what was sent).
  Poll<Result<std::size_t>> poll_sendfile(Context& cx, int file_fd, std::uint64_t& offset,
                                          std::size_t count);
  Poll<Result<void>> poll_write_ready(Context& cx) {
    return io_.poll_ready(cx, Interest::writable);
  }
  Poll<Result<void>> poll_flush(Context&) { return Result<void>{}; }
  Poll<Result<void>> poll_shutdown(Context&) { return shutdown_write_now(); }

  // read(buf), write(buf), readable(), writable(), split(), into_split(): detail::StreamOps.
  Result<std::size_t> try_read(io::MutableBuffer buf);
  Result<std::size_t> try_write(io::ConstBuffer buf);

  Result<void> shutdown(Shutdown how) { return detail::shutdown(io_.fd(), how); }
  Result<void> shutdown_write_now() { return shutdown(Shutdown::write); }

  Result<UnixAddr> local_addr() const;
  Result<UnixAddr> peer_addr() const;
  Result<UCred> peer_cred() const;
  Result<std::optional<Error>> take_error() { return detail::take_error(io_.fd()); }
  int fd() const noexcept { return io_.fd(); }

 private:
  friend class UnixConnectFuture;
  friend class UnixListener;
  explicit UnixStream(io::EventedFd io) noexcept : io_(std::move(io)) {}
  io::EventedFd io_;
};

class [[nodiscard]] UnixConnectFuture {
 public:
  explicit UnixConnectFuture(const UnixAddr& addr) noexcept : addr_(addr) {}
  Poll<Result<UnixStream>> poll(Context& cx);

 private:
  UnixAddr addr_;
};

inline UnixConnectFuture UnixStream::connect(const UnixAddr& addr) noexcept {
  return UnixConnectFuture(addr);
}

namespace detail {
Result<UnixAddr> unix_local_addr(int fd);
Result<UnixAddr> unix_peer_addr(int fd);
}  // namespace detail

}  // namespace strata::net
