// Futures over AsyncRead/AsyncWrite streams: read, read_exact, read_to_end, read_ready, write,
// write_all, write_vectored, flush, shutdown. Each is a small hand-written future that borrows the
// stream and the buffer (both must outlive it), so `co_await io::read(s, buf)` allocates nothing.
//
//   auto [stream, peer] = io::duplex(4096);                    // or any stream
//   co_await io::write_all(stream, io::as_bytes("hello\n"));
//   std::array<std::byte, 5> hello;
//   Result<void> r = co_await io::read_exact(stream, hello);   // Errc::closed on early EOF
//
// Cancellation: read and write consume nothing when they return Pending; read_exact and
// write_all may have transferred a prefix when cancelled (as in tokio), which bytes_done() on the
// future reports; read_to_end keeps what it read in its output string.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>
#include <string>

#include "strata/io/async_io.hpp"

namespace strata::io {

template <AsyncRead S>
class ReadFuture {
 public:
  ReadFuture(S& s, MutableBuffer buf) noexcept : s_(&s), buf_(buf) {}
  Poll<Result<std::size_t>> poll(Context& cx) { return s_->poll_read(cx, buf_); }

 private:
  S* s_;
  MutableBuffer buf_;
};

template <AsyncRead S>
class ReadExactFuture {
 public:
  ReadExactFuture(S& s, MutableBuffer buf) noexcept : s_(&s), buf_(buf) {}
  Poll<Result<void>> poll(Context& cx) {
    while (done_ < buf_.size()) {
      auto p = s_->poll_read(cx, buf_.subspan(done_));
      if (p.is_pending()) return pending;
      Result<std::size_t> n = p.take();
      if (!n) return Result<void>(fail(n.error()));
      if (*n == 0) return Result<void>(fail(Errc::closed, "read_exact: end of stream"));
      done_ += *n;
    }
    return Result<void>{};
  }
  std::size_t bytes_done() const noexcept { return done_; }

 private:
  S* s_;
  MutableBuffer buf_;
  std::size_t done_ = 0;
};

template <AsyncWrite S>
class WriteFuture {
 public:
  WriteFuture(S& s, ConstBuffer buf) noexcept : s_(&s), buf_(buf) {}
  Poll<Result<std::size_t>> poll(Context& cx) { return s_->poll_write(cx, buf_); }

 private:
  S* s_;
  ConstBuffer buf_;
};

template <AsyncWrite S>
class WriteAllFuture {
 public:
  WriteAllFuture(S& s, ConstBuffer buf) noexcept : s_(&s), buf_(buf) {}
  Poll<Result<void>> poll(Context& cx) {
    while (done_ < buf_.size()) {
      auto p = s_->poll_write(cx, buf_.subspan(done_));
      if (p.is_pending()) return pending;
      Result<std::size_t> n = p.take();
      if (!n) return Result<void>(fail(n.error()));
      if (*n == 0)
        return Result<void>(fail(Errc::closed, "write_all: stream accepts no more data"));
      done_ += *n;
    }
    return Result<void>{};
  }
  std::size_t bytes_done() const noexcept { return done_; }

 private:
  S* s_;
  ConstBuffer buf_;
  std::size_t done_ = 0;
};

template <AsyncWrite S>
class WriteVectoredFuture {
 public:
  WriteVectoredFuture(S& s, std::span<const ConstBuffer> bufs) noexcept : s_(&s), bufs_(bufs) {}
  Poll<Result<std::size_t>> poll(Context& cx) {
    if constexpr (AsyncWriteVectored<S>) {
      return s_->poll_write_vectored(cx, bufs_);
    } else {
      for (ConstBuffer b : bufs_) {
        if (!b.empty()) return s_->poll_write(cx, b);
      }
      return std::size_t{0};
    }
  }

 private:
  S* s_;
  std::span<const ConstBuffer> bufs_;
};

template <AsyncRead S>
class ReadToEndFuture {
 public:
  ReadToEndFuture(S& s, std::string& out, std::size_t max) noexcept
      : s_(&s), out_(&out), max_(max) {}
  // Appends until end of stream; returns the number of bytes appended. Errc::invalid_input once
  // more than `max` bytes were appended (they stay in the string).
  Poll<Result<std::size_t>> poll(Context& cx) {
    for (;;) {
      const std::size_t old = out_->size();
      if (out_->capacity() - old < 4096) {  // grow geometrically
        out_->reserve(std::max(out_->capacity() * 2, old + 4096));
      }
      // Read into the spare capacity, at most 64 KiB at a time (resize() zero-fills it).
      const std::size_t chunk = std::min<std::size_t>(out_->capacity() - old, 64 * 1024);
      out_->resize(old + chunk);
      auto p = s_->poll_read(cx, as_writable_bytes(std::span(out_->data() + old, chunk)));
      const std::size_t n = p.is_ready() && p.value() ? *p.value() : 0;
      out_->resize(old + n);
      if (p.is_pending()) return pending;
      Result<std::size_t> r = p.take();
      if (!r) return Result<std::size_t>(fail(r.error()));
      if (n == 0) return done_;
      done_ += n;
      if (done_ > max_)
        return Result<std::size_t>(fail(Errc::invalid_input, "read_to_end: limit exceeded"));
    }
  }
  std::size_t bytes_done() const noexcept { return done_; }

 private:
  S* s_;
  std::string* out_;
  std::size_t max_;
  std::size_t done_ = 0;
};

template <AsyncReadReady S>
class ReadReadyFuture {
 public:
  explicit ReadReadyFuture(S& s) noexcept : s_(&s) {}
  Poll<Result<void>> poll(Context& cx) { return s_->poll_read_ready(cx); }

 private:
  S* s_;
};

template <AsyncWrite S>
class FlushFuture {
 public:
  explicit FlushFuture(S& s) noexcept : s_(&s) {}
  Poll<Result<void>> poll(Context& cx) { return s_->poll_flush(cx); }

 private:
  S* s_;
};

template <AsyncWrite S>
class ShutdownFuture {
 public:
  explicit ShutdownFuture(S& s) noexcept : s_(&s) {}
  Poll<Result<void>> poll(Context& cx) { return s_->poll_shutdown(cx); }

 private:
  S* s_;
};

// Reads at most buf.size() bytes; Ready(0) means end of stream.
template <AsyncRead S>
ReadFuture<S> read(S& s, MutableBuffer buf) noexcept {
  return ReadFuture<S>(s, buf);
}
// Fills buf completely; Errc::closed if the stream ends first.
template <AsyncRead S>
ReadExactFuture<S> read_exact(S& s, MutableBuffer buf) noexcept {
  return {s, buf};
}
// Appends everything up to end of stream to `out`; returns how many bytes were appended.
template <AsyncRead S>
ReadToEndFuture<S> read_to_end(S& s, std::string& out,
                               std::size_t max = std::numeric_limits<std::size_t>::max()) noexcept {
  return ReadToEndFuture<S>(s, out, max);
}
// Waits until the stream is readable, without a buffer (see AsyncReadReady).
template <AsyncReadReady S>
ReadReadyFuture<S> read_ready(S& s) noexcept {
  return ReadReadyFuture<S>(s);
}
// Writes at most buf.size() bytes; returns how many were accepted.
template <AsyncWrite S>
WriteFuture<S> write(S& s, ConstBuffer buf) noexcept {
  return {s, buf};
}
// Writes all of buf.
template <AsyncWrite S>
WriteAllFuture<S> write_all(S& s, ConstBuffer buf) noexcept {
  return {s, buf};
}
// Writes from several buffers in one call where the stream supports it (writev).
template <AsyncWrite S>
WriteVectoredFuture<S> write_vectored(S& s, std::span<const ConstBuffer> bufs) noexcept {
  return {s, bufs};
}
template <AsyncWrite S>
FlushFuture<S> flush(S& s) noexcept {
  return FlushFuture<S>(s);
}
// Flushes, then closes the write direction.
template <AsyncWrite S>
ShutdownFuture<S> shutdown(S& s) noexcept {
  return ShutdownFuture<S>(s);
}

}  // namespace strata::io
