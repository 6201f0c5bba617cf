// Internals of h1::ServerConnection (strata/http/h1/server_connection.hpp): the pooled
// per-request state and the server's own error responses. Not API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "strata/http/h1/body_decoder.hpp"
#include "strata/http/h1/limits.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/io/buffer.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h1 {

// Per-request state, pooled per thread (src/http/h1/server_connection.cpp).
struct Scratch {
  RequestHead head;
  RequestParser parser;
  BodyDecoder decoder;
  Request request;
  Response response;
  Headers trailers;                // of a chunked request body
  std::optional<Sleep> body_wait;  // the body read deadline while a read is pending
  std::string out;                 // responses not yet written (pipelined batches)
  std::size_t out_sent = 0;        // bytes of `out` already written (while a handler waits)
  bool out_failed = false;         // a write of `out` failed: the connection is lost
  io::Buffer head_bytes;           // keeps the bytes the request's views point into
  Scratch* next_free = nullptr;

  static Scratch* acquire(const Limits& limits);
  static void release(Scratch* s) noexcept;
};

namespace detail {

// Owns a pooled Scratch (RAII).
class ScratchLease {
 public:
  ScratchLease() = default;
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  ~ScratchLease() { reset(); }
  Scratch* get() const noexcept { return s_; }
  Scratch* operator->() const noexcept { return s_; }
  explicit operator bool() const noexcept { return s_ != nullptr; }
  void acquire(const Limits& l) {
    if (!s_) s_ = Scratch::acquire(l);
  }
  void reset() noexcept {
    if (s_) Scratch::release(std::exchange(s_, nullptr));
  }

 private:
  Scratch* s_ = nullptr;
};

// Appends a response the server writes itself (parse errors, limits, timeouts): the status,
// its reason phrase as a text body, and "connection: close".
void append_error_response(std::string& out, int status);
inline constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

// The result of an I/O future run under timeout(): one level of Result.
template <class T>
Result<T> flatten(Result<Result<T>> r) {
  if (!r) return std::unexpected(std::move(r).error());
  return std::move(*r);
}

}  // namespace detail

}  // namespace strata::http::h1
