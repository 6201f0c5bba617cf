// TcpStream: a connected TCP socket — AsyncRead and AsyncWrite over the reactor.
//
//   auto addr = *net::SocketAddr::parse("127.0.0.1:8080");
//   Result<net::TcpStream> s = co_await net::TcpStream::connect(addr);
//   if (!s) co_return fail(s.error());   // "connect 127.0.0.1:8080: Connection refused"
//   co_await io::write_all(*s, io::as_bytes("hello"));
//   std::array<std::byte, 5> reply;
//   co_await io::read_exact(*s, reply);
//
// Connecting:
// - connect(addr): non-blocking connect, waits for writability, checks SO_ERROR.
// - connect(addrs): Happy Eyeballs (RFC 8305 §5): addresses are interleaved by family (starting
//   with the first address's), a new attempt starts every `attempt_delay` (250 ms) or as soon as
//   the previous one fails; the first success wins and the other attempts are cancelled (their
//   sockets closed). All failing: the first error.
// - connect_timeout(addr, d): Errc::timed_out with context "connect ADDR" after d.
//
// I/O: every operation tries the syscall first and waits only on EAGAIN (rt/reactor.hpp). Writes
// use send/sendmsg with MSG_NOSIGNAL: a write to a reset connection is an EPIPE/ECONNRESET
// error, never a SIGPIPE. Errors carry the operation and the peer ("write 127.0.0.1:80").
// readable()/try_read() let a server wait for data with no buffer and read into a pooled one.
//
// Cancellation: dropping a pending read/write/readable future consumes and sends nothing; the
// stream stays usable. Dropping a connect future closes its socket.
// Concurrency: one reader and one writer at a time, which may be two tasks (split()).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "strata/io/async_io.hpp"
#include "strata/io/evented_fd.hpp"
#include "strata/net/detail/stream_ops.hpp"
#include "strata/net/socket.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/net/split.hpp"
#include "strata/rt/time.hpp"

namespace strata::net {

class ConnectFuture;
class HappyEyeballsFuture;
class ConnectTimeoutFuture;

class TcpStream : public detail::StreamOps<TcpStream> {
 public:
  // Connects to one address.
  static ConnectFuture connect(const SocketAddr& addr) noexcept;
  // Connects to the first reachable of several addresses (Happy Eyeballs, RFC 8305).
  static HappyEyeballsFuture connect(std::span<const SocketAddr> addrs,
                                     Duration attempt_delay = std::chrono::milliseconds(250));
  // connect(addr) with a deadline: Errc::timed_out after `d`.
  static ConnectTimeoutFuture connect_timeout(const SocketAddr& addr, Duration d) noexcept;
  // Takes over a connected socket fd (made non-blocking, close-on-exec) and registers it with
  // the current runtime.
  static Result<TcpStream> from_std(int fd);

  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;
  ~TcpStream() = default;

  // AsyncRead / AsyncReadReady / AsyncWrite / AsyncWriteVectored.
  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf);
  Poll<Result<void>> poll_read_ready(Context& cx);
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf);
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx, std::span<const io::ConstBuffer> bufs);
  Poll<Result<void>> poll_write_ready(Context& cx);
  // sendfile(2): up to `count` bytes of `file_fd` from `offset` (advanced by what was sent).
  Poll<Result<std::size_t>> poll_sendfile(Context& cx, int file_fd, std::uint64_t& offset,
                                          std::size_t count);
  Poll<Result<void>> poll_flush(Context&) { return Result<void>{}; }  // nothing is buffered
  // Sends FIN (shutdown(SHUT_WR)); reading stays possible.
  Poll<Result<void>> poll_shutdown(Context&) { return shutdown_write_now(); }

  // From detail::StreamOps: the futures read(buf) / write(buf) (at most buf.size() bytes; see
  // also io::read_exact, io::write_all) and readable() / writable() (wait without a buffer), and
  // the halves split() (borrowed) / into_split() (owned) for two tasks.

  // One non-blocking attempt: std::errc::operation_would_block when there is nothing to read
  // (then await readable() again); 0 at end of stream.
  Result<std::size_t> try_read(io::MutableBuffer buf);
  // Like try_read, but the bytes stay in the socket for the next read (MSG_PEEK): protocol
  // detection (the HTTP/2 preface) before a reader takes over.
  Result<std::size_t> try_peek(io::MutableBuffer buf);
  Result<std::size_t> try_write(io::ConstBuffer buf);

  Result<void> shutdown(Shutdown how);
  Result<void> shutdown_write_now() { return shutdown(Shutdown::write); }

  Result<SocketAddr> local_addr() const { return detail::local_addr(io_.fd()); }
  // The address connected to (kept from connect/accept; no syscall).
  SocketAddr peer_addr() const noexcept { return peer_; }
  Result<void> set_nodelay(bool on);
  Result<bool> nodelay() const;
  Result<void> set_keepalive(bool on);
  Result<bool> keepalive() const;
  Result<void> set_linger(std::optional<std::chrono::seconds> linger) {
    return detail::set_linger(io_.fd(), linger);
  }
  Result<std::optional<std::chrono::seconds>> linger() const {
    return detail::get_linger(io_.fd());
  }
  Result<void> set_ttl(std::uint32_t ttl) { return detail::set_ttl(io_.fd(), ttl); }
  Result<std::uint32_t> ttl() const { return detail::get_ttl(io_.fd()); }
  Result<std::optional<Error>> take_error() { return detail::take_error(io_.fd()); }
  int fd() const noexcept { return io_.fd(); }

 private:
  friend class ConnectFuture;
  friend class TcpListener;
  TcpStream(io::EventedFd io, const SocketAddr& peer) noexcept : io_(std::move(io)), peer_(peer) {}

  io::EventedFd io_;
  SocketAddr peer_;
};

// The future of TcpStream::connect(addr). The socket is created at the first poll.
class [[nodiscard]] ConnectFuture {
 public:
  explicit ConnectFuture(const SocketAddr& addr) noexcept : addr_(addr) {}
  ConnectFuture(ConnectFuture&&) noexcept = default;
  Poll<Result<TcpStream>> poll(Context& cx);
  const SocketAddr& addr() const noexcept { return addr_; }

 private:
  SocketAddr addr_;
  std::optional<io::EventedFd> io_;
};

// The future of TcpStream::connect(addrs): Happy Eyeballs over the addresses.
class [[nodiscard]] HappyEyeballsFuture {
 public:
  HappyEyeballsFuture(std::span<const SocketAddr> addrs, Duration attempt_delay);
  HappyEyeballsFuture(HappyEyeballsFuture&&) noexcept = default;
  Poll<Result<TcpStream>> poll(Context& cx);
  // Attempts started so far (for tests and logs).
  std::size_t attempts_started() const noexcept { return next_; }

 private:
  void start_next();

  std::vector<SocketAddr> addrs_;  // in attempt order (families interleaved)
  std::vector<std::optional<ConnectFuture>> attempts_;
  std::size_t next_ = 0;
  Duration delay_;
  Sleep timer_;
  std::optional<Error> first_error_;
};

class [[nodiscard]] ConnectTimeoutFuture {
 public:
  ConnectTimeoutFuture(const SocketAddr& addr, Duration d) noexcept
      : inner_(ConnectFuture(addr), Clock::now() + d), addr_(addr) {}
  Poll<Result<TcpStream>> poll(Context& cx);

 private:
  Timeout<ConnectFuture> inner_;
  SocketAddr addr_;
};

inline ConnectFuture TcpStream::connect(const SocketAddr& addr) noexcept {
  return ConnectFuture(addr);
}
inline HappyEyeballsFuture TcpStream::connect(std::span<const SocketAddr> addrs,
                                              Duration attempt_delay) {
  return HappyEyeballsFuture(addrs, attempt_delay);
}
inline ConnectTimeoutFuture TcpStream::connect_timeout(const SocketAddr& addr,
                                                       Duration d) noexcept {
  return ConnectTimeoutFuture(addr, d);
}

}  // namespace strata::net
