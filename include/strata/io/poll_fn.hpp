// poll_fn(): a Future made from a function `(Context&) -> Poll<T>`, like Rust's
// std::future::poll_fn. The socket types use it to turn their poll_* methods into the futures
// their read/write/accept/recv methods return, with no allocation and no coroutine frame:
//
//   struct MySocket {
//     Poll<Result<std::size_t>> poll_recv(Context& cx, io::MutableBuffer buf);
//     auto recv(io::MutableBuffer buf) {
//       return io::poll_fn([this, buf](Context& cx) { return poll_recv(cx, buf); });
//     }
//   };
//
//   MySocket sock;
//   std::array<std::byte, 512> buf;
//   Result<std::size_t> n = co_await sock.recv(buf);
//
// The function is called on every poll; whatever it captures by reference must outlive the
// future. A PollFn has a constructor on purpose (see docs/runtime.md, "Known compiler issues").
#pragma once

#include <type_traits>
#include <utility>

#include "strata/rt/future.hpp"

namespace strata::io {

template <class F>
class [[nodiscard]] PollFn {
 public:
  explicit PollFn(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}
  auto poll(Context& cx) { return f_(cx); }

 private:
  F f_;
};

template <class F>
PollFn<F> poll_fn(F f) {
  return PollFn<F>(std::move(f));
}

}  // namespace strata::io
