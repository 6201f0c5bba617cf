// io::DynStream: an AsyncRead + AsyncWrite behind one virtual call per operation, for the types
// that must stay one non-template type whatever stream they run over (TCP, TLS, an upgraded
// HTTP connection): ws::WebSocket, http::Upgraded.
//
//   auto [stream, peer] = io::duplex(4096);                // or a TcpStream, a TlsStream, ...
//   std::unique_ptr<io::DynStream> owned = io::make_dyn_stream(std::move(stream));   // owns it
//   io::DynStreamFor<io::DuplexStream&> borrowed(peer);     // borrows it (S = T&)
//   io::DynStream& any = borrowed;
//   Result<std::size_t> n = co_await io::write(any, io::as_bytes("hi"));
//
// The static wrappers (BufReader, TlsStream<S>) stay templates: they sit on hot paths where the
// virtual call would be paid per byte run; a DynStream sits where one call per I/O is noise.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "strata/io/async_io.hpp"

namespace strata::io {

// The stream interface (one reading task and one writing task at a time, like any stream).
class DynStream {
 public:
  virtual ~DynStream() = default;
  virtual Poll<Result<std::size_t>> poll_read(Context& cx, MutableBuffer buf) = 0;
  virtual Poll<Result<std::size_t>> poll_write(Context& cx, ConstBuffer buf) = 0;
  virtual Poll<Result<void>> poll_flush(Context& cx) = 0;
  virtual Poll<Result<void>> poll_shutdown(Context& cx) = 0;
};

// Owns the stream S, or borrows it when S is a reference type T&.
template <class S>
class DynStreamFor final : public DynStream {
 public:
  explicit DynStreamFor(S s) noexcept(std::is_nothrow_move_constructible_v<S>)
      : s_(std::forward<S>(s)) {}
  Poll<Result<std::size_t>> poll_read(Context& cx, MutableBuffer buf) override {
    return s_.poll_read(cx, buf);
  }
  Poll<Result<std::size_t>> poll_write(Context& cx, ConstBuffer buf) override {
    return s_.poll_write(cx, buf);
  }
  Poll<Result<void>> poll_flush(Context& cx) override { return s_.poll_flush(cx); }
  Poll<Result<void>> poll_shutdown(Context& cx) override { return s_.poll_shutdown(cx); }

 private:
  S s_;
};

// A heap DynStream over `s`: owning for an rvalue, borrowing for an lvalue.
template <class S>
std::unique_ptr<DynStream> make_dyn_stream(S&& s) {
  return std::make_unique<DynStreamFor<S>>(std::forward<S>(s));
}

}  // namespace strata::io
