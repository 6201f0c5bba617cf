// BufWriter: coalescing, write-through of large writes, vectored writes, flush/shutdown, and the
// pooled buffer returned when flushed.
#include "strata/io/buf_writer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "io_test_util.hpp"
#include "strata/io/ext.hpp"

namespace strata::test {
namespace {

Task<void> small_writes_reach_the_stream_only_on_flush() {
  io::BufWriter w(RecordingWriter{}, 64);
  for (int i = 0; i < 10; ++i) CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("abc")));
  EXPECT_EQ(w.get_ref().writes, 0);
  EXPECT_EQ(w.buffer().size(), 30u);
  CO_ASSERT_OK(co_await io::flush(w));
  EXPECT_EQ(w.get_ref().writes, 1);  // one write for ten
  EXPECT_EQ(w.get_ref().flushes, 1);
  EXPECT_EQ(w.get_ref().data.size(), 30u);
  EXPECT_TRUE(w.buffer().empty());
}
STRATA_TEST_ALL_FLAVOURS(BufWriter, small_writes_reach_the_stream_only_on_flush) {
  run(small_writes_reach_the_stream_only_on_flush());
}

Task<void> a_full_buffer_is_written_before_more_is_taken() {
  io::BufWriter w(RecordingWriter{}, 8);
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("12345")));
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("6789")));  // 9 > 8: flush "12345" first
  EXPECT_EQ(w.get_ref().data, "12345");
  EXPECT_EQ(w.buffer().size(), 4u);
  CO_ASSERT_OK(co_await io::flush(w));
  EXPECT_EQ(w.get_ref().data, "123456789");
}
STRATA_TEST_ALL_FLAVOURS(BufWriter, a_full_buffer_is_written_before_more_is_taken) {
  run(a_full_buffer_is_written_before_more_is_taken());
}

Task<void> large_writes_go_through_after_the_buffered_bytes() {
  io::BufWriter w(RecordingWriter{}, 8);
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("ab")));
  std::string big(100, 'x');
  auto n = co_await io::write(w, io::as_bytes(big));
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 100u);
  EXPECT_EQ(w.get_ref().writes, 2);  // "ab", then the big write as is
  EXPECT_EQ(w.get_ref().data, "ab" + big);
}
STRATA_TEST_ALL_FLAVOURS(BufWriter, large_writes_go_through_after_the_buffered_bytes) {
  run(large_writes_go_through_after_the_buffered_bytes());
}

Task<void> partial_inner_writes_are_resumed() {
  io::BufWriter w(RecordingWriter(3), 16);
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("0123456789")));
  CO_ASSERT_OK(co_await io::shutdown(w));
  EXPECT_EQ(w.get_ref().data, "0123456789");
  EXPECT_EQ(w.get_ref().writes, 4);  // 3 + 3 + 3 + 1
  EXPECT_EQ(w.get_ref().shutdowns, 1);
}
STRATA_TEST_ALL_FLAVOURS(BufWriter, partial_inner_writes_are_resumed) {
  run(partial_inner_writes_are_resumed());
}

Task<void> vectored_writes_are_coalesced_when_they_fit() {
  io::BufWriter w(RecordingWriter{}, 32);
  const io::ConstBuffer parts[] = {io::as_bytes("HTTP/1.1 200 OK\r\n"), io::as_bytes("\r\n")};
  auto n = co_await io::write_vectored(w, parts);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 19u);
  EXPECT_EQ(w.get_ref().writes, 0);
  CO_ASSERT_OK(co_await io::flush(w));
  EXPECT_EQ(w.get_ref().data, "HTTP/1.1 200 OK\r\n\r\n");
  static_assert(io::AsyncWriteVectored<io::BufWriter<RecordingWriter>>);
}
STRATA_TEST_ALL_FLAVOURS(BufWriter, vectored_writes_are_coalesced_when_they_fit) {
  run(vectored_writes_are_coalesced_when_they_fit());
}

Task<void> the_buffer_returns_to_the_pool_when_flushed() {
  io::BufWriter w(RecordingWriter{}, 64);
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("abc")));
  EXPECT_FALSE(w.buffer().empty());
  CO_ASSERT_OK(co_await io::flush(w));
  EXPECT_EQ(w.buffer().data(), nullptr);  // no block held
}
STRATA_TEST_ALL_FLAVOURS(BufWriter, the_buffer_returns_to_the_pool_when_flushed) {
  run(the_buffer_returns_to_the_pool_when_flushed());
}

}  // namespace
}  // namespace strata::test
