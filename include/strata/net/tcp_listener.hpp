// TcpListener: a TCP socket listening for connections.
//
//   Task<void> serve(net::TcpStream s) { co_await io::write_all(s, io::as_bytes("hello\n")); }
//
//   auto listener = net::TcpListener::bind(*net::SocketAddr::parse("127.0.0.1:0"));
//   std::printf("listening on %s\n", listener->local_addr()->to_string().c_str());
//   for (;;) {
//     Result<std::pair<net::TcpStream, net::SocketAddr>> c = co_await listener->accept();
//     if (!c) { log(c.error().message()); co_await sleep(10ms); continue; }   // e.g. EMFILE
//     spawn(serve(std::move(c->first)));
//   }
//
// bind() creates the socket (non-blocking, close-on-exec), sets SO_REUSEADDR (and SO_REUSEPORT
// if asked) before binding, and listens with `backlog` (the kernel caps it at
// net.core.somaxconn). accept() uses accept4(SOCK_NONBLOCK | SOCK_CLOEXEC); each accepted stream
// registers with the reactor of the thread that polls accept(). ECONNABORTED (a connection reset
// while queued) is skipped; other errors (EMFILE, ENFILE, ENOBUFS) are returned and the listener
// stays usable. Cancellation: dropping a pending accept future accepts nothing — the connection
// stays queued for the next accept(). One task accepts at a time.
#pragma once

#include <utility>

#include "strata/io/evented_fd.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/net/socket.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/net/tcp_stream.hpp"

namespace strata::net {

class TcpListener {
 public:
  static Result<TcpListener> bind(const SocketAddr& addr, int backlog = 1024,
                                  ReuseOptions reuse = {});
  // Takes over a socket that is bound and listening (Socket::listen() done).
  static Result<TcpListener> from_socket(Socket socket);
  // Takes over a listening socket fd (made non-blocking and close-on-exec).
  static Result<TcpListener> from_std(int fd);

  TcpListener(TcpListener&&) noexcept = default;
  TcpListener& operator=(TcpListener&&) noexcept = default;

  // The next connection and its peer address.
  Poll<Result<std::pair<TcpStream, SocketAddr>>> poll_accept(Context& cx);
  auto accept() noexcept {
    return io::poll_fn([this](Context& cx) { return poll_accept(cx); });
  }

  Result<SocketAddr> local_addr() const { return detail::local_addr(io_.fd()); }
  Result<void> set_ttl(std::uint32_t ttl) { return detail::set_ttl(io_.fd(), ttl); }
  Result<std::uint32_t> ttl() const { return detail::get_ttl(io_.fd()); }
  Result<std::optional<Error>> take_error() { return detail::take_error(io_.fd()); }
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit TcpListener(io::EventedFd io) noexcept : io_(std::move(io)) {}
  io::EventedFd io_;
};

}  // namespace strata::net
