// Helpers for the socket tests: loopback addresses, an echo server task, and the io test helpers.
#pragma once

#include <cstdint>

#include "../io/io_test_util.hpp"
#include "strata/net.hpp"

namespace strata::test {

inline net::SocketAddr loopback(std::uint16_t port = 0) {
  return net::SocketAddrV4(net::Ipv4Addr::localhost, port);
}
inline net::SocketAddr loopback6(std::uint16_t port = 0) {
  return net::SocketAddrV6(net::Ipv6Addr::localhost, port);
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
