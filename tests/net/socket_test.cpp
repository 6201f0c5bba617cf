// net::Socket: creation flags, option round trips, bind/listen, addresses and typed errors.
#include "strata/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "net_test_util.hpp"

namespace strata::test {
namespace {

using net::Socket;

TEST(Socket, is_non_blocking_and_close_on_exec) {
  auto s = Socket::create(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(::fcntl(s->fd(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(s->fd(), F_GETFL) & O_NONBLOCK);
  int raw = ::socket(AF_INET, SOCK_DGRAM, 0);
  auto adopted = Socket::from_fd(raw);
  ASSERT_TRUE(adopted);
  EXPECT_TRUE(::fcntl(raw, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(raw, F_GETFL) & O_NONBLOCK);
}

TEST(Socket, options_round_trip) {
  auto s = Socket::create_for(loopback6(), SOCK_STREAM);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->set_reuse_address(true));
  EXPECT_EQ(s->reuse_address(), true);
  ASSERT_TRUE(s->set_reuse_port(true));
  EXPECT_EQ(s->reuse_port(), true);
  ASSERT_TRUE(s->set_nodelay(true));
  EXPECT_EQ(s->nodelay(), true);
  ASSERT_TRUE(s->set_keepalive(true));
  EXPECT_EQ(s->keepalive(), true);
  ASSERT_TRUE(s->set_keepalive_params(std::chrono::seconds(30), std::chrono::seconds(5), 4));
  EXPECT_EQ(s->option<int>(IPPROTO_TCP, TCP_KEEPCNT), 4);
  ASSERT_TRUE(s->set_linger(std::chrono::seconds(1)));
  EXPECT_EQ(**s->linger(), std::chrono::seconds(1));
  ASSERT_TRUE(s->set_ttl(33));  // IPv6: IPV6_UNICAST_HOPS
  EXPECT_EQ(s->ttl(), 33u);
  ASSERT_TRUE(s->set_only_v6(true));
  EXPECT_EQ(s->only_v6(), true);
  ASSERT_TRUE(s->set_recv_buffer_size(64 * 1024));
  EXPECT_GE(*s->recv_buffer_size(), 64u * 1024);  // Linux doubles it
  ASSERT_TRUE(s->set_send_buffer_size(64 * 1024));
  EXPECT_GE(*s->send_buffer_size(), 64u * 1024);
  ASSERT_TRUE(s->set_option(IPPROTO_TCP, TCP_USER_TIMEOUT, 5000u));
  EXPECT_EQ(s->option<unsigned>(IPPROTO_TCP, TCP_USER_TIMEOUT), 5000u);
  auto u = Socket::create(AF_INET, SOCK_DGRAM);
  ASSERT_TRUE(u);
  ASSERT_TRUE(u->set_broadcast(true));
  EXPECT_EQ(u->broadcast(), true);
}

TEST(Socket, bind_listen_and_addresses) {
  auto s = Socket::create(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->bind(loopback()));
  ASSERT_TRUE(s->listen(8));
  auto local = s->local_addr();
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->ip().is_loopback());
  auto peer = s->peer_addr();
  ASSERT_FALSE(peer);
  EXPECT_TRUE(peer.error() == std::errc::not_connected);
  auto e = s->take_error();
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->has_value());

  auto other = Socket::create(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(other);
  auto r = other->bind(*local);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error() == std::errc::address_in_use);
  EXPECT_EQ(r.error().context(), "bind " + local->to_string());
  EXPECT_EQ(r.error().message().rfind("bind 127.0.0.1:", 0), 0u);
}

TEST(Socket, release_gives_up_ownership) {
  auto s = Socket::create(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s);
  int fd = s->release();
  EXPECT_EQ(s->fd(), -1);
  { Socket gone = std::move(*s); }
  EXPECT_EQ(::fcntl(fd, F_GETFD) >= 0, true);  // still open
  ::close(fd);
}

}  // namespace
}  // namespace strata::test
