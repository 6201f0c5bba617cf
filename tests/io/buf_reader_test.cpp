// BufReader: lines and delimiters across chunk boundaries, limits, large-read bypass, pooled
// buffer held only while bytes are unread, cancellation.
#include "strata/io/buf_reader.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "io_test_util.hpp"
#include "strata/io/duplex.hpp"
#include "strata/io/ext.hpp"

namespace strata::test {
namespace {

Task<void> read_line_joins_chunks_and_keeps_the_newline() {
  io::BufReader r(ScriptedReader({"hel", "lo\nwor", "ld\n", "no newline"}, true), 4);
  std::string line;
  auto n = co_await io::read_line(r, line);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(line, "hello\n");
  line.clear();
  CO_ASSERT_OK(co_await io::read_line(r, line));
  EXPECT_EQ(line, "world\n");
  line.clear();
  n = co_await io::read_line(r, line);
  CO_ASSERT_OK(n);
  EXPECT_EQ(line, "no newline");  // the last line, at end of stream
  line.clear();
  n = co_await io::read_line(r, line);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);  // end of stream
}
STRATA_TEST_ALL_FLAVOURS(BufReader, read_line_joins_chunks_and_keeps_the_newline) {
  run(read_line_joins_chunks_and_keeps_the_newline());
}

Task<void> read_until_any_delimiter_into_bytes() {
  io::BufReader r(ScriptedReader({"a,bb", ",ccc,"}));
  std::vector<std::byte> out;
  std::vector<std::string> fields;
  for (;;) {
    out.clear();
    auto n = co_await io::read_until(r, std::byte{','}, out);
    CO_ASSERT_OK(n);
    if (*n == 0) break;
    fields.push_back(to_string(out));
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"a,", "bb,", "ccc,"}));
}
STRATA_TEST_ALL_FLAVOURS(BufReader, read_until_any_delimiter_into_bytes) {
  run(read_until_any_delimiter_into_bytes());
}

Task<void> a_line_over_the_limit_is_an_error() {
  io::BufReader r(ScriptedReader({std::string(100, 'x') + "\n"}), 16);
  std::string line;
  auto n = co_await io::read_line(r, line, 50);
  CO_ASSERT_TRUE(!n);
  EXPECT_TRUE(n.error() == Errc::invalid_input);
  EXPECT_GT(line.size(), 50u);  // what was read stays in the output
}
STRATA_TEST_ALL_FLAVOURS(BufReader, a_line_over_the_limit_is_an_error) {
  run(a_line_over_the_limit_is_an_error());
}

Task<void> large_reads_bypass_an_empty_buffer() {
  ScriptedReader inner({std::string(100, 'a')});
  io::BufReader r(std::move(inner), 16);
  std::array<std::byte, 64> big;
  auto n = co_await io::read(r, big);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 64u);  // straight from the stream, not capped at the capacity
  EXPECT_FALSE(r.holds_buffer());
  std::array<std::byte, 4> small;
  n = co_await io::read(r, small);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(r.buffer().size(), 12u);  // 16 buffered, 4 consumed
  EXPECT_TRUE(r.holds_buffer());
}
STRATA_TEST_ALL_FLAVOURS(BufReader, large_reads_bypass_an_empty_buffer) {
  run(large_reads_bypass_an_empty_buffer());
}

Task<void> an_idle_reader_holds_no_buffer() {
  auto [a, b] = io::duplex(64);
  io::BufReader r(std::move(b));
  EXPECT_FALSE(r.holds_buffer());
  // A pending read (nothing written yet): still no buffer, thanks to poll_read_ready.
  Waker noop = Waker::noop();
  Context cx(noop);
  EXPECT_TRUE(r.poll_fill_buf(cx).is_pending());
  EXPECT_FALSE(r.holds_buffer());
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("x\ny\n")));
  std::string line;
  CO_ASSERT_OK(co_await io::read_line(r, line));
  EXPECT_TRUE(r.holds_buffer());  // "y\n" is still buffered
  line.clear();
  CO_ASSERT_OK(co_await io::read_line(r, line));
  EXPECT_EQ(line, "y\n");
  EXPECT_FALSE(r.holds_buffer());  // consumed: back to the pool
}
STRATA_TEST_ALL_FLAVOURS(BufReader, an_idle_reader_holds_no_buffer) {
  run(an_idle_reader_holds_no_buffer());
}

Task<void> a_cancelled_read_line_loses_no_bytes() {
  auto [a, b] = io::duplex(64);
  io::BufReader r(std::move(b));
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes("partial")));
  std::string line;
  auto t = co_await timeout(20ms, io::read_line(r, line));
  EXPECT_FALSE(t);  // timed out: no newline yet
  EXPECT_EQ(line, "partial");
  CO_ASSERT_OK(co_await io::write_all(a, io::as_bytes(" line\n")));
  auto n = co_await io::read_line(r, line);  // continue appending
  CO_ASSERT_OK(n);
  EXPECT_EQ(line, "partial line\n");
}
STRATA_TEST_ALL_FLAVOURS(BufReader, a_cancelled_read_line_loses_no_bytes) {
  run(a_cancelled_read_line_loses_no_bytes());
}

Task<void> passes_writes_through() {
  auto [a, b] = io::duplex(64);
  io::BufReader r(std::move(a));
  CO_ASSERT_OK(co_await io::write_all(r, io::as_bytes("hi")));
  std::array<std::byte, 2> got;
  CO_ASSERT_OK(co_await io::read_exact(b, got));
  EXPECT_EQ(to_string(got), "hi");
  static_assert(io::AsyncBufRead<io::BufReader<io::DuplexStream>>);
  static_assert(io::AsyncReadReady<io::BufReader<io::DuplexStream>>);
  static_assert(io::AsyncWrite<io::BufReader<io::DuplexStream>>);
}
STRATA_TEST_ALL_FLAVOURS(BufReader, passes_writes_through) {
  run(passes_writes_through());
}

}  // namespace
}  // namespace strata::test
