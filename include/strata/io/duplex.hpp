// io::duplex(): two connected in-memory byte streams, for tests and for plumbing protocol code
// together without sockets (like tokio::io::duplex).
//
//   auto [client, server] = io::duplex(64 * 1024);
//   co_await io::write_all(client, io::as_bytes("ping"));
//   std::array<std::byte, 4> got;
//   co_await io::read_exact(server, got);
//
// Each direction is a bounded pipe of `max_buf_size` bytes: a writer whose pipe is full waits
// (Pending) until the reader takes bytes — backpressure, as with a socket. Half-close:
// poll_shutdown() ends the writer's direction; the reader then reads what is left, then 0.
// Dropping a stream closes both of its directions: its peer reads the remaining bytes then 0,
// and its peer's writes fail with std::errc::broken_pipe. The two streams may be used from
// different tasks and threads; each stream serves one reader and one writer at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "strata/io/async_io.hpp"

namespace strata::io {

namespace detail {
struct DuplexPipe;
}

class DuplexStream {
 public:
  DuplexStream(DuplexStream&&) noexcept = default;
  DuplexStream& operator=(DuplexStream&& o) noexcept;
  ~DuplexStream();

  Poll<Result<std::size_t>> poll_read(Context& cx, MutableBuffer buf);
  Poll<Result<void>> poll_read_ready(Context& cx);
  Poll<Result<std::size_t>> poll_write(Context& cx, ConstBuffer buf);
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx, std::span<const ConstBuffer> bufs);
  Poll<Result<void>> poll_flush(Context&) { return Result<void>{}; }
  Poll<Result<void>> poll_shutdown(Context& cx);

 private:
  friend std::pair<DuplexStream, DuplexStream> duplex(std::size_t max_buf_size);
  DuplexStream(std::shared_ptr<detail::DuplexPipe> rd, std::shared_ptr<detail::DuplexPipe> wr)
      : read_(std::move(rd)), write_(std::move(wr)) {}
  void close() noexcept;

  std::shared_ptr<detail::DuplexPipe> read_;   // bytes the peer wrote to us
  std::shared_ptr<detail::DuplexPipe> write_;  // bytes we write to the peer
};

// Two connected streams; each direction buffers at most `max_buf_size` bytes (at least 1).
std::pair<DuplexStream, DuplexStream> duplex(std::size_t max_buf_size);

}  // namespace strata::io
