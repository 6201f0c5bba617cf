// TcpListener and TcpStream over loopback: echo, half-close, resets, refused and timed-out
// connects, Happy Eyeballs, split halves from two tasks, cancellation, options.
#include <fcntl.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>
#include <vector>

#include "net_test_util.hpp"

namespace strata::test {
namespace {

using net::SocketAddr;
using net::TcpListener;
using net::TcpStream;

std::string pattern(std::size_t n, std::size_t seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

Task<void> client_round_trip(SocketAddr addr, std::size_t size, std::size_t seed) {
  auto s = co_await TcpStream::connect(addr);
  CO_ASSERT_OK(s);
  std::string msg = pattern(size, seed);
  CO_ASSERT_OK(co_await io::write_all(*s, io::as_bytes(msg)));
  CO_ASSERT_OK(s->shutdown(net::Shutdown::write));
  std::string back;
  CO_ASSERT_OK(co_await io::read_to_end(*s, back));
  EXPECT_EQ(back.size(), msg.size());
  EXPECT_TRUE(back == msg);
}

Task<void> echo_server_and_clients(int clients, std::size_t size) {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto addr = l->local_addr();
  CO_ASSERT_OK(addr);
  EXPECT_TRUE(addr->ip().is_loopback());
  EXPECT_NE(addr->port(), 0);
  auto server = spawn(echo_server(*l, clients));
  std::vector<JoinHandle<void>> cs;
  for (int i = 0; i < clients; ++i) cs.push_back(spawn(client_round_trip(*addr, size, i)));
  for (auto& h : cs) co_await h;
  co_await server;
}

STRATA_TEST_ALL_FLAVOURS(Tcp, echo_server_and_client) {
  run(echo_server_and_clients(1, 5));
}
TEST(Tcp, echo_many_clients_large_messages_multi_thread) {
  run_multi(echo_server_and_clients(64, 200'000), 2, 30s);
}

Task<void> echo_over_ipv6() {
  auto l = TcpListener::bind(loopback6());
  CO_ASSERT_OK(l);
  auto server = spawn(echo_server(*l, 1));
  co_await client_round_trip(*l->local_addr(), 1000, 3);
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, echo_over_ipv6) {
  run(echo_over_ipv6());
}

Task<void> connect_refused_is_a_typed_error() {
  auto addr = refused_addr();
  CO_ASSERT_OK(addr);
  auto s = co_await TcpStream::connect(*addr);
  CO_ASSERT_TRUE(!s);
  EXPECT_TRUE(s.error() == std::errc::connection_refused) << s.error().message();
  EXPECT_EQ(s.error().context(), "connect " + addr->to_string());
}
STRATA_TEST_ALL_FLAVOURS(Tcp, connect_refused_is_a_typed_error) {
  run(connect_refused_is_a_typed_error());
}

Task<void> bind_in_use_is_a_typed_error() {
  auto a = TcpListener::bind(loopback());
  CO_ASSERT_OK(a);
  auto addr = *a->local_addr();
  auto b = TcpListener::bind(addr);
  CO_ASSERT_TRUE(!b);
  EXPECT_TRUE(b.error() == std::errc::address_in_use);
  EXPECT_EQ(b.error().context(), "bind " + addr.to_string());
  // With SO_REUSEPORT on both, two listeners share the port.
  auto c = TcpListener::bind(loopback(), 16, {.address = true, .port = true});
  CO_ASSERT_OK(c);
  auto d = TcpListener::bind(*c->local_addr(), 16, {.address = true, .port = true});
  CO_ASSERT_OK(d);
}
STRATA_TEST_ALL_FLAVOURS(Tcp, bind_in_use_is_a_typed_error) {
  run(bind_in_use_is_a_typed_error());
}

// A listener that never accepts and whose accept queue is full: Linux then drops incoming SYNs
// (net.ipv4.tcp_abort_on_overflow = 0), so a connect to it stays in SYN_SENT — a connect that
// hangs, on loopback, with no firewall. backlog 0 lets exactly one connection complete.
struct Blackhole {
  TcpListener listener;
  std::vector<TcpStream> fillers;
  SocketAddr addr;
};

Task<Result<Blackhole>> make_blackhole(bool v6 = false) {
  auto l = TcpListener::bind(v6 ? loopback6() : loopback(), 0);
  if (!l) co_return fail(l.error());
  Blackhole b{std::move(*l), {}, {}};
  b.addr = *b.listener.local_addr();
  // Fill the queue until a connect does not complete within 300 ms (a loopback connect that
  // is not dropped completes in well under a millisecond, even under sanitizers and load).
  for (int i = 0; i < 8; ++i) {
    auto s = co_await TcpStream::connect_timeout(b.addr, std::chrono::milliseconds(300));
    if (!s) {
      if (s.error() == Errc::timed_out) co_return std::move(b);
      co_return fail(s.error());
    }
    b.fillers.push_back(std::move(*s));
  }
  co_return fail(Errc::invalid_input, "could not fill the accept queue");
}

Task<void> connect_timeout_is_a_typed_error() {
  auto hole = co_await make_blackhole();
  CO_ASSERT_OK(hole);
  const Instant t0 = Clock::now();
  auto s = co_await TcpStream::connect_timeout(hole->addr, std::chrono::milliseconds(150));
  const auto elapsed = Clock::now() - t0;
  CO_ASSERT_TRUE(!s);
  EXPECT_TRUE(s.error() == Errc::timed_out) << s.error().message();
  EXPECT_EQ(s.error().context(), "connect " + hole->addr.to_string());
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}
STRATA_TEST_ALL_FLAVOURS(Tcp, connect_timeout_is_a_typed_error) {
  run(connect_timeout_is_a_typed_error());
}

Task<void> accept_one(TcpListener& l) {
  auto c = co_await l.accept();
  CO_ASSERT_OK(c);
}

Task<void> happy_eyeballs_starts_the_next_attempt_after_the_delay() {
  auto hole = co_await make_blackhole();
  CO_ASSERT_OK(hole);
  auto good = TcpListener::bind(loopback6());  // other family: interleaved second
  CO_ASSERT_OK(good);
  auto acc = spawn(accept_one(*good));
  const SocketAddr addrs[] = {hole->addr, *good->local_addr()};
  const Instant t0 = Clock::now();
  auto fut = TcpStream::connect(addrs);
  auto s = co_await fut;
  const auto elapsed = Clock::now() - t0;
  CO_ASSERT_OK(s);
  EXPECT_EQ(s->peer_addr(), *good->local_addr());
  EXPECT_EQ(fut.attempts_started(), 2u);
  EXPECT_GE(elapsed, std::chrono::milliseconds(249));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
  co_await acc;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, happy_eyeballs_starts_the_next_attempt_after_the_delay) {
  run(happy_eyeballs_starts_the_next_attempt_after_the_delay());
}

Task<void> happy_eyeballs_moves_on_at_once_after_a_failure() {
  auto refused = refused_addr();
  CO_ASSERT_OK(refused);
  auto good = TcpListener::bind(loopback());
  CO_ASSERT_OK(good);
  auto acc = spawn(accept_one(*good));
  const SocketAddr addrs[] = {*refused, *good->local_addr()};
  const Instant t0 = Clock::now();
  auto s = co_await TcpStream::connect(addrs, std::chrono::seconds(5));
  CO_ASSERT_OK(s);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));  // did not wait for the 5 s delay
  EXPECT_EQ(s->peer_addr(), *good->local_addr());
  co_await acc;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, happy_eyeballs_moves_on_at_once_after_a_failure) {
  run(happy_eyeballs_moves_on_at_once_after_a_failure());
}

Task<void> happy_eyeballs_reports_the_first_error_when_all_fail() {
  auto a = refused_addr();
  auto b = refused_addr(/*v6=*/true);
  CO_ASSERT_OK(a);
  CO_ASSERT_OK(b);
  const SocketAddr addrs[] = {*a, *b};
  auto s = co_await TcpStream::connect(addrs);
  CO_ASSERT_TRUE(!s);
  EXPECT_TRUE(s.error() == std::errc::connection_refused);
  EXPECT_EQ(s.error().context(), "connect " + a->to_string());
  auto none = co_await TcpStream::connect(std::span<const SocketAddr>());
  CO_ASSERT_TRUE(!none);
  EXPECT_TRUE(none.error() == Errc::invalid_input);
}
STRATA_TEST_ALL_FLAVOURS(Tcp, happy_eyeballs_reports_the_first_error_when_all_fail) {
  run(happy_eyeballs_reports_the_first_error_when_all_fail());
}

Task<void> half_close_server(TcpListener& l) {
  auto c = co_await l.accept();
  CO_ASSERT_OK(c);
  TcpStream& s = c->first;
  std::string req;
  CO_ASSERT_OK(co_await io::read_to_end(s, req));  // ends at the client's FIN
  EXPECT_EQ(req, "question");
  CO_ASSERT_OK(co_await io::write_all(s, io::as_bytes("answer to " + req)));
}

Task<void> half_close_lets_the_peer_answer() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto server = spawn(half_close_server(*l));
  auto s = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(s);
  CO_ASSERT_OK(co_await io::write_all(*s, io::as_bytes("question")));
  CO_ASSERT_OK(co_await io::shutdown(*s));  // FIN; we can still read
  std::string reply;
  CO_ASSERT_OK(co_await io::read_to_end(*s, reply));
  EXPECT_EQ(reply, "answer to question");
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, half_close_lets_the_peer_answer) {
  run(half_close_lets_the_peer_answer());
}

Task<void> peer_reset_mid_write_is_an_error_not_a_signal() {
  auto p = co_await tcp_pair();
  CO_ASSERT_OK(p);
  // Start a large write, then have the peer reset the connection (SO_LINGER 0 + close = RST).
  std::string chunk(256 * 1024, 'r');
  CO_ASSERT_OK(co_await io::write(p->client, io::as_bytes(chunk)));
  CO_ASSERT_OK(p->server.set_linger(std::chrono::seconds(0)));
  { TcpStream gone = std::move(p->server); }
  Result<void> r;
  for (int i = 0; i < 100 && r; ++i) r = co_await io::write_all(p->client, io::as_bytes(chunk));
  CO_ASSERT_TRUE(!r);  // the process is still alive: no SIGPIPE
  EXPECT_TRUE(r.error() == std::errc::broken_pipe || r.error() == std::errc::connection_reset)
      << r.error().message();
  EXPECT_EQ(r.error().context(), "write " + p->listener.local_addr()->to_string());
  // Reading reports the reset (or end of stream), without crashing either.
  std::array<std::byte, 16> buf;
  auto n = co_await io::read(p->client, buf);
  EXPECT_TRUE(!n || *n == 0);
}
STRATA_TEST_ALL_FLAVOURS(Tcp, peer_reset_mid_write_is_an_error_not_a_signal) {
  run(peer_reset_mid_write_is_an_error_not_a_signal());
}

Task<void> write_half_task(net::WriteHalf<TcpStream> w, std::size_t total) {
  std::string chunk = pattern(10'000, 1);
  for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
    CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes(chunk)));
  }
  CO_ASSERT_OK(co_await io::shutdown(w));
}

Task<void> read_half_task(net::ReadHalf<TcpStream> r, std::size_t* got) {
  std::array<std::byte, 8192> buf;
  for (;;) {
    auto n = co_await io::read(r, buf);
    CO_ASSERT_OK(n);
    if (*n == 0) co_return;
    *got += *n;
  }
}

Task<void> split_halves_work_from_two_tasks() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto server = spawn(echo_server(*l, 1));
  auto s = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(s);
  auto [rd, wr] = s->split();
  const std::size_t total = 4'000'000;  // far more than the socket buffers: both must run
  std::size_t got = 0;
  auto w = spawn(write_half_task(wr, total));
  auto r = spawn(read_half_task(rd, &got));
  co_await w;
  co_await r;
  EXPECT_EQ(got, total);
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, split_halves_work_from_two_tasks) {
  run(split_halves_work_from_two_tasks(), 30s);
}

Task<void> owned_write(net::OwnedWriteHalf<TcpStream> w) {
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("owned")));
  // Dropping the half shuts the write direction down: the echo server sees end of stream.
}

Task<void> owned_halves_move_to_other_tasks() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto server = spawn(echo_server(*l, 1));
  auto s = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(s);
  auto [rd, wr] = std::move(*s).into_split();
  co_await spawn(owned_write(std::move(wr)));
  std::string back;
  CO_ASSERT_OK(co_await io::read_to_end(rd, back));
  EXPECT_EQ(back, "owned");
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, owned_halves_move_to_other_tasks) {
  run(owned_halves_move_to_other_tasks());
}

Task<void> owned_halves_reunite() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto a = co_await TcpStream::connect(*l->local_addr());
  auto b = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(a);
  CO_ASSERT_OK(b);
  auto [ra, wa] = std::move(*a).into_split();
  auto [rb, wb] = std::move(*b).into_split();
  auto bad = net::reunite(std::move(ra), std::move(wb));
  CO_ASSERT_TRUE(!bad);
  EXPECT_TRUE(bad.error() == Errc::invalid_input);
  auto again = net::reunite(std::move(rb), std::move(wa));  // also mismatched: a's write half
  EXPECT_FALSE(again);
  auto c = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(c);
  const int cfd = c->fd();
  auto [rc, wc] = std::move(*c).into_split();
  auto whole = net::reunite(std::move(rc), std::move(wc));
  CO_ASSERT_OK(whole);
  EXPECT_EQ(whole->fd(), cfd);
}
STRATA_TEST_ALL_FLAVOURS(Tcp, owned_halves_reunite) {
  run(owned_halves_reunite());
}

Task<void> a_cancelled_accept_leaves_the_listener_usable() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto t = co_await timeout(std::chrono::milliseconds(20), l->accept());
  CO_ASSERT_TRUE(!t);  // nobody connected: cancelled by the timeout
  EXPECT_TRUE(t.error() == Errc::timed_out);
  auto s = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(s);
  auto c = co_await timeout(std::chrono::seconds(5), l->accept());
  CO_ASSERT_OK(c);
  CO_ASSERT_OK(*c);
  EXPECT_EQ((*c)->second, *s->local_addr());
}
STRATA_TEST_ALL_FLAVOURS(Tcp, a_cancelled_accept_leaves_the_listener_usable) {
  run(a_cancelled_accept_leaves_the_listener_usable());
}

Task<void> a_cancelled_read_loses_no_data() {
  auto p = co_await tcp_pair();
  CO_ASSERT_OK(p);
  TcpStream& server = p->server;
  std::array<std::byte, 64> buf;
  for (int i = 0; i < 3; ++i) {
    auto t = co_await timeout(std::chrono::milliseconds(10), server.read(buf));
    EXPECT_FALSE(t);  // nothing to read: cancelled
  }
  CO_ASSERT_OK(co_await io::write_all(p->client, io::as_bytes("after cancel")));
  std::array<std::byte, 12> got;
  CO_ASSERT_OK(co_await io::read_exact(server, got));
  EXPECT_EQ(to_string(got), "after cancel");
}
STRATA_TEST_ALL_FLAVOURS(Tcp, a_cancelled_read_loses_no_data) {
  run(a_cancelled_read_loses_no_data());
}

Task<void> a_cancelled_write_sends_nothing_twice() {
  auto p = co_await tcp_pair();
  CO_ASSERT_OK(p);
  // Write until a write has to wait (the peer does not read), counting accepted bytes; cancel
  // the waiting write, then drain the peer: it must receive exactly the accepted bytes.
  std::string chunk = pattern(64 * 1024, 5);
  std::size_t accepted = 0;
  int cancelled = 0;
  for (int i = 0; i < 1000 && cancelled < 3; ++i) {
    auto t = co_await timeout(std::chrono::milliseconds(20), p->client.write(io::as_bytes(chunk)));
    if (!t) {
      ++cancelled;
      continue;
    }
    CO_ASSERT_OK(*t);
    accepted += **t;
  }
  EXPECT_EQ(cancelled, 3);
  CO_ASSERT_OK(p->client.shutdown(net::Shutdown::write));
  std::string all;
  CO_ASSERT_OK(co_await io::read_to_end(p->server, all));
  EXPECT_EQ(all.size(), accepted);
}
STRATA_TEST_ALL_FLAVOURS(Tcp, a_cancelled_write_sends_nothing_twice) {
  run(a_cancelled_write_sends_nothing_twice());
}

Task<void> readable_then_try_read_without_a_buffer_in_between() {
  auto p = co_await tcp_pair();
  CO_ASSERT_OK(p);
  TcpStream& server = p->server;
  std::array<std::byte, 16> buf;
  auto none = server.try_read(buf);
  CO_ASSERT_TRUE(!none);
  EXPECT_TRUE(none.error() == std::errc::operation_would_block);
  CO_ASSERT_OK(co_await io::write_all(p->client, io::as_bytes("ready")));
  std::size_t total = 0;
  while (total < 5) {
    CO_ASSERT_OK(co_await server.readable());
    auto n = server.try_read(std::span(buf).subspan(total));
    if (!n && n.error() == std::errc::operation_would_block) continue;
    CO_ASSERT_OK(n);
    total += *n;
  }
  EXPECT_EQ(to_string(std::span(buf).first(5)), "ready");
  auto again = server.try_read(buf);
  CO_ASSERT_TRUE(!again);
  EXPECT_TRUE(again.error() == std::errc::operation_would_block);
  CO_ASSERT_OK(co_await p->client.writable());
  auto w = p->client.try_write(io::as_bytes("!"));
  CO_ASSERT_OK(w);
  EXPECT_EQ(*w, 1u);
}
STRATA_TEST_ALL_FLAVOURS(Tcp, readable_then_try_read_without_a_buffer_in_between) {
  run(readable_then_try_read_without_a_buffer_in_between());
}

Task<void> vectored_writes_send_every_slice() {
  auto p = co_await tcp_pair();
  CO_ASSERT_OK(p);
  const io::ConstBuffer parts[] = {io::as_bytes("HTTP/1.1 200 OK\r\n"), io::as_bytes(""),
                                   io::as_bytes("Content-Length: 2\r\n\r\n"), io::as_bytes("hi")};
  auto n = co_await io::write_vectored(p->client, parts);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 17u + 21u + 2u);
  CO_ASSERT_OK(p->client.shutdown(net::Shutdown::write));
  std::string all;
  CO_ASSERT_OK(co_await io::read_to_end(p->server, all));
  EXPECT_EQ(all, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
}
STRATA_TEST_ALL_FLAVOURS(Tcp, vectored_writes_send_every_slice) {
  run(vectored_writes_send_every_slice());
}

Task<void> options_addresses_and_flags() {
  auto p = co_await tcp_pair();
  CO_ASSERT_OK(p);
  EXPECT_EQ(p->client.peer_addr(), *p->listener.local_addr());
  EXPECT_EQ(p->client_addr, *p->client.local_addr());
  EXPECT_EQ(p->server.peer_addr(), *p->client.local_addr());
  CO_ASSERT_OK(p->client.set_nodelay(true));
  EXPECT_EQ(p->client.nodelay(), true);
  CO_ASSERT_OK(p->client.set_keepalive(true));
  EXPECT_EQ(p->client.keepalive(), true);
  CO_ASSERT_OK(p->client.set_linger(std::chrono::seconds(3)));
  EXPECT_EQ(*p->client.linger(), std::chrono::seconds(3));
  CO_ASSERT_OK(p->client.set_linger(std::nullopt));
  EXPECT_FALSE(p->client.linger()->has_value());
  CO_ASSERT_OK(p->client.set_ttl(42));
  EXPECT_EQ(p->client.ttl(), 42u);
  CO_ASSERT_OK(p->listener.set_ttl(17));
  EXPECT_EQ(p->listener.ttl(), 17u);
  auto pending_error = p->client.take_error();
  EXPECT_TRUE(pending_error && !*pending_error);
  for (int fd : {p->client.fd(), p->server.fd(), p->listener.fd()}) {
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << fd;
    EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK) << fd;
  }
}
STRATA_TEST_ALL_FLAVOURS(Tcp, options_addresses_and_flags) {
  run(options_addresses_and_flags());
}

Task<void> listener_from_a_configured_socket() {
  auto sock = net::Socket::create(AF_INET6, SOCK_STREAM);
  CO_ASSERT_OK(sock);
  CO_ASSERT_OK(sock->set_only_v6(false));  // dual stack: IPv4 clients too
  EXPECT_EQ(sock->only_v6(), false);
  CO_ASSERT_OK(sock->set_reuse_address(true));
  CO_ASSERT_OK(sock->bind(loopback6()));
  CO_ASSERT_OK(sock->listen(16));
  auto l = TcpListener::from_socket(std::move(*sock));
  CO_ASSERT_OK(l);
  auto server = spawn(echo_server(*l, 1));
  co_await client_round_trip(*l->local_addr(), 100, 9);
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, listener_from_a_configured_socket) {
  run(listener_from_a_configured_socket());
}

Task<void> from_std_adopts_a_connected_fd() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto server = spawn(echo_server(*l, 1));
  // A blocking connect with plain syscalls, then handed over.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_storage ss;
  socklen_t len = l->local_addr()->to_sockaddr(ss);
  CO_ASSERT_TRUE(::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  auto s = TcpStream::from_std(fd);
  CO_ASSERT_OK(s);
  EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_EQ(s->peer_addr(), *l->local_addr());
  CO_ASSERT_OK(co_await io::write_all(*s, io::as_bytes("adopted")));
  CO_ASSERT_OK(s->shutdown(net::Shutdown::write));
  std::string back;
  CO_ASSERT_OK(co_await io::read_to_end(*s, back));
  EXPECT_EQ(back, "adopted");
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, from_std_adopts_a_connected_fd) {
  run(from_std_adopts_a_connected_fd());
}

Task<void> buffered_line_protocol_over_tcp_server(TcpListener& l) {
  auto c = co_await l.accept();
  CO_ASSERT_OK(c);
  auto [rd, wr] = c->first.split();
  io::BufReader reader(rd);
  io::BufWriter writer(wr);
  std::string line;
  for (;;) {
    line.clear();
    auto n = co_await io::read_line(reader, line);
    CO_ASSERT_OK(n);
    if (*n == 0) break;
    CO_ASSERT_OK(co_await io::write_all(writer, io::as_bytes("> " + line)));
    if (reader.buffer().empty()) CO_ASSERT_OK(co_await io::flush(writer));
  }
  CO_ASSERT_OK(co_await io::shutdown(writer));
}

Task<void> buffered_line_protocol_over_tcp() {
  auto l = TcpListener::bind(loopback());
  CO_ASSERT_OK(l);
  auto server = spawn(buffered_line_protocol_over_tcp_server(*l));
  auto s = co_await TcpStream::connect(*l->local_addr());
  CO_ASSERT_OK(s);
  CO_ASSERT_OK(co_await io::write_all(*s, io::as_bytes("one\ntwo\nthree\n")));
  CO_ASSERT_OK(s->shutdown(net::Shutdown::write));
  std::string all;
  CO_ASSERT_OK(co_await io::read_to_end(*s, all));
  EXPECT_EQ(all, "> one\n> two\n> three\n");
  co_await server;
}
STRATA_TEST_ALL_FLAVOURS(Tcp, buffered_line_protocol_over_tcp) {
  run(buffered_line_protocol_over_tcp());
}

}  // namespace
}  // namespace strata::test
