// io::duplex: in-memory connected streams with backpressure, half-close and drop semantics.
#include "strata/io/duplex.hpp"
#include "strata/io/dyn_stream.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

#include "io_test_util.hpp"
#include "strata/io/ext.hpp"

namespace strata::test {
namespace {

Task<void> bytes_written_on_one_end_are_read_on_the_other() {
  auto [a, b] = io::duplex(64);
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("ping")));
  std::array<std::byte, 4> got{};
  CO_ASSERT_OK(co_await io::read_exact(b, got));
  EXPECT_EQ(to_string(got), "ping");
  CO_ASSERT_OK(co_await io::write_all(b, io::as_bytes("pong")));
  CO_ASSERT_OK(co_await io::read_exact(a, got));
  EXPECT_EQ(to_string(got), "pong");
}
STRATA_TEST_ALL_FLAVOURS(Duplex, bytes_written_on_one_end_are_read_on_the_other) {
  run(bytes_written_on_one_end_are_read_on_the_other());
}

Task<void> reader(io::DuplexStream& s, std::string& out) {
  std::array<std::byte, 3> buf;
  for (;;) {
    auto n = co_await io::read(s, buf);
    CO_ASSERT_OK(n);
    if (*n == 0) co_return;
    out += to_string(std::span(buf).first(*n));
  }
}

Task<void> a_full_pipe_makes_the_writer_wait_for_the_reader() {
  auto [a, b] = io::duplex(8);
  // Nobody reads yet: only 8 bytes fit.
  Waker noop = Waker::noop();
  Context cx(noop);
  auto p = a.poll_write(cx, io::as_bytes("0123456789"));
  CO_ASSERT_TRUE(p.is_ready() && p.value());
  EXPECT_EQ(*p.value(), 8u);
  EXPECT_TRUE(a.poll_write(cx, io::as_bytes("x")).is_pending());
  // With a reader running, a big write completes through the small pipe.
  std::string got;
  auto h = spawn(reader(b, got));
  std::string big(10'000, 'z');
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes(big)));
  CO_ASSERT_OK(co_await io::shutdown(a));
  co_await h;
  EXPECT_EQ(got, "01234567" + big);
}
STRATA_TEST_ALL_FLAVOURS(Duplex, a_full_pipe_makes_the_writer_wait_for_the_reader) {
  run(a_full_pipe_makes_the_writer_wait_for_the_reader());
}

Task<void> shutdown_gives_end_of_stream_after_the_remaining_bytes() {
  auto [a, b] = io::duplex(64);
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("tail")));
  CO_ASSERT_OK(co_await io::shutdown(a));
  std::string rest;
  auto n = co_await io::read_to_end(b, rest);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(rest, "tail");
  // The other direction still works after a half-close.
  CO_ASSERT_OK(co_await io::write_all(b, io::as_bytes("back")));
  std::array<std::byte, 4> got;
  CO_ASSERT_OK(co_await io::read_exact(a, got));
  EXPECT_EQ(to_string(got), "back");
  // Writing after our own shutdown fails.
  auto w = co_await io::write(a, io::as_bytes("x"));
  EXPECT_FALSE(w);
}
STRATA_TEST_ALL_FLAVOURS(Duplex, shutdown_gives_end_of_stream_after_the_remaining_bytes) {
  run(shutdown_gives_end_of_stream_after_the_remaining_bytes());
}

Task<void> dropping_one_end_is_eof_and_broken_pipe_for_the_other() {
  auto [a, b] = io::duplex(64);
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("last")));
  { io::DuplexStream gone = std::move(a); }
  std::string rest;
  CO_ASSERT_OK(co_await io::read_to_end(b, rest));
  EXPECT_EQ(rest, "last");
  auto w = co_await io::write(b, io::as_bytes("x"));
  CO_ASSERT_TRUE(!w);
  EXPECT_TRUE(w.error() == std::errc::broken_pipe);
}
STRATA_TEST_ALL_FLAVOURS(Duplex, dropping_one_end_is_eof_and_broken_pipe_for_the_other) {
  run(dropping_one_end_is_eof_and_broken_pipe_for_the_other());
}

Task<void> pump(io::DuplexStream& s, std::size_t total) {
  std::string chunk(1000, 'q');
  for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
    CO_ASSERT_OK(co_await io::write_all(s, io::as_bytes(chunk)));
  }
  CO_ASSERT_OK(co_await io::shutdown(s));
}

Task<void> the_two_ends_work_from_different_threads() {
  auto [a, b] = io::duplex(512);
  auto h = spawn(pump(a, 1'000'000));
  std::string got;
  CO_ASSERT_OK(co_await io::read_to_end(b, got));
  co_await h;
  EXPECT_EQ(got.size(), 1'000'000u);
  EXPECT_EQ(got.find_first_not_of('q'), std::string::npos);
}
STRATA_TEST_ALL_FLAVOURS(Duplex, the_two_ends_work_from_different_threads) {
  run(the_two_ends_work_from_different_threads());
}

Task<void> vectored_writes_take_as_much_as_fits() {
  auto [a, b] = io::duplex(6);
  const io::ConstBuffer parts[] = {io::as_bytes("abcd"), io::as_bytes("efgh")};
  auto n = co_await io::write_vectored(a, parts);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 6u);
  std::array<std::byte, 6> got;
  CO_ASSERT_OK(co_await io::read_exact(b, got));
  EXPECT_EQ(to_string(got), "abcdef");
}
STRATA_TEST_ALL_FLAVOURS(Duplex, vectored_writes_take_as_much_as_fits) {
  run(vectored_writes_take_as_much_as_fits());
}

// io::DynStream over a duplex end, owned and borrowed: the bytes, the half-close and the end of
// stream pass through the virtual calls unchanged.
Task<void> a_dyn_stream_forwards_to_the_stream_it_owns_or_borrows() {
  auto [a, b] = io::duplex(16);
  std::unique_ptr<io::DynStream> owned = io::make_dyn_stream(std::move(a));
  io::DynStreamFor<io::DuplexStream&> borrowed(b);
  io::DynStream& other = borrowed;
  CO_ASSERT_OK(co_await io::write_all(*owned, io::as_bytes("through")));
  CO_ASSERT_OK(co_await io::flush(*owned));
  CO_ASSERT_OK(co_await io::shutdown(*owned));
  std::string got;
  CO_ASSERT_OK(co_await io::read_to_end(other, got));
  EXPECT_EQ(got, "through");
  CO_ASSERT_OK(co_await io::write_all(other, io::as_bytes("back")));
  std::array<std::byte, 4> back{};
  CO_ASSERT_OK(co_await io::read_exact(*owned, back));
  EXPECT_EQ(to_string(back), "back");
}
STRATA_TEST_ALL_FLAVOURS(Duplex, a_dyn_stream_forwards_to_the_stream_it_owns_or_borrows) {
  run(a_dyn_stream_forwards_to_the_stream_it_owns_or_borrows());
}

}  // namespace
}  // namespace strata::test
