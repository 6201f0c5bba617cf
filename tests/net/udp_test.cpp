// UdpSocket over loopback: echo with send_to/recv_from, connected send/recv, truncation,
// broadcast and multicast options, IPv4 multicast delivery on lo, cancellation.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "net_test_util.hpp"

namespace strata::test {
namespace {

using net::SocketAddr;
using net::UdpSocket;

Task<void> udp_echo_server(UdpSocket& s, int datagrams) {
  std::array<std::byte, 2048> buf;
  for (int i = 0; i < datagrams; ++i) {
    auto r = co_await s.recv_from(buf);
    CO_ASSERT_OK(r);
    auto [n, from] = *r;
    auto sent = co_await s.send_to(std::span(buf).first(n), from);
    CO_ASSERT_OK(sent);
    EXPECT_EQ(*sent, n);
  }
}

Task<void> udp_echo() {
  auto server = UdpSocket::bind(loopback());
  auto client = UdpSocket::bind(loopback());
  CO_ASSERT_OK(server);
  CO_ASSERT_OK(client);
  const SocketAddr server_addr = *server->local_addr();
  auto h = spawn(udp_echo_server(*server, 20));
  std::array<std::byte, 2048> buf;
  for (int i = 0; i < 20; ++i) {
    std::string msg = "datagram #" + std::to_string(i) + std::string(i * 50, '.');
    CO_ASSERT_OK(co_await client->send_to(io::as_bytes(msg), server_addr));
    auto r = co_await client->recv_from(buf);
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->second, server_addr);
    EXPECT_EQ(to_string(std::span(buf).first(r->first)), msg);  // one datagram, whole
  }
  co_await h;
}
STRATA_TEST_ALL_FLAVOURS(Udp, udp_echo) {
  run(udp_echo());
}

Task<void> connected_sockets_use_send_and_recv() {
  auto a = UdpSocket::bind(loopback());
  auto b = UdpSocket::bind(loopback6());
  auto c = UdpSocket::bind(loopback6());
  CO_ASSERT_OK(a);
  CO_ASSERT_OK(b);
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(c->connect(*b->local_addr()));
  CO_ASSERT_OK(b->connect(*c->local_addr()));
  EXPECT_EQ(*c->peer_addr(), *b->local_addr());
  CO_ASSERT_OK(co_await c->send(io::as_bytes("hello v6")));
  std::array<std::byte, 64> buf;
  auto n = co_await b->recv(buf);
  CO_ASSERT_OK(n);
  EXPECT_EQ(to_string(std::span(buf).first(*n)), "hello v6");
  // A datagram larger than the buffer is truncated to it.
  CO_ASSERT_OK(co_await b->send(io::as_bytes("0123456789")));
  std::array<std::byte, 4> small;
  n = co_await c->recv(small);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(to_string(small), "0123");
}
STRATA_TEST_ALL_FLAVOURS(Udp, connected_sockets_use_send_and_recv) {
  run(connected_sockets_use_send_and_recv());
}

Task<void> a_cancelled_recv_loses_no_datagram() {
  auto a = UdpSocket::bind(loopback());
  auto b = UdpSocket::bind(loopback());
  CO_ASSERT_OK(a);
  CO_ASSERT_OK(b);
  std::array<std::byte, 64> buf;
  auto t = co_await timeout(std::chrono::milliseconds(10), b->recv_from(buf));
  EXPECT_FALSE(t);
  CO_ASSERT_OK(co_await a->send_to(io::as_bytes("kept"), *b->local_addr()));
  auto r = co_await b->recv_from(buf);
  CO_ASSERT_OK(r);
  EXPECT_EQ(to_string(std::span(buf).first(r->first)), "kept");
}
STRATA_TEST_ALL_FLAVOURS(Udp, a_cancelled_recv_loses_no_datagram) {
  run(a_cancelled_recv_loses_no_datagram());
}

Task<void> send_to_an_unreachable_port_reports_refused_on_a_connected_socket() {
  SocketAddr gone;
  {
    auto s = UdpSocket::bind(loopback());
    CO_ASSERT_OK(s);
    gone = *s->local_addr();
  }
  auto c = UdpSocket::bind(loopback());
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(c->connect(gone));
  CO_ASSERT_OK(co_await c->send(io::as_bytes("anyone?")));
  std::array<std::byte, 16> buf;
  auto r = co_await timeout(std::chrono::seconds(2), c->recv(buf));  // ICMP port unreachable
  CO_ASSERT_OK(r);
  CO_ASSERT_TRUE(!*r);
  EXPECT_TRUE(r->error() == std::errc::connection_refused) << r->error().message();
}
STRATA_TEST_ALL_FLAVOURS(Udp, send_to_an_unreachable_port_reports_refused_on_a_connected_socket) {
  run(send_to_an_unreachable_port_reports_refused_on_a_connected_socket());
}

Task<void> options_broadcast_ttl_multicast() {
  auto s = UdpSocket::bind(SocketAddr(net::SocketAddrV4(net::Ipv4Addr::unspecified, 0)));
  CO_ASSERT_OK(s);
  CO_ASSERT_OK(s->set_broadcast(true));
  EXPECT_EQ(s->broadcast(), true);
  CO_ASSERT_OK(s->set_ttl(9));
  EXPECT_EQ(s->ttl(), 9u);
  CO_ASSERT_OK(s->set_multicast_ttl_v4(3));
  EXPECT_EQ(s->multicast_ttl_v4(), 3u);
  CO_ASSERT_OK(s->set_multicast_loop_v4(true));
  auto v6 = UdpSocket::bind(SocketAddr(net::SocketAddrV6(net::Ipv6Addr::unspecified, 0)));
  CO_ASSERT_OK(v6);
  const auto group6 = *net::Ipv6Addr::parse("ff02::1:3");
  CO_ASSERT_OK(v6->join_multicast_v6(group6, 1));  // interface 1: lo
  CO_ASSERT_OK(v6->set_multicast_loop_v6(true));
  CO_ASSERT_OK(v6->leave_multicast_v6(group6, 1));
  auto again = v6->leave_multicast_v6(group6, 1);  // not a member any more
  CO_ASSERT_TRUE(!again);
  EXPECT_EQ(again.error().context(), "leave multicast ff02::1:3");
}
STRATA_TEST_ALL_FLAVOURS(Udp, options_broadcast_ttl_multicast) {
  run(options_broadcast_ttl_multicast());
}

Task<void> ipv4_multicast_is_delivered_on_loopback() {
  const net::Ipv4Addr group(239, 255, 0, 77);
  auto rx = UdpSocket::bind(SocketAddr(net::SocketAddrV4(net::Ipv4Addr::unspecified, 0)));
  CO_ASSERT_OK(rx);
  CO_ASSERT_OK(rx->join_multicast_v4(group, net::Ipv4Addr::localhost));
  auto tx = UdpSocket::bind(loopback());
  CO_ASSERT_OK(tx);
  CO_ASSERT_OK(tx->set_multicast_if_v4(net::Ipv4Addr::localhost));
  CO_ASSERT_OK(tx->set_multicast_loop_v4(true));
  const SocketAddr to(net::SocketAddrV4(group, rx->local_addr()->port()));
  CO_ASSERT_OK(co_await tx->send_to(io::as_bytes("to the group"), to));
  std::array<std::byte, 64> buf;
  auto r = co_await timeout(std::chrono::seconds(2), rx->recv_from(buf));
  CO_ASSERT_OK(r);
  CO_ASSERT_OK(*r);
  EXPECT_EQ(to_string(std::span(buf).first((*r)->first)), "to the group");
  EXPECT_EQ((*r)->second, *tx->local_addr());
  CO_ASSERT_OK(rx->leave_multicast_v4(group, net::Ipv4Addr::localhost));
}
STRATA_TEST_ALL_FLAVOURS(Udp, ipv4_multicast_is_delivered_on_loopback) {
  run(ipv4_multicast_is_delivered_on_loopback());
}

}  // namespace
}  // namespace strata::test
