// io::copy() and io::copy_bidirectional(): move bytes between streams until end of stream.
//
//   // An echo server's whole connection handler (`stream`: a TcpStream, or any stream):
//   auto [stream, client] = io::duplex(4096);
//   Result<std::uint64_t> n = co_await io::copy(stream, stream);
//
//   // A TCP proxy: both directions at once, half-close propagated.
//   auto [a, a_peer] = io::duplex(4096);
//   auto [b, b_peer] = io::duplex(4096);
//   Result<std::pair<std::uint64_t, std::uint64_t>> r = co_await io::copy_bidirectional(a, b);
//   // r->first bytes went a -> b, r->second bytes b -> a
//
// copy(reader, writer) reads until end of stream, writes everything, flushes the writer, and
// returns the byte count; it does not shut the writer down. copy_bidirectional(a, b) copies
// a -> b and b -> a concurrently in the awaiting task; when one side reaches end of stream, the
// other side's write direction is shut down (TCP: FIN), so a half-close travels through; it
// completes when both directions have, and fails on the first error of either.
//
// Both are hand-written futures (no coroutine frame, no allocation beyond the pooled buffer).
// The buffer (16 KiB, from the thread's BufferPool) is held only while bytes are in flight:
// when the reader is AsyncReadReady the copy waits for readability without it and gives it back
// whenever it is drained, so an idle proxied or echoed connection holds no buffer (DESIGN §4).
// When a read would wait, written bytes are flushed first (so BufWriter outputs do not stall).
// A copy yields to other tasks after 16 consecutive chunks (fairness).
//
// Cancellation: dropping a copy drops the bytes read but not yet written (at most one buffer);
// bytes_copied() on the future says how many were written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/buffer.hpp"

namespace strata::io {

namespace detail {

// One direction of a copy: the buffer and the progress.
class CopyState {
 public:
  static constexpr std::size_t buffer_size = BufferPool::medium_size;

  // shutdown_at_eof: shut the writer down at end of stream (copy_bidirectional) rather than
  // only flushing it (copy).
  explicit CopyState(bool shutdown_at_eof) noexcept : shutdown_at_eof_(shutdown_at_eof) {}

  template <class R, class W>
  Poll<Result<std::uint64_t>> poll_copy(Context& cx, R& reader, W& writer) {
    for (int chunks = 0;; ++chunks) {
      if (chunks == 16) {  // let other tasks run; come back at once
        cx.waker().wake_by_ref();
        return pending;
      }
      if (pos_ == end_ && !read_done_) {
        auto r = poll_fill(cx, reader);
        if (r.is_pending()) {
          if (need_flush_) {
            auto f = writer.poll_flush(cx);
            if (f.is_ready()) {
              if (Result<void> e = f.take(); !e) return Result<std::uint64_t>(fail(e.error()));
              need_flush_ = false;
            }
          }
          return pending;
        }
        if (Result<void> e = r.take(); !e) return Result<std::uint64_t>(fail(e.error()));
      }
      while (pos_ < end_) {
        auto p = writer.poll_write(cx, ConstBuffer(buf_.data() + pos_, end_ - pos_));
        if (p.is_pending()) return pending;
        Result<std::size_t> n = p.take();
        if (!n) return Result<std::uint64_t>(fail(n.error()));
        if (*n == 0) {
          return Result<std::uint64_t>(fail(Errc::closed, "copy: writer accepts no more data"));
        }
        pos_ += *n;
        copied_ += *n;
        need_flush_ = true;
      }
      if (pos_ == end_ && end_ != 0) {
        pos_ = end_ = 0;
        buf_.reset();  // drained: give the buffer back until the next read
      }
      if (read_done_) {
        auto f = shutdown_at_eof_ ? writer.poll_shutdown(cx) : writer.poll_flush(cx);
        if (f.is_pending()) return pending;
        if (Result<void> e = f.take(); !e) return Result<std::uint64_t>(fail(e.error()));
        return Result<std::uint64_t>(copied_);
      }
    }
  }

  std::uint64_t bytes_copied() const noexcept { return copied_; }
  // The buffer is held only while read bytes wait to be written.
  bool holds_buffer() const noexcept { return static_cast<bool>(buf_); }

 private:
  // Reads the next chunk into the buffer (taking one only once the reader is readable).
  template <class R>
  Poll<Result<void>> poll_fill(Context& cx, R& reader) {
    if constexpr (AsyncReadReady<R>) {
      auto r = reader.poll_read_ready(cx);
      if (r.is_pending()) return pending;
      if (Result<void> e = r.take(); !e) return e;
    }
    if (!buf_) buf_ = Buffer::acquire(buffer_size);
    auto p = reader.poll_read(cx, MutableBuffer(buf_.data(), buffer_size));
    if (p.is_pending()) {
      buf_.reset();
      return pending;
    }
    Result<std::size_t> n = p.take();
    if (!n) return Result<void>(fail(n.error()));
    if (*n == 0) {
      read_done_ = true;
      buf_.reset();
    } else {
      pos_ = 0;
      end_ = *n;
    }
    return Result<void>{};
  }

  Buffer buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t copied_ = 0;
  bool read_done_ = false;
  bool need_flush_ = false;
  bool shutdown_at_eof_;
};

}  // namespace detail

template <AsyncRead R, AsyncWrite W>
class [[nodiscard]] CopyFuture {
 public:
  CopyFuture(R& reader, W& writer) noexcept : r_(&reader), w_(&writer), state_(false) {}
  Poll<Result<std::uint64_t>> poll(Context& cx) { return state_.poll_copy(cx, *r_, *w_); }
  std::uint64_t bytes_copied() const noexcept { return state_.bytes_copied(); }
  // True while read bytes wait to be written (the only time a copy holds a buffer).
  bool holds_buffer() const noexcept { return state_.holds_buffer(); }

 private:
  R* r_;
  W* w_;
  detail::CopyState state_;
};

template <class A, class B>
requires AsyncRead<A> && AsyncWrite<A> && AsyncRead<B> && AsyncWrite<B>
class [[nodiscard]] CopyBidirectionalFuture {
 public:
  using Output = Result<std::pair<std::uint64_t, std::uint64_t>>;
  CopyBidirectionalFuture(A& a, B& b) noexcept : a_(&a), b_(&b), a_to_b_(true), b_to_a_(true) {}

  Poll<Output> poll(Context& cx) {
    if (!a_done_) {
      auto p = a_to_b_.poll_copy(cx, *a_, *b_);
      if (p.is_ready()) {
        if (Result<std::uint64_t> r = p.take(); !r) return Output(fail(r.error()));
        a_done_ = true;
      }
    }
    if (!b_done_) {
      auto p = b_to_a_.poll_copy(cx, *b_, *a_);
      if (p.is_ready()) {
        if (Result<std::uint64_t> r = p.take(); !r) return Output(fail(r.error()));
        b_done_ = true;
      }
    }
    if (!a_done_ || !b_done_) return pending;
    return Output(std::pair{a_to_b_.bytes_copied(), b_to_a_.bytes_copied()});
  }

 private:
  A* a_;
  B* b_;
  detail::CopyState a_to_b_;
  detail::CopyState b_to_a_;
  bool a_done_ = false;
  bool b_done_ = false;
};

// Copies `reader` to `writer` until end of stream, then flushes; returns the bytes copied.
template <AsyncRead R, AsyncWrite W>
CopyFuture<R, W> copy(R& reader, W& writer) noexcept {
  return CopyFuture<R, W>(reader, writer);
}

// Copies a -> b and b -> a concurrently; shuts down each writer when its reader ends. Returns
// {bytes a -> b, bytes b -> a}.
template <class A, class B>
requires AsyncRead<A> && AsyncWrite<A> && AsyncRead<B> && AsyncWrite<B>
    CopyBidirectionalFuture<A, B> copy_bidirectional(A& a, B& b)
noexcept {
  return CopyBidirectionalFuture<A, B>(a, b);
}

}  // namespace strata::io
