// Splitting a stream into a read half and a write half, so that one task reads while another
// writes (TcpStream::split(), UnixStream::split(), and the same for any stream below).
//
//   Task<void> drain(net::OwnedReadHalf<net::UnixStream> rd) {   // may run on another worker
//     std::array<std::byte, 4096> buf;
//     for (;;) if (Result<std::size_t> n = co_await io::read(rd, buf); !n || *n == 0) co_return;
//   }
//
//   auto [peer, stream] = *net::UnixStream::pair();   // or a TcpStream
//   auto [rd, wr] = stream.split();                  // borrowed: `stream` must outlive both
//   std::array<std::byte, 4> buf;
//   co_await join(io::read(rd, buf), io::write_all(wr, io::as_bytes("ping")));   // both at once
//
//   auto [orh, owh] = std::move(stream).into_split(); // owned: each half keeps the stream alive
//   spawn(drain(std::move(orh)));                     // halves may move to other tasks/threads
//   auto [r, w] = std::move(peer).into_split();
//   net::UnixStream again = *net::reunite(std::move(r), std::move(w));   // halves -> the stream
//
// Why it is safe: a stream's read path and write path touch disjoint state, and the reactor
// keeps separate read and write wakers per socket, so one task may poll the read half while
// another (on any thread) polls the write half. Two tasks on the same half are not supported.
// Dropping an OwnedWriteHalf shuts the write direction down (the peer reads end of stream),
// unless it was reunited; ReadHalf/WriteHalf are plain views and do nothing when dropped.
#pragma once

#include <memory>
#include <span>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/rt/error.hpp"

namespace strata::net {

template <class S>
class ReadHalf {
 public:
  explicit ReadHalf(S& s) noexcept : s_(&s) {}
  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) {
    return s_->poll_read(cx, buf);
  }
  Poll<Result<void>> poll_read_ready(Context& cx) { return s_->poll_read_ready(cx); }
  const S& stream() const noexcept { return *s_; }

 private:
  S* s_;
};

template <class S>
class WriteHalf {
 public:
  explicit WriteHalf(S& s) noexcept : s_(&s) {}
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) {
    return s_->poll_write(cx, buf);
  }
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx,
                                                std::span<const io::ConstBuffer> bufs) {
    return s_->poll_write_vectored(cx, bufs);
  }
  Poll<Result<void>> poll_flush(Context& cx) { return s_->poll_flush(cx); }
  Poll<Result<void>> poll_shutdown(Context& cx) { return s_->poll_shutdown(cx); }
  const S& stream() const noexcept { return *s_; }

 private:
  S* s_;
};

template <class S>
class OwnedWriteHalf;

template <class S>
class OwnedReadHalf {
 public:
  explicit OwnedReadHalf(std::shared_ptr<S> s) noexcept : s_(std::move(s)) {}
  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) {
    return s_->poll_read(cx, buf);
  }
  Poll<Result<void>> poll_read_ready(Context& cx) { return s_->poll_read_ready(cx); }
  const S& stream() const noexcept { return *s_; }

 private:
  template <class T>
  friend Result<T> reunite(OwnedReadHalf<T>, OwnedWriteHalf<T>);
  std::shared_ptr<S> s_;
};

template <class S>
class OwnedWriteHalf {
 public:
  explicit OwnedWriteHalf(std::shared_ptr<S> s) noexcept : s_(std::move(s)) {}
  OwnedWriteHalf(OwnedWriteHalf&&) noexcept = default;
  OwnedWriteHalf& operator=(OwnedWriteHalf&& o) noexcept {
    if (this != &o) {
      shutdown_now();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  // Shuts the write direction down (the peer sees end of stream).
  ~OwnedWriteHalf() { shutdown_now(); }

  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) {
    return s_->poll_write(cx, buf);
  }
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx,
                                                std::span<const io::ConstBuffer> bufs) {
    return s_->poll_write_vectored(cx, bufs);
  }
  Poll<Result<void>> poll_flush(Context& cx) { return s_->poll_flush(cx); }
  Poll<Result<void>> poll_shutdown(Context& cx) { return s_->poll_shutdown(cx); }
  const S& stream() const noexcept { return *s_; }

 private:
  template <class T>
  friend Result<T> reunite(OwnedReadHalf<T>, OwnedWriteHalf<T>);
  void shutdown_now() noexcept {
    if (s_) (void)s_->shutdown_write_now();
  }
  std::shared_ptr<S> s_;
};

// Puts two owned halves of the same stream back together; Errc::invalid_input (and both halves
// dropped) if they come from different streams.
template <class S>
Result<S> reunite(OwnedReadHalf<S> rd, OwnedWriteHalf<S> wr) {
  if (rd.s_ != wr.s_) return fail(Errc::invalid_input, "reunite: halves of different streams");
  wr.s_.reset();  // no shutdown: the stream lives on
  std::shared_ptr<S> s = std::move(rd.s_);
  return std::move(*s);
}

}  // namespace strata::net
