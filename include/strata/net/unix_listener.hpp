// UnixListener: a Unix domain stream socket listening for connections.
//
//   auto l = net::UnixListener::bind(*net::UnixAddr::parse("@my-service"));   // abstract name
//   auto [stream, peer] = *co_await l->accept();       // peer is usually unnamed
//
// bind() to a path creates the socket file; it is not removed when the listener closes (as with
// every Unix API): unlink it before binding again, or use an abstract name, which vanishes with
// the socket. Binding a path that exists fails with EADDRINUSE. accept() uses accept4 with
// SOCK_NONBLOCK | SOCK_CLOEXEC; a pending accept future accepts nothing when dropped.
#pragma once

#include <utility>

#include "strata/io/evented_fd.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/net/unix_addr.hpp"
#include "strata/net/unix_stream.hpp"

namespace strata::net {

class UnixListener {
 public:
  static Result<UnixListener> bind(const UnixAddr& addr, int backlog = 1024);
  // Takes over a bound, listening AF_UNIX stream socket fd.
  static Result<UnixListener> from_std(int fd);

  UnixListener(UnixListener&&) noexcept = default;
  UnixListener& operator=(UnixListener&&) noexcept = default;

  Poll<Result<std::pair<UnixStream, UnixAddr>>> poll_accept(Context& cx);
  auto accept() noexcept {
    return io::poll_fn([this](Context& cx) { return poll_accept(cx); });
  }
  Result<UnixAddr> local_addr() const { return detail::unix_local_addr(io_.fd()); }
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UnixListener(io::EventedFd io) noexcept : io_(std::move(io)) {}
  io::EventedFd io_;
};

}  // namespace strata::net
