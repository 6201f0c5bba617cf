// tls::TlsStream<S>: TLS over any AsyncRead + AsyncWrite stream (TCP, Unix sockets, in-memory
// duplexes), itself an AsyncRead + AsyncWrite stream, so HTTP and everything else run on it
// unchanged.
//
//   auto ctx = tls::ClientContext::create({});                    // verification on
//   auto tcp = co_await net::TcpStream::connect(addr);
//   Result<tls::TlsStream<net::TcpStream>> s =
//       co_await tls::connect(*ctx, "example.com", std::move(*tcp));   // handshake, with deadline
//   if (!s) co_return fail(s.error());        // typed: TlsErrc::name_mismatch, unknown_ca, ...
//   co_await io::write_all(*s, io::as_bytes("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
//   std::string_view proto = s->session().alpn();
//   co_await io::shutdown(*s);                                   // close_notify, then FIN
//
//   // Server side: tls::accept(server_ctx, std::move(tcp)).
//
// Reads return 0 only after the peer's close_notify; a peer that just closes the connection
// makes the read fail with TlsErrc::unexpected_eof (a truncation a client must not mistake for
// the end of a body). poll_write accepts plaintext once the ciphertext of earlier writes has
// been handed to the transport; poll_flush writes out what the transport has not taken yet.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/rt/time.hpp"
#include "strata/tls/context.hpp"
#include "strata/tls/session.hpp"

namespace strata::tls {

template <class S>
requires io::AsyncRead<S> && io::AsyncWrite<S>
class TlsStream {
 public:
  // A stream whose handshake has not run yet: poll_handshake() (or the first read or write)
  // runs it. tls::accept / tls::connect do this with the deadline.
  TlsStream(S io, Session session) noexcept : io_(std::move(io)), session_(std::move(session)) {}
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) noexcept = default;

  Poll<Result<void>> poll_handshake(Context& cx) {
    return session_.poll_handshake(cx, transport());
  }

  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) {
    return session_.poll_read(cx, transport(), buf);
  }
  Poll<Result<void>> poll_read_ready(Context& cx) requires io::AsyncReadReady<S> {
    // Plaintext or a whole record may already be here; else wait on the transport (also
    // writing out what it has not taken: an idle connection must not sit on a response).
    if (!session_.has_buffered_input()) {
      Poll<Result<void>> f = session_.poll_flush(cx, transport());
      if (f.is_ready() && !f.value()) return f;
      return io_.poll_read_ready(cx);
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // g++ 12 -O1 + ASan: a false positive
#endif
    return Result<void>{};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  }
  Poll<Result<std::size_t>> poll_write(Context& cx, io::ConstBuffer buf) {
    return session_.poll_write(cx, transport(), buf);
  }
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx,
                                                std::span<const io::ConstBuffer> bufs) {
    return session_.poll_write_vectored(cx, transport(), bufs);
  }
  Poll<Result<void>> poll_flush(Context& cx) {
    Poll<Result<void>> p = session_.poll_flush(cx, transport());
    if (!p.is_ready() || !p.value()) return p;
    return io_.poll_flush(cx);
  }
  // close_notify, then the transport's own shutdown (TCP: FIN).
  Poll<Result<void>> poll_shutdown(Context& cx) {
    Poll<Result<void>> p = session_.poll_close_notify(cx, transport());
    if (!p.is_ready() || !p.value()) return p;
    return io_.poll_shutdown(cx);
  }

  Session& session() noexcept {
    return session_;
  }
  const Session& session() const noexcept {
    return session_;
  }
  // The TLS session of this stream, for layers that look for one (http: Request::tls).
  const Session* tls_session() const noexcept {
    return &session_;
  }
  S& get_ref() noexcept {
    return io_;
  }
  const S& get_ref() const noexcept {
    return io_;
  }

 private:
  Transport transport() noexcept {
    return Transport{&io_, &read_thunk, &write_thunk};
  }
  static Poll<Result<std::size_t>> read_thunk(void* io, Context& cx, io::MutableBuffer b) {
    return static_cast<S*>(io)->poll_read(cx, b);
  }
  static Poll<Result<std::size_t>> write_thunk(void* io, Context& cx, io::ConstBuffer b) {
    return static_cast<S*>(io)->poll_write(cx, b);
  }

  S io_;
  Session session_;
};

// The handshake as a future: Ready with the stream once it is done, or with the error (typed,
// TlsErrc::handshake_timeout when the context's handshake_timeout passes).
template <class S>
class [[nodiscard]] Handshake {
 public:
  Handshake(S io, Result<Session> session) : io_(std::move(io)), session_(std::move(session)) {}
  // Only before the first poll.
  Handshake(Handshake&& o) noexcept : io_(std::move(o.io_)), session_(std::move(o.session_)) {}

  Poll<Result<TlsStream<S>>> poll(Context& cx) {
    if (!session_) return std::unexpected(std::move(session_).error());
    if (!stream_) {
      stream_.emplace(std::move(io_), std::move(*session_));
      const Duration limit = stream_->session().handshake_timeout();
      if (limit > Duration::zero()) deadline_.emplace(Clock::now() + limit);
    }
    Poll<Result<void>> p = stream_->poll_handshake(cx);
    if (p.is_pending()) {
      if (deadline_ && deadline_->poll(cx).is_ready())
        return std::unexpected(Error(make_error_code(TlsErrc::handshake_timeout), "tls handshake"));
      return pending;
    }
    if (!p.value()) return std::unexpected(std::move(p.value()).error());
    return std::move(*stream_);
  }

 private:
  S io_;
  Result<Session> session_;
  std::optional<TlsStream<S>> stream_;
  std::optional<Sleep> deadline_;
};

// Server side: the handshake of a connection accepted on `stream`.
template <class S>
Handshake<S> accept(const ServerContext& ctx, S stream) {
  return Handshake<S>(std::move(stream), ctx.new_session());
}

// Client side: the handshake with `server_name` (a DNS name or an IP literal; verified against
// the server's certificate unless the context's configuration says otherwise).
template <class S>
Handshake<S> connect(const ClientContext& ctx, std::string_view server_name, S stream,
                     std::string_view cache_key = {}) {
  return Handshake<S>(std::move(stream), ctx.new_session(server_name, cache_key));
}

}  // namespace strata::tls
