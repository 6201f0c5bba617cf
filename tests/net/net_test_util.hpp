// Helpers for the socket tests: loopback addresses, an echo server task, and the io test helpers.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "../io/io_test_util.hpp"
#include "strata/net.hpp"

namespace strata::test {

inline net::SocketAddr loopback(std::uint16_t port = 0) {
  return net::SocketAddrV4(net::Ipv4Addr::localhost, port);
}
inline net::SocketAddr loopback6(std::uint16_t port = 0) {
  return net::SocketAddrV6(net::Ipv6Addr::localhost, port);
}

// A loopback address nobody listens on: a port that was bound and closed again, so that a
// connect to it is refused (ECONNREFUSED) at once.
inline Result<net::SocketAddr> refused_addr(bool v6 = false) {
  auto l = net::TcpListener::bind(v6 ? loopback6() : loopback());
  if (!l) return fail(l.error());
  return l->local_addr();
}

// A loopback listener with one connection made to it and accepted: a test's two ends.
struct TcpPair {
  net::TcpListener listener;
  net::TcpStream client;        // connected to `listener`
  net::TcpStream server;        // the accepted end
  net::SocketAddr client_addr;  // the peer address accept() reported
};

inline Task<Result<TcpPair>> tcp_pair() {
  auto l = net::TcpListener::bind(loopback());
  if (!l) co_return fail(l.error());
  auto addr = l->local_addr();
  if (!addr) co_return fail(addr.error());
  auto s = co_await net::TcpStream::connect(*addr);
  if (!s) co_return fail(s.error());
  auto c = co_await l->accept();
  if (!c) co_return fail(c.error());
  TcpPair pair{std::move(*l), std::move(*s), std::move(c->first), c->second};
  co_return std::move(pair);
}

// Echoes one connection until the peer half-closes, then closes.
inline Task<void> echo_connection(net::TcpStream s) {
  auto n = co_await io::copy(s, s);
  if (!n) ADD_FAILURE() << "echo: " << n.error().message();
}

// Accepts `count` connections and echoes each in its own task.
inline Task<void> echo_server(net::TcpListener& l, int count) {
  std::vector<JoinHandle<void>> conns;
  for (int i = 0; i < count; ++i) {
    auto c = co_await l.accept();
    CO_ASSERT_OK(c);
    conns.push_back(spawn(echo_connection(std::move(c->first))));
  }
  for (auto& h : conns) co_await h;
}

}  // namespace strata::test
