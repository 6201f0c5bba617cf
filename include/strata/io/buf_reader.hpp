// BufReader<S>: adds a read buffer to any AsyncRead stream, for line- and delimiter-oriented
// protocols (read_line, read_until) and for many small reads.
//
//   auto [stream, peer] = io::duplex(4096);           // or a TcpStream, a UnixStream, ...
//   io::BufReader reader(std::move(stream));
//   std::string line;
//   for (;;) {
//     Result<std::size_t> n = co_await io::read_line(reader, line);  // appends, '\n' included
//     if (!n || *n == 0) break;                                      // error or end of stream
//     use(line);
//     line.clear();
//   }
//
// The buffer is a pooled io::Buffer taken only while it holds unread bytes: when the buffer is
// consumed it goes back to the thread's pool, and when S is AsyncReadReady the reader waits for
// readability before taking one, so an idle BufReader holds no buffer (DESIGN §4). A read
// request at least as large as the capacity, arriving while the buffer is empty, bypasses it.
//
// BufReader is itself AsyncRead and AsyncBufRead, AsyncReadReady when S is, and passes writes
// through when S is AsyncWrite (so a BufReader<TcpStream> is still a full duplex stream).
// Cancellation: read_line/read_until append bytes to their output as they consume them, so a
// cancelled call loses nothing: the bytes are in the output, or still in the buffer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "strata/io/async_io.hpp"
#include "strata/io/buffer.hpp"

namespace strata::io {

template <AsyncRead S>
class BufReader {
 public:
  static constexpr std::size_t default_capacity = 8 * 1024;

  explicit BufReader(S inner, std::size_t capacity = default_capacity)
      : inner_(std::move(inner)), cap_(std::max<std::size_t>(capacity, 1)) {}
  BufReader(BufReader&&) noexcept = default;
  BufReader& operator=(BufReader&&) noexcept = default;

  S& get_ref() noexcept { return inner_; }
  const S& get_ref() const noexcept { return inner_; }
  // The stream; bytes still in the buffer are lost to it.
  S into_inner() && { return std::move(inner_); }
  std::size_t capacity() const noexcept { return cap_; }
  // The unread bytes in the buffer (valid until the next consume() or poll).
  ConstBuffer buffer() const noexcept { return {buf_.data() + pos_, end_ - pos_}; }
  // True while the reader holds a pooled buffer (i.e. has unread bytes or is mid-read).
  bool holds_buffer() const noexcept { return static_cast<bool>(buf_); }

  // AsyncBufRead: the unread bytes, reading more from the stream if there are none. Empty at
  // end of stream.
  Poll<Result<ConstBuffer>> poll_fill_buf(Context& cx) {
    if (pos_ == end_) {
      if constexpr (AsyncReadReady<S>) {
        auto r = inner_.poll_read_ready(cx);
        if (r.is_pending()) return pending;
        if (Result<void> e = r.take(); !e) return Result<ConstBuffer>(fail(e.error()));
      }
      if (!buf_) buf_ = Buffer::acquire(cap_);
      auto p = inner_.poll_read(cx, MutableBuffer(buf_.data(), cap_));
      if (p.is_pending()) {
        buf_.reset();
        return pending;
      }
      Result<std::size_t> n = p.take();
      if (!n || *n == 0) {
        buf_.reset();
        if (!n) return Result<ConstBuffer>(fail(n.error()));
        return Result<ConstBuffer>(ConstBuffer{});
      }
      pos_ = 0;
      end_ = *n;
    }
    return Result<ConstBuffer>(buffer());
  }

  // Marks n buffered bytes as read; the buffer goes back to the pool once all are.
  void consume(std::size_t n) noexcept {
    pos_ = std::min(pos_ + n, end_);
    if (pos_ == end_) {
      pos_ = end_ = 0;
      buf_.reset();
    }
  }

  Poll<Result<std::size_t>> poll_read(Context& cx, MutableBuffer out) {
    if (pos_ == end_ && out.size() >= cap_) return inner_.poll_read(cx, out);  // bypass
    auto p = poll_fill_buf(cx);
    if (p.is_pending()) return pending;
    Result<ConstBuffer> avail = p.take();
    if (!avail) return Result<std::size_t>(fail(avail.error()));
    const std::size_t n = std::min(out.size(), avail->size());
    if (n) std::memcpy(out.data(), avail->data(), n);
    consume(n);
    return n;
  }

  Poll<Result<void>> poll_read_ready(Context& cx) requires AsyncReadReady<S> {
    if (pos_ < end_) return Result<void>{};
    return inner_.poll_read_ready(cx);
  }

  // Writes pass straight through to the stream.
  Poll<Result<std::size_t>> poll_write(Context& cx, ConstBuffer buf) requires AsyncWrite<S> {
    return inner_.poll_write(cx, buf);
  }
  Poll<Result<std::size_t>> poll_write_vectored(
      Context& cx, std::span<const ConstBuffer> bufs) requires AsyncWriteVectored<S> {
    return inner_.poll_write_vectored(cx, bufs);
  }
  Poll<Result<void>> poll_flush(Context& cx) requires AsyncWrite<S> {
    return inner_.poll_flush(cx);
  }
  Poll<Result<void>> poll_shutdown(Context& cx) requires AsyncWrite<S> {
    return inner_.poll_shutdown(cx);
  }

 private:
  S inner_;
  std::size_t cap_;
  Buffer buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

// Reads until `delim` (included) or end of stream, appending to `out` (a std::string or a
// std::vector<std::byte>); returns the bytes appended, 0 at end of stream. Fails with
// Errc::invalid_input once more than `max` bytes were appended without finding `delim`.
template <AsyncBufRead R, class Out>
class ReadUntilFuture {
 public:
  ReadUntilFuture(R& r, std::byte delim, Out& out, std::size_t max) noexcept
      : r_(&r), out_(&out), delim_(delim), max_(max) {}

  Poll<Result<std::size_t>> poll(Context& cx) {
    for (;;) {
      auto p = r_->poll_fill_buf(cx);
      if (p.is_pending()) return pending;
      Result<ConstBuffer> avail = p.take();
      if (!avail) return Result<std::size_t>(fail(avail.error()));
      if (avail->empty()) return done_;
      const void* hit = std::memchr(avail->data(), static_cast<int>(delim_), avail->size());
      const std::size_t n =
          hit ? static_cast<std::size_t>(static_cast<const std::byte*>(hit) - avail->data()) + 1
              : avail->size();
      const auto* first = reinterpret_cast<const typename Out::value_type*>(avail->data());
      out_->insert(out_->end(), first, first + n);
      r_->consume(n);
      done_ += n;
      if (hit) return done_;
      if (done_ > max_) {
        return Result<std::size_t>(
            fail(Errc::invalid_input, "read_until: delimiter not found within the limit"));
      }
    }
  }
  std::size_t bytes_done() const noexcept { return done_; }

 private:
  R* r_;
  Out* out_;
  std::byte delim_;
  std::size_t max_;
  std::size_t done_ = 0;
};

template <AsyncBufRead R>
ReadUntilFuture<R, std::vector<std::byte>> read_until(
    R& r, std::byte delim, std::vector<std::byte>& out,
    std::size_t max = std::numeric_limits<std::size_t>::max()) noexcept {
  return ReadUntilFuture<R, std::vector<std::byte>>(r, delim, out, max);
}
template <AsyncBufRead R>
ReadUntilFuture<R, std::string> read_until(
    R& r, char delim, std::string& out,
    std::size_t max = std::numeric_limits<std::size_t>::max()) noexcept {
  return ReadUntilFuture<R, std::string>(r, std::byte(delim), out, max);
}
// Reads one line, '\n' included (a final line without '\n' at end of stream too), appending it
// to `out`; returns its length, 0 at end of stream.
template <AsyncBufRead R>
ReadUntilFuture<R, std::string> read_line(
    R& r, std::string& out, std::size_t max = std::numeric_limits<std::size_t>::max()) noexcept {
  return ReadUntilFuture<R, std::string>(r, std::byte{'\n'}, out, max);
}

// A future for poll_fill_buf(): the buffered bytes (empty at end of stream).
template <AsyncBufRead R>
class FillBufFuture {
 public:
  explicit FillBufFuture(R& r) noexcept : r_(&r) {}
  Poll<Result<ConstBuffer>> poll(Context& cx) { return r_->poll_fill_buf(cx); }

 private:
  R* r_;
};
template <AsyncBufRead R>
FillBufFuture<R> fill_buf(R& r) noexcept {
  return FillBufFuture<R>(r);
}

}  // namespace strata::io
