// BufWriter<S>: adds a write buffer to any AsyncWrite stream, so that many small writes become
// few syscalls.
//
//   auto [stream, peer] = io::duplex(4096);             // or a TcpStream, a UnixStream, ...
//   io::BufWriter out(std::move(stream));               // default capacity 8 KiB
//   for (std::string_view row : {"a,1\n", "b,2\n"})
//     co_await io::write_all(out, io::as_bytes(row));
//   co_await io::flush(out);                             // nothing reaches the stream before
//
// Writes are copied into a pooled io::Buffer until it is full; then the buffer is written out
// first. A write at least as large as the capacity goes straight to the stream (after the
// buffered bytes), without a copy. poll_write_vectored() buffers all slices when they fit and
// otherwise writes them through with one writev. The buffer returns to the thread's pool each
// time it is flushed empty, so an idle BufWriter holds no memory beyond itself.
//
// Bytes are not sent until flush(), shutdown(), or the buffer fills: destroying a BufWriter
// with buffered bytes drops them (there is no async destructor). BufWriter is itself
// AsyncWrite and AsyncWriteVectored, and passes reads through when S is AsyncRead.
// Cancellation: a write returns Pending only before it copied anything, so dropping a pending
// write loses nothing; a pending flush keeps its progress (the buffer remembers what was sent).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/buffer.hpp"

namespace strata::io {

template <AsyncWrite S>
class BufWriter {
 public:
  static constexpr std::size_t default_capacity = 8 * 1024;

  explicit BufWriter(S inner, std::size_t capacity = default_capacity)
      : inner_(std::move(inner)), cap_(std::max<std::size_t>(capacity, 1)) {}
  BufWriter(BufWriter&&) noexcept = default;
  BufWriter& operator=(BufWriter&&) noexcept = default;

  S& get_ref() noexcept { return inner_; }
  const S& get_ref() const noexcept { return inner_; }
  // The stream; buffered bytes are dropped (flush first).
  S into_inner() && { return std::move(inner_); }
  std::size_t capacity() const noexcept { return cap_; }
  // The bytes buffered and not yet written to the stream.
  ConstBuffer buffer() const noexcept { return {buf_.data() + sent_, len_ - sent_}; }

  Poll<Result<std::size_t>> poll_write(Context& cx, ConstBuffer data) {
    if (len_ + data.size() > cap_) {
      auto f = poll_flush_buf(cx);
      if (f.is_pending()) return pending;
      if (Result<void> r = f.take(); !r) return Result<std::size_t>(fail(r.error()));
    }
    if (data.size() >= cap_) return inner_.poll_write(cx, data);  // write-through
    append(data);
    return data.size();
  }

  Poll<Result<std::size_t>> poll_write_vectored(Context& cx, std::span<const ConstBuffer> bufs) {
    std::size_t total = 0;
    for (ConstBuffer b : bufs) total += b.size();
    if (len_ + total > cap_) {
      auto f = poll_flush_buf(cx);
      if (f.is_pending()) return pending;
      if (Result<void> r = f.take(); !r) return Result<std::size_t>(fail(r.error()));
    }
    if (total >= cap_) {
      if constexpr (AsyncWriteVectored<S>) {
        return inner_.poll_write_vectored(cx, bufs);
      } else {
        for (ConstBuffer b : bufs) {
          if (!b.empty()) return inner_.poll_write(cx, b);
        }
      }
    }
    for (ConstBuffer b : bufs) append(b);
    return total;
  }

  Poll<Result<void>> poll_flush(Context& cx) {
    auto f = poll_flush_buf(cx);
    if (f.is_pending()) return pending;
    if (Result<void> r = f.take(); !r) return r;
    return inner_.poll_flush(cx);
  }

  Poll<Result<void>> poll_shutdown(Context& cx) {
    auto f = poll_flush_buf(cx);
    if (f.is_pending()) return pending;
    if (Result<void> r = f.take(); !r) return r;
    return inner_.poll_shutdown(cx);
  }

  // Reads pass straight through to the stream.
  Poll<Result<std::size_t>> poll_read(Context& cx, MutableBuffer buf) requires AsyncRead<S> {
    return inner_.poll_read(cx, buf);
  }
  Poll<Result<void>> poll_read_ready(Context& cx) requires AsyncReadReady<S> {
    return inner_.poll_read_ready(cx);
  }

 private:
  void append(ConstBuffer data) {
    if (data.empty()) return;
    if (!buf_) buf_ = Buffer::acquire(cap_);
    std::memcpy(buf_.data() + len_, data.data(), data.size());
    len_ += data.size();
  }

  // Writes the buffered bytes to the stream; the buffer goes back to the pool once empty.
  Poll<Result<void>> poll_flush_buf(Context& cx) {
    while (sent_ < len_) {
      auto p = inner_.poll_write(cx, ConstBuffer(buf_.data() + sent_, len_ - sent_));
      if (p.is_pending()) return pending;
      Result<std::size_t> n = p.take();
      if (!n) return Result<void>(fail(n.error()));
      if (*n == 0)
        return Result<void>(fail(Errc::closed, "BufWriter: stream accepts no more data"));
      sent_ += *n;
    }
    sent_ = len_ = 0;
    buf_.reset();
    return Result<void>{};
  }

  S inner_;
  std::size_t cap_;
  Buffer buf_;
  std::size_t len_ = 0;   // bytes buffered
  std::size_t sent_ = 0;  // of which already written
};

}  // namespace strata::io
