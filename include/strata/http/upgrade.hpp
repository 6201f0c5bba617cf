// http::Upgraded: the connection a handler takes over after "101 Switching Protocols"
// (WebSocket, h2c upgrade, any protocol negotiated with the Upgrade header, RFC 9110 §7.8).
//
//   Task<http::Response> chat(http::Request& req) {
//     if (!req.headers.get(http::header::upgrade))
//       co_return http::Response::error(http::StatusCode::bad_request);
//     http::Response r(http::StatusCode::switching_protocols);
//     r.headers.append_view_unchecked(http::header::connection, "upgrade");
//     r.headers.append_view_unchecked(http::header::upgrade, "chat/1");
//     r.on_upgrade = [](http::Upgraded& io) -> Task<void> {       // runs after the 101 is sent
//       std::array<std::byte, 512> buf;
//       auto n = co_await io::read(io, buf);                        // bytes of the new protocol
//       if (n) co_await io::write_all(io, std::span(buf).first(*n));   // echoed back
//     };
//     co_return r;
//   }
//
// The server writes the 101 response, then runs on_upgrade in the connection's task and closes
// the connection when it returns. Bytes the client sent after its request head (already in the
// server's read buffer) are read first, so nothing is lost at the switch. Upgraded is an
// AsyncRead + AsyncWrite over the connection's transport, whatever it is (TCP, TLS).
#pragma once

#include <cstddef>
#include <functional>
#include <span>

#include "strata/io/async_io.hpp"
#include "strata/io/buffer.hpp"
#include "strata/io/dyn_stream.hpp"
#include "strata/rt/task.hpp"

namespace strata::http {

class Upgraded {
 public:
  // `leftover`: bytes already read past the request head (served before the transport's).
  Upgraded(io::DynStream& t, io::Buffer leftover, std::size_t pos) noexcept
      : t_(t), leftover_(std::move(leftover)), pos_(pos) {}

  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) {
    if (pos_ < leftover_.size()) {
      std::size_t n = std::min(buf.size(), leftover_.size() - pos_);
      std::memcpy(buf.data(), leftover_.data() + pos_, n);
      pos_ += n;
      if (pos_ == leftover_.size()) leftover_.reset();
      return n;
    }
    return t_.poll_read(cx, buf);
  }
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) {
    return t_.poll_write(cx, buf);
  }
  Poll<Result<void>> poll_flush(Context& cx) { return t_.poll_flush(cx); }
  Poll<Result<void>> poll_shutdown(Context& cx) { return t_.poll_shutdown(cx); }

 private:
  io::DynStream& t_;
  io::Buffer leftover_;
  std::size_t pos_ = 0;
};

// What a handler sets on a 101 response to take the connection over.
using UpgradeHandler = std::function<Task<void>(Upgraded&)>;

}  // namespace strata::http
