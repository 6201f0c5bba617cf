// The byte stream under a WebSocket, type-erased (one virtual call per I/O) so that WebSocket
// is one non-template type over TCP, TLS or an upgraded HTTP connection.
#pragma once

#include <memory>
#include <utility>

#include "strata/io/async_io.hpp"

namespace strata::http::ws::detail {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) = 0;
  virtual Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) = 0;
  virtual Poll<Result<void>> poll_flush(Context& cx) = 0;
  virtual Poll<Result<void>> poll_shutdown(Context& cx) = 0;
};

// Owns the stream (client connections) or, with S = T&, borrows it (an http::Upgraded).
template <class S>
class TransportFor final : public Transport {
 public:
  explicit TransportFor(S s) noexcept(std::is_nothrow_move_constructible_v<S>)
      : s_(std::forward<S>(s)) {}
  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) override {
    return s_.poll_read(cx, buf);
  }
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) override {
    return s_.poll_write(cx, buf);
  }
  Poll<Result<void>> poll_flush(Context& cx) override { return s_.poll_flush(cx); }
  Poll<Result<void>> poll_shutdown(Context& cx) override { return s_.poll_shutdown(cx); }

 private:
  S s_;
};

template <class S>
std::unique_ptr<Transport> make_transport(S&& s) {
  return std::make_unique<TransportFor<S>>(std::forward<S>(s));
}

}  // namespace strata::http::ws::detail
