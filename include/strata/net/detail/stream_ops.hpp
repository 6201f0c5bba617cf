// Internal: the members that every connected stream socket (TcpStream, UnixStream) builds the
// same way from its poll_* methods — the read/write/readable/writable futures and split() /
// into_split() — written once as a CRTP base.
//
//   class UnixStream : public detail::StreamOps<UnixStream> {
//    public:
//     Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf);   // and so on
//   };
//   auto n = co_await unix_stream.read(buf);   // the future StreamOps builds from poll_read
//
// S must provide poll_read, poll_write, poll_read_ready, poll_write_ready and a public move
// constructor. The base has no state: a stream's size and layout are unchanged.
#pragma once

#include <memory>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/net/split.hpp"

namespace strata::net::detail {

// The future-returning and splitting members of a stream socket S, in terms of its poll_* ones.
template <class S>
class StreamOps {
 public:
  // Futures: read/write at most buf.size() bytes (see also io::read_exact, io::write_all). Each
  // borrows the stream, which must outlive it.
  auto read(io::MutableBuffer buf) noexcept {
    return io::poll_fn([s = self(), buf](Context& cx) { return s->poll_read(cx, buf); });
  }
  auto write(io::ConstBuffer buf) noexcept {
    return io::poll_fn([s = self(), buf](Context& cx) { return s->poll_write(cx, buf); });
  }
  // Wait for readability / writability without a buffer (Result<void>).
  auto readable() noexcept {
    return io::poll_fn([s = self()](Context& cx) { return s->poll_read_ready(cx); });
  }
  auto writable() noexcept {
    return io::poll_fn([s = self()](Context& cx) { return s->poll_write_ready(cx); });
  }

  // Borrowed halves for two tasks (this stream must outlive them and not move).
  std::pair<ReadHalf<S>, WriteHalf<S>> split() noexcept {
    return {ReadHalf<S>(*self()), WriteHalf<S>(*self())};
  }
  // Owned halves sharing the stream (one allocation); see net/split.hpp.
  std::pair<OwnedReadHalf<S>, OwnedWriteHalf<S>> into_split() && {
    auto s = std::make_shared<S>(std::move(*self()));
    return {OwnedReadHalf<S>(s), OwnedWriteHalf<S>(s)};
  }

 protected:
  StreamOps() = default;

 private:
  S* self() noexcept { return static_cast<S*>(this); }
};

}  // namespace strata::net::detail
