// ClientStream: the byte stream of one pooled http::Client connection, plain TCP (http://) or
// TLS over TCP (https://), like hyper-tls's MaybeHttpsStream. It is an AsyncRead + AsyncWrite
// (+ AsyncReadReady); each call branches once on which one it holds (no virtual call per read
// or write), and the h1 code above it is the same for both.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <variant>

#include "strata/io/async_io.hpp"
#include "strata/net/tcp_stream.hpp"
#include "strata/tls/stream.hpp"

namespace strata::http::detail {

class ClientStream {
  using Tls = tls::TlsStream<net::TcpStream>;
  // One branch on which stream it holds (declared first: the poll_* functions deduce from it).
  template <class F>
  decltype(auto) visit(F&& f) {
    if (Tls* t = std::get_if<1>(&s_)) return f(*t);
    return f(*std::get_if<0>(&s_));
  }

 public:
  explicit ClientStream(net::TcpStream s) noexcept : s_(std::in_place_index<0>, std::move(s)) {}
  explicit ClientStream(tls::TlsStream<net::TcpStream> s) noexcept
      : s_(std::in_place_index<1>, std::move(s)) {}
  ClientStream(ClientStream&&) noexcept = default;
  ClientStream& operator=(ClientStream&&) noexcept = default;

  bool is_tls() const noexcept { return s_.index() == 1; }
  // The TLS session (what was negotiated), or null for plain TCP.
  const tls::Session* tls_session() const noexcept {
    const Tls* t = std::get_if<1>(&s_);
    return t ? &t->session() : nullptr;
  }

  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) {
    return visit([&](auto& s) { return s.poll_read(cx, buf); });
  }
  Poll<Result<void>> poll_read_ready(Context& cx) {
    return visit([&](auto& s) { return s.poll_read_ready(cx); });
  }
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) {
    return visit([&](auto& s) { return s.poll_write(cx, buf); });
  }
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx,
                                                std::span<const io::ConstBuffer> bufs) {
    return visit([&](auto& s) { return s.poll_write_vectored(cx, bufs); });
  }
  Poll<Result<void>> poll_flush(Context& cx) {
    return visit([&](auto& s) { return s.poll_flush(cx); });
  }
  Poll<Result<void>> poll_shutdown(Context& cx) {
    return visit([&](auto& s) { return s.poll_shutdown(cx); });
  }

  // The stale check of an idle pooled connection, without blocking: true when it is open and
  // has nothing to read. EOF, an error or any byte (plaintext, or a TLS record: an alert, a
  // late ticket) means the server is done with it or out of step, so it is not reused. (A byte
  // read here is lost, which is why the connection is then dropped.)
  bool idle_and_open() {
    net::TcpStream* tcp = std::get_if<0>(&s_);
    if (Tls* t = std::get_if<1>(&s_)) {
      if (t->session().has_buffered_input()) return false;
      tcp = &t->get_ref();
    }
    std::byte probe[1];
    Result<std::size_t> r = tcp->try_read(probe);
    return !r && r.error() == std::errc::operation_would_block;
  }

  // Writes all of `bytes` now if the socket takes them at once; false otherwise (some may have
  // been written). Plain TCP only: TlsStream has no non-blocking write (its poll_write would
  // register this task's waker), so over TLS it is always false and the caller closes.
  bool try_write_all(io::ConstBuffer bytes) {
    net::TcpStream* tcp = std::get_if<0>(&s_);
    if (!tcp) return false;
    Result<std::size_t> n = tcp->try_write(bytes);
    return n && *n == bytes.size();
  }

 private:
  std::variant<net::TcpStream, Tls> s_;
};

}  // namespace strata::http::detail
