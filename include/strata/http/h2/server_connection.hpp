// h2::ServerConnection: serves HTTP/2 (RFC 9113) on one connection with any Service, on
// nghttp2's framing, HPACK and stream state machine, driven by Strata's runtime.
//
//   struct H2Connection {                   // a hand-written future that owns its stream
//     net::TcpStream stream;
//     http::h2::ServerConnection conn;       // (ctx, settings, peer, /*tls=*/nullptr)
//     Poll<void> poll(Context& cx) { return conn.poll_serve(cx, http::h2::IoRef::of(stream)); }
//   };
//
// http::Server creates one when a plaintext connection opens with the HTTP/2 preface (h2c with
// prior knowledge) or a TLS handshake agrees on "h2" by ALPN; handlers are the same Service as
// for HTTP/1.1 and see req.version == Version::http_2.
//
// Design (docs/http2.md): one connection task. Each stream's handler is a Task polled by that
// task (no spawn, no locks: a slow handler waits without blocking the other streams, as
// futures do), so the session is only ever touched by one thread. Request bodies are streamed to
// handlers with flow control wired to their reads: a stream's window is only given back when
// its handler has taken the bytes, so a slow reader stops its own stream and never the others.
// Response bodies (whole, streamed or files) are pulled from the Body as nghttp2 asks for DATA.
// Input is read into a per-thread buffer and handed to nghttp2 at once, so an idle connection
// holds no read buffer; output is written in batches of frames.
#pragma once

#include <memory>

#include "strata/http/h1/server_connection.hpp"
#include "strata/http/h2/preface.hpp"
#include "strata/http/h2/settings.hpp"
#include "strata/http/h2/upgrade.hpp"
#include "strata/io/async_io.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/rt/poll.hpp"
#include "strata/tls/session.hpp"

namespace strata::http::h2 {

// The connection's transport, type-erased (one indirect call per read or write).
struct IoRef {
  void* io = nullptr;
  Poll<Result<std::size_t>> (*read)(void*, Context&, io::MutableBuffer) = nullptr;
  Poll<Result<std::size_t>> (*write)(void*, Context&, io::ConstBuffer) = nullptr;
  Poll<Result<void>> (*flush)(void*, Context&) = nullptr;
  Poll<Result<void>> (*shutdown)(void*, Context&) = nullptr;  // flush, then end the write side

  template <class S>
  requires io::AsyncRead<S> && io::AsyncWrite<S>
  static IoRef of(S& s) noexcept {
    return IoRef{&s,
                 [](void* p, Context& cx, io::MutableBuffer b) {
                   return static_cast<S*>(p)->poll_read(cx, b);
                 },
                 [](void* p, Context& cx, io::ConstBuffer b) {
                   return static_cast<S*>(p)->poll_write(cx, b);
                 },
                 [](void* p, Context& cx) { return static_cast<S*>(p)->poll_flush(cx); },
                 [](void* p, Context& cx) { return static_cast<S*>(p)->poll_shutdown(cx); }};
  }
};

class ServerConnection {
 public:
  // `ctx` (config, service, counters, draining flag) and `settings` must outlive the
  // connection; `tls` (the session it runs on, or null) becomes each request's Request::tls.
  ServerConnection(const h1::ConnectionContext& ctx, const Settings& settings,
                   const net::SocketAddr& peer, const tls::Session* tls);
  ServerConnection(ServerConnection&&) noexcept;
  ServerConnection& operator=(ServerConnection&&) noexcept;
  ~ServerConnection();

  // Continues a connection that HTTP/1.1 switched by `Upgrade: h2c` (the 101 is written):
  // `up.request` becomes stream 1 (half-closed: its body is whole), `up.settings` the client's
  // initial SETTINGS, and `up.rest` the first input. Call before the first poll_serve().
  void upgrade(Upgrade up);

  // Serves until the peer closes, a protocol error or deadline ends the connection, or the
  // server drains (GOAWAY, in-flight streams finish). Ready when the connection is done.
  Poll<void> poll_serve(Context& cx, const IoRef& io);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::http::h2
