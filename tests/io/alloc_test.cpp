// Proves that the I/O hot paths allocate nothing in steady state: TCP reads and writes (ready
// and pending), io::copy with its pooled buffer, BufReader/BufWriter. This binary replaces the
// global operator new to count allocations (like tests/rt/alloc_test.cpp).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "../net/net_test_util.hpp"

#include "../support/count_allocations.hpp"

namespace strata::test {
namespace {

bool caches_enabled() {
  return frame_cache_enabled() && io::BufferPool::caching_enabled();
}

struct Pair {
  net::TcpStream client;
  net::TcpStream server;
  std::string line = std::string(64, ' ');  // capacity for the buffered test's lines
};

Task<Result<Pair>> connected_pair() {
  auto l = net::TcpListener::bind(loopback());
  if (!l) co_return fail(l.error());
  auto c = co_await net::TcpStream::connect(*l->local_addr());
  if (!c) co_return fail(c.error());
  auto s = co_await l->accept();
  if (!s) co_return fail(s.error());
  co_return Pair{std::move(*c), std::move(s->first), std::string(64, ' ')};
}

// The echo side: io::copy (pooled buffer, readiness first).
Task<void> echo(net::TcpStream* s) {
  auto n = co_await io::copy(*s, *s);
  if (!n) ADD_FAILURE() << n.error().message();
}

// Ping-pong over an echo: every read waits (Pending) for the echo first.
Task<void> ping_pong(net::TcpStream* s, int rounds) {
  std::array<std::byte, 64> out{}, in{};
  for (int i = 0; i < rounds; ++i) {
    out[0] = std::byte(i);
    CO_ASSERT_OK(co_await io::write_all(*s, out));
    CO_ASSERT_OK(co_await io::read_exact(*s, in));
    CO_ASSERT_TRUE(in == out);
  }
}

// Lines through BufWriter -> socket -> echo -> BufReader.
// `line` is reserved by the caller (outside the counted region).
Task<void> buffered_lines(net::TcpStream* s, int rounds, std::string* out) {
  auto [rd, wr] = s->split();
  io::BufReader reader(rd);
  io::BufWriter writer(wr);
  std::string& line = *out;
  for (int i = 0; i < rounds; ++i) {
    CO_ASSERT_OK(co_await io::write_all(writer, io::as_bytes("a line of text\n")));
    CO_ASSERT_OK(co_await io::flush(writer));
    line.clear();
    CO_ASSERT_OK(co_await io::read_line(reader, line));
    CO_ASSERT_TRUE(line == "a line of text\n");
  }
}

long count_allocations(Runtime& rt, Task<void> t) {
  allocations = 0;
  counting = true;
  rt.block_on(std::move(t));
  counting = false;
  return allocations.load();
}

Task<void> steady_state(Pair* p, int rounds, bool buffered) {
  auto e = spawn(echo(&p->server));
  if (buffered) {
    co_await buffered_lines(&p->client, rounds, &p->line);
  } else {
    co_await ping_pong(&p->client, rounds);
  }
  // Leave the echo task waiting: abort it (cancellation is a destructor, no allocation).
  e.abort();
  co_await e;
}

TEST(IoAlloc, tcp_read_write_and_copy_allocate_nothing_in_steady_state) {
  if (!caches_enabled()) GTEST_SKIP() << "sanitizer build: the caches are bypassed by design";
  Runtime rt = Runtime::current_thread();
  auto p = rt.block_on(connected_pair());
  ASSERT_TRUE(p) << p.error().message();
  // Warm-up (frame cache, buffer pool), twice: the aborted echo task of one run stays alive
  // until the next run's echo replaces its waker in the socket, so two cells circulate.
  for (int i = 0; i < 2; ++i) rt.block_on(steady_state(&*p, 100, false));
  EXPECT_EQ(count_allocations(rt, steady_state(&*p, 5000, false)), 0);
}

TEST(IoAlloc, buf_reader_and_buf_writer_allocate_nothing_in_steady_state) {
  if (!caches_enabled()) GTEST_SKIP() << "sanitizer build: the caches are bypassed by design";
  Runtime rt = Runtime::current_thread();
  auto p = rt.block_on(connected_pair());
  ASSERT_TRUE(p) << p.error().message();
  for (int i = 0; i < 2; ++i) rt.block_on(steady_state(&*p, 100, true));
  EXPECT_EQ(count_allocations(rt, steady_state(&*p, 5000, true)), 0);
}

}  // namespace
}  // namespace strata::test
