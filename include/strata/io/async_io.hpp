// AsyncRead and AsyncWrite: the byte-stream concepts every Strata stream implements (TCP, Unix
// sockets, TLS, pipes, in-memory duplexes), in Rust's poll style so that wrappers (BufReader,
// TLS, HTTP codecs) compose without a coroutine frame per operation.
//
//   template <io::AsyncRead S> Task<std::size_t> count_bytes(S& s) {
//     std::array<std::byte, 4096> buf;
//     std::size_t total = 0;
//     while (true) {
//       Result<std::size_t> n = co_await io::read(s, buf);   // a Future, no allocation
//       if (!n || *n == 0) co_return total;                   // error or end of stream
//       total += *n;
//     }
//   }
//
// Contract (same as tokio's): poll_read returns Ready(0) only at end of stream (or for an empty
// buffer); Pending means the waker in `cx` will be woken. A read that returns Pending has
// consumed nothing, so a read future can be dropped (cancelled) at any time without losing
// bytes. poll_write returns how many bytes it accepted (at least one for a non-empty buffer, or
// an error); Pending means nothing was written. poll_shutdown flushes and closes the write
// direction (TCP: FIN). A stream serves one reading task and one writing task at a time: a
// second concurrent reader would replace the first one's waker.
//
// Two optional refinements:
// - AsyncReadReady: poll_read_ready() waits for readability without a buffer, so that an idle
//   connection holds no read buffer (io::copy, BufReader and servers use it; DESIGN §4);
// - AsyncBufRead: a reader with an internal buffer (BufReader): poll_fill_buf() + consume().
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "strata/rt/error.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/waker.hpp"

namespace strata::io {

using MutableBuffer = std::span<std::byte>;
using ConstBuffer = std::span<const std::byte>;

template <class S>
concept AsyncRead = requires(S& s, Context& cx, MutableBuffer buf) {
  { s.poll_read(cx, buf) } -> std::same_as<Poll<Result<std::size_t>>>;
};

template <class S>
concept AsyncWrite = requires(S& s, Context& cx, ConstBuffer buf) {
  { s.poll_write(cx, buf) } -> std::same_as<Poll<Result<std::size_t>>>;
  { s.poll_flush(cx) } -> std::same_as<Poll<Result<void>>>;
  { s.poll_shutdown(cx) } -> std::same_as<Poll<Result<void>>>;
};

// A stream that can also write several buffers in one call (writev); io::write_vectored falls
// back to the first non-empty buffer for streams without it.
template <class S>
concept AsyncWriteVectored = AsyncWrite<S> &&
    requires(S& s, Context& cx, std::span<const ConstBuffer> bufs) {
  { s.poll_write_vectored(cx, bufs) } -> std::same_as<Poll<Result<std::size_t>>>;
};

// A reader that can wait for readability without a buffer. Ready means the next poll_read will
// probably make progress (it may still return Pending: readiness is a hint, never a promise).
template <class S>
concept AsyncReadReady = AsyncRead<S> && requires(S& s, Context& cx) {
  { s.poll_read_ready(cx) } -> std::same_as<Poll<Result<void>>>;
};

// A stream that can send bytes of a file straight from the page cache (sendfile(2)): plain
// TCP and Unix sockets; not TLS. `offset` advances by what was sent.
template <class S>
concept AsyncSendFile = AsyncWrite<S> &&
    requires(S& s, Context& cx, int fd, std::uint64_t& off, std::size_t n) {
  { s.poll_sendfile(cx, fd, off, n) } -> std::same_as<Poll<Result<std::size_t>>>;
};

// A reader with an internal buffer. poll_fill_buf() returns the buffered bytes (empty at end of
// stream), valid until the next consume() or poll; consume(n) marks n of them as used.
template <class S>
concept AsyncBufRead = AsyncRead<S> && requires(S& s, Context& cx, std::size_t n) {
  { s.poll_fill_buf(cx) } -> std::same_as<Poll<Result<ConstBuffer>>>;
  s.consume(n);
};

// Views text as bytes (no copy; the text must outlive the view).
inline ConstBuffer as_bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span(s.data(), s.size()));
}
// Views writable characters (a std::string's or a char array's storage) as bytes.
inline MutableBuffer as_writable_bytes(std::span<char> s) noexcept {
  return std::as_writable_bytes(s);
}

}  // namespace strata::io
