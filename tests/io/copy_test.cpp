// io::copy and io::copy_bidirectional: byte counts, flushing, half-close propagation, buffers
// held only while bytes are in flight, errors.
#include "strata/io/copy.hpp"

#include <gtest/gtest.h>

#include <string>

#include "io_test_util.hpp"
#include "strata/io/buf_writer.hpp"
#include "strata/io/duplex.hpp"
#include "strata/io/ext.hpp"

namespace strata::test {
namespace {

Task<void> copy_moves_everything_and_flushes() {
  ScriptedReader r({"one ", "two ", "three"}, true);
  RecordingWriter w(2);
  auto n = co_await io::copy(r, w);
  CO_ASSERT_OK(n);
  EXPECT_EQ(*n, 13u);
  EXPECT_EQ(w.data, "one two three");
  EXPECT_GE(w.flushes, 1);
  EXPECT_EQ(w.shutdowns, 0);  // copy() does not shut the writer down
}
STRATA_TEST_ALL_FLAVOURS(Copy, copy_moves_everything_and_flushes) {
  run(copy_moves_everything_and_flushes());
}

Task<void> copy_through_a_buffered_writer_flushes_while_waiting() {
  auto [src_w, src_r] = io::duplex(1024);
  auto [dst_w, dst_r] = io::duplex(1024);
  io::BufWriter out(std::move(dst_w), 4096);
  // The source sends a little and then waits: copy must flush the BufWriter meanwhile, or the
  // reader below would never see the bytes.
  CO_ASSERT_OK(co_await io::write_all(src_w, io::as_bytes("hello")));
  auto r = co_await timeout(30ms, io::copy(src_r, out));
  EXPECT_FALSE(r);  // still running (source open)...
  std::array<std::byte, 5> got;
  CO_ASSERT_OK(co_await io::read_exact(dst_r, got));  // ...but the bytes were flushed
  EXPECT_EQ(to_string(got), "hello");
}
STRATA_TEST_ALL_FLAVOURS(Copy, copy_through_a_buffered_writer_flushes_while_waiting) {
  run(copy_through_a_buffered_writer_flushes_while_waiting());
}

Task<void> an_idle_copy_holds_no_buffer() {
  auto [w, r] = io::duplex(64);
  RecordingWriter sink;
  auto cp = io::copy(r, sink);
  Waker noop = Waker::noop();
  Context cx(noop);
  EXPECT_TRUE(cp.poll(cx).is_pending());
  EXPECT_FALSE(cp.holds_buffer());  // waiting for readability, without a buffer
  CO_ASSERT_OK(co_await io::write_all(w, io::as_bytes("data")));
  EXPECT_TRUE(cp.poll(cx).is_pending());  // copied "data", waiting again
  EXPECT_EQ(sink.data, "data");
  EXPECT_EQ(cp.bytes_copied(), 4u);
  EXPECT_FALSE(cp.holds_buffer());  // drained: the buffer went back to the pool
}
STRATA_TEST_ALL_FLAVOURS(Copy, an_idle_copy_holds_no_buffer) {
  run(an_idle_copy_holds_no_buffer());
}

Task<void> client_side(io::DuplexStream& s, std::string& reply) {
  CO_ASSERT_OK(co_await io::write_all(s, io::as_bytes("request")));
  CO_ASSERT_OK(co_await io::shutdown(s));  // half-close: no more requests
  CO_ASSERT_OK(co_await io::read_to_end(s, reply));
}

Task<void> server_side(io::DuplexStream& s) {
  std::string req;
  CO_ASSERT_OK(co_await io::read_to_end(s, req));  // ends only if the half-close came through
  CO_ASSERT_OK(co_await io::write_all(s, io::as_bytes("response to " + req)));
  CO_ASSERT_OK(co_await io::shutdown(s));
}

Task<void> copy_bidirectional_propagates_half_close() {
  // client <-> [proxy_a  copy_bidirectional  proxy_b] <-> server
  auto [client, proxy_a] = io::duplex(16);
  auto [proxy_b, server] = io::duplex(16);
  std::string reply;
  auto c = spawn(client_side(client, reply));
  auto s = spawn(server_side(server));
  auto n = co_await io::copy_bidirectional(proxy_a, proxy_b);
  CO_ASSERT_OK(n);
  co_await c;
  co_await s;
  EXPECT_EQ(reply, "response to request");
  EXPECT_EQ(n->first, 7u);
  EXPECT_EQ(n->second, reply.size());
}
STRATA_TEST_ALL_FLAVOURS(Copy, copy_bidirectional_propagates_half_close) {
  run(copy_bidirectional_propagates_half_close());
}

Task<void> copy_bidirectional_reports_errors() {
  auto [client, proxy_a] = io::duplex(16);
  auto [proxy_b, server] = io::duplex(16);
  { io::DuplexStream gone = std::move(server); }  // writes to proxy_b now fail
  CO_ASSERT_OK(co_await io::write_all(client, io::as_bytes("x")));
  auto n = co_await io::copy_bidirectional(proxy_a, proxy_b);
  CO_ASSERT_TRUE(!n);
  EXPECT_TRUE(n.error() == std::errc::broken_pipe);
}
STRATA_TEST_ALL_FLAVOURS(Copy, copy_bidirectional_reports_errors) {
  run(copy_bidirectional_reports_errors());
}

}  // namespace
}  // namespace strata::test
