// Unix domain sockets: UnixAddr text forms, stream echo over a path and an abstract name,
// socketpair, peer credentials, datagrams, typed errors.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <string>

#include "net_test_util.hpp"

namespace strata::test {
namespace {

using net::UnixAddr;
using net::UnixDatagram;
using net::UnixListener;
using net::UnixStream;

std::string temp_path(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  std::string p =
      std::string(dir ? dir : "/tmp") + "/strata-" + std::to_string(::getpid()) + "-" + name;
  ::unlink(p.c_str());
  return p;
}

std::string unique_abstract(const char* name) {
  return "@strata-test-" + std::to_string(::getpid()) + "-" + name;
}

TEST(UnixAddr, paths_abstract_names_and_unnamed) {
  auto p = UnixAddr::parse("/run/app.sock");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->is_pathname());
  EXPECT_EQ(p->path(), "/run/app.sock");
  EXPECT_EQ(p->to_string(), "/run/app.sock");

  auto a = UnixAddr::parse("@control");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_abstract());
  EXPECT_EQ(a->abstract_name(), "control");
  EXPECT_EQ(a->to_string(), "@control");
  EXPECT_EQ(*a, *UnixAddr::abstract("control"));
  EXPECT_EQ(*a, *UnixAddr::parse(std::string_view("\0control", 8)));

  auto dot = UnixAddr::parse("./@literal");  // a path that starts with '@'
  ASSERT_TRUE(dot);
  EXPECT_TRUE(dot->is_pathname());

  EXPECT_TRUE(UnixAddr().is_unnamed());
  EXPECT_EQ(UnixAddr().to_string(), "(unnamed)");
  EXPECT_FALSE(UnixAddr::parse(""));
  EXPECT_FALSE(UnixAddr::parse(std::string(UnixAddr::max_name_len + 1, 'x')));
  EXPECT_TRUE(UnixAddr::parse(std::string(UnixAddr::max_name_len, 'x')));
  EXPECT_FALSE(UnixAddr::pathname(std::string_view("a\0b", 3)));
  auto bad = UnixAddr::abstract(std::string(UnixAddr::max_name_len + 1, 'x'));
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error() == Errc::invalid_input);
}

Task<void> unix_echo_connection(UnixStream s) {
  auto n = co_await io::copy(s, s);
  if (!n) ADD_FAILURE() << n.error().message();
}

Task<void> unix_echo_server(UnixListener& l, int count) {
  std::vector<JoinHandle<void>> conns;
  for (int i = 0; i < count; ++i) {
    auto c = co_await l.accept();
    CO_ASSERT_OK(c);
    EXPECT_TRUE(c->second.is_unnamed());  // clients did not bind
    conns.push_back(spawn(unix_echo_connection(std::move(c->first))));
  }
  for (auto& h : conns) co_await h;
}

Task<void> unix_client(UnixAddr addr, std::string msg) {
  auto s = co_await UnixStream::connect(addr);
  CO_ASSERT_OK(s);
  auto who = s->peer_cred();
  CO_ASSERT_OK(who);
  EXPECT_EQ(who->pid, ::getpid());
  EXPECT_EQ(who->uid, ::getuid());
  EXPECT_EQ(*s->peer_addr(), addr);
  CO_ASSERT_OK(co_await io::write_all(*s, io::as_bytes(msg)));
  CO_ASSERT_OK(s->shutdown(net::Shutdown::write));
  std::string back;
  CO_ASSERT_OK(co_await io::read_to_end(*s, back));
  EXPECT_EQ(back, msg);
}

Task<void> unix_echo(UnixAddr addr) {
  auto l = UnixListener::bind(addr);
  CO_ASSERT_OK(l);
  EXPECT_EQ(*l->local_addr(), addr);
  auto server = spawn(unix_echo_server(*l, 3));
  std::vector<JoinHandle<void>> cs;
  for (int i = 0; i < 3; ++i) {
    cs.push_back(
        spawn(unix_client(addr, std::string(100'000 * (i + 1), static_cast<char>('a' + i)))));
  }
  for (auto& h : cs) co_await h;
  co_await server;
}

STRATA_TEST_ALL_FLAVOURS(UnixStream, echo_over_a_filesystem_path) {
  std::string path = temp_path("echo.sock");
  run(unix_echo(*UnixAddr::pathname(path)));
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0);  // the socket file stays: the caller removes it
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  ::unlink(path.c_str());
}

STRATA_TEST_ALL_FLAVOURS(UnixStream, echo_over_an_abstract_name) {
  run(unix_echo(*UnixAddr::parse(unique_abstract("echo"))));
}

Task<void> connect_errors_are_typed() {
  auto missing = UnixAddr::pathname(temp_path("nobody-here.sock"));
  auto s = co_await UnixStream::connect(*missing);
  CO_ASSERT_TRUE(!s);
  EXPECT_TRUE(s.error() == std::errc::no_such_file_or_directory);
  EXPECT_EQ(s.error().context(), "connect " + missing->to_string());
  auto abs = UnixAddr::parse(unique_abstract("nobody"));
  auto t = co_await UnixStream::connect(*abs);
  CO_ASSERT_TRUE(!t);
  EXPECT_TRUE(t.error() == std::errc::connection_refused);
  auto l = UnixListener::bind(*abs);
  CO_ASSERT_OK(l);
  auto dup = UnixListener::bind(*abs);
  CO_ASSERT_TRUE(!dup);
  EXPECT_TRUE(dup.error() == std::errc::address_in_use);
  EXPECT_EQ(dup.error().context(), "bind " + abs->to_string());
}
STRATA_TEST_ALL_FLAVOURS(UnixStream, connect_errors_are_typed) {
  run(connect_errors_are_typed());
}

Task<void> socketpair_streams_split_across_tasks(UnixStream* a, std::string* got) {
  auto [rd, wr] = a->split();
  (void)wr;
  CO_ASSERT_OK(co_await io::read_to_end(rd, *got));
}

Task<void> pair_is_connected_both_ways() {
  auto p = UnixStream::pair();
  CO_ASSERT_OK(p);
  auto& [a, b] = *p;
  EXPECT_TRUE(a.peer_addr()->is_unnamed());
  EXPECT_EQ(a.peer_cred()->pid, ::getpid());
  std::string got;
  auto h = spawn(socketpair_streams_split_across_tasks(&a, &got));
  CO_ASSERT_OK(co_await io::write_all(b, io::as_bytes(std::string(1'000'000, 'p'))));
  CO_ASSERT_OK(b.shutdown(net::Shutdown::write));
  co_await h;
  EXPECT_EQ(got.size(), 1'000'000u);
}
STRATA_TEST_ALL_FLAVOURS(UnixStream, pair_is_connected_both_ways) {
  run(pair_is_connected_both_ways());
}

Task<void> datagrams(UnixAddr server_addr, UnixAddr client_addr) {
  auto server = UnixDatagram::bind(server_addr);
  CO_ASSERT_OK(server);
  auto client = UnixDatagram::bind(client_addr);
  CO_ASSERT_OK(client);
  std::array<std::byte, 256> buf;
  for (int i = 0; i < 10; ++i) {
    std::string msg = "dgram " + std::to_string(i);
    CO_ASSERT_OK(co_await client->send_to(io::as_bytes(msg), server_addr));
    auto r = co_await server->recv_from(buf);
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->second, client_addr);
    EXPECT_EQ(to_string(std::span(buf).first(r->first)), msg);
    CO_ASSERT_OK(co_await server->send_to(std::span(buf).first(r->first), r->second));
    auto back = co_await client->recv(buf);
    CO_ASSERT_OK(back);
    EXPECT_EQ(*back, msg.size());
  }
  // Unbound senders are unnamed; connected sockets use send/recv.
  auto anon = UnixDatagram::unbound();
  CO_ASSERT_OK(anon);
  CO_ASSERT_OK(anon->connect(server_addr));
  CO_ASSERT_OK(co_await anon->send(io::as_bytes("anon")));
  auto r = co_await server->recv_from(buf);
  CO_ASSERT_OK(r);
  EXPECT_TRUE(r->second.is_unnamed());
}

STRATA_TEST_ALL_FLAVOURS(UnixDatagram, echo_over_paths) {
  std::string s = temp_path("dgram-server.sock"), c = temp_path("dgram-client.sock");
  run(datagrams(*UnixAddr::pathname(s), *UnixAddr::pathname(c)));
  ::unlink(s.c_str());
  ::unlink(c.c_str());
}

STRATA_TEST_ALL_FLAVOURS(UnixDatagram, echo_over_abstract_names) {
  run(datagrams(*UnixAddr::parse(unique_abstract("dgram-server")),
                *UnixAddr::parse(unique_abstract("dgram-client"))));
}

Task<void> a_full_receiver_queue_makes_the_sender_wait() {
  auto p = UnixDatagram::pair();
  CO_ASSERT_OK(p);
  auto& [a, b] = *p;
  std::string dgram(1000, 'd');
  int sent = 0;
  for (;;) {  // Unix datagrams are never dropped: the sender waits once the queue is full
    auto t = co_await timeout(std::chrono::milliseconds(20), a.send(io::as_bytes(dgram)));
    if (!t) break;
    CO_ASSERT_OK(*t);
    ++sent;
    CO_ASSERT_TRUE(sent < 100'000);
  }
  EXPECT_GT(sent, 0);
  std::array<std::byte, 2000> buf;
  for (int i = 0; i < sent; ++i) {
    auto n = co_await b.recv(buf);
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 1000u);
  }
  auto none = co_await timeout(std::chrono::milliseconds(10), b.recv(buf));
  EXPECT_FALSE(none);  // exactly `sent` datagrams: the cancelled send sent nothing
}
STRATA_TEST_ALL_FLAVOURS(UnixDatagram, a_full_receiver_queue_makes_the_sender_wait) {
  run(a_full_receiver_queue_makes_the_sender_wait());
}

}  // namespace
}  // namespace strata::test
