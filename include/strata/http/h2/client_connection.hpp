// h2::ClientConnection: the client side of one HTTP/2 connection (RFC 9113) on nghttp2, shared
// by any number of concurrent requests. http::Client makes one per origin when ALPN agrees on
// "h2" (or for h2c with prior knowledge) and users get it through the Client; it can also be
// driven directly over any AsyncRead + AsyncWrite stream (hyper's client::conn::http2).
//
//   Result<net::TcpStream> tcp = co_await net::TcpStream::connect(
//       *net::SocketAddr::parse("127.0.0.1:8080"));
//   if (!tcp) co_return;
//   http::h2::ClientSettings settings;
//   auto conn = co_await http::h2::ClientConnection::handshake(std::move(*tcp), settings);
//   if (!conn) co_return;                                      // typed: h2::ErrorCode, errno, ...
//   http::Request req(http::Method::get, "/users");
//   http::h2::SendOptions options;
//   options.authority = "127.0.0.1:8080";
//   Result<http::Response> resp = co_await (*conn)->send(req, options);  // many at once: fine
//   co_return;
//
// Design (docs/http2.md, "Client"): a spawned driver task owns the transport and the nghttp2
// session and does all the I/O; requests (from any task, on any worker) submit their HEADERS
// and wait for the response under the connection's mutex (held for bookkeeping and nghttp2
// calls, never across a suspension). Requests beyond the peer's SETTINGS_MAX_CONCURRENT_STREAMS
// wait in nghttp2's queue for a slot on this connection. Request bodies are pulled by the
// driver as the stream's send window allows. Response bodies are queued per stream; the stream
// window is given back only as the caller reads (a slow reader stops its own stream), while the
// connection window is given back on receipt (so it never stops the others): at most
// initial_window_size unread bytes per stream.
//
// Threads: send() from any number of tasks; a ClientConnection belongs to the runtime it was
// made on (its driver and socket live there). Cancellation: dropping a send() or a response
// body before its end resets the stream (RST_STREAM CANCEL). Errors: the peer's RST_STREAM or
// GOAWAY code as h2::ErrorCode (refused_stream: never processed, safe to retry), h2::ErrorCode
// for a protocol violation of the peer, Errc::closed when the connection ended before the
// response was complete, Errc::timed_out, the transport's errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "strata/http/h2/error.hpp"
#include "strata/http/h2/server_connection.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h2 {

// How a client connection is configured (our SETTINGS and limits); defaults in docs/http2.md.
struct ClientSettings {
  // SETTINGS_INITIAL_WINDOW_SIZE: response bytes a stream may receive ahead of the caller's
  // reads (also the most a stream buffers).
  std::uint32_t initial_window_size = 256 * 1024;
  // The connection-level receive window (given back on receipt, see above).
  std::uint32_t connection_window_size = 1024 * 1024;
  // SETTINGS_MAX_FRAME_SIZE we accept.
  std::uint32_t max_frame_size = 16 * 1024;
  // SETTINGS_MAX_HEADER_LIST_SIZE: a larger response head resets its stream.
  std::uint32_t max_header_list_size = 64 * 1024;
  // The server's SETTINGS must arrive within this (Errc::timed_out).
  Duration handshake_timeout = std::chrono::seconds(10);
  // A connection without streams for this long ends itself (GOAWAY); zero = never.
  Duration idle_timeout = std::chrono::seconds(90);
  // Keep-alive (hyper's http2_keep_alive_interval / keep_alive_timeout, Go's ReadIdleTimeout /
  // PingTimeout): when nothing has been received for keepalive_interval, a PING goes out, idle
  // or not; no ACK within keepalive_timeout ends the connection as dead: its requests fail
  // with Errc::timed_out ("http2 keepalive ...") and the Client drops it from its pool (the
  // next request connects anew). Zero interval (the default, as in hyper and Go) = no PINGs.
  Duration keepalive_interval = Duration::zero();
  Duration keepalive_timeout = std::chrono::seconds(20);
};

// Per request.
struct SendOptions {
  std::string_view scheme = "http";  // :scheme
  std::string_view authority;        // :authority ("" = the request's Host field)
  std::string_view path;             // :path ("" = the request's target)
  // The response head must arrive within this (slot wait included), and each body read must
  // make progress within it; zero = no limit.
  Duration read_timeout = std::chrono::seconds(30);
  std::optional<Instant> deadline;   // bounds the head and every body read
  std::uint64_t max_body_bytes = 0;  // larger responses fail with std::errc::message_size
  // Expect: 100-continue (RFC 9110 §10.1.1) for a request with a body: the HEADERS go out with
  // `expect: 100-continue` and without END_STREAM, and DATA waits up to this long for a 100
  // (zero: only read_timeout bounds the wait). A final status first means the body is never
  // sent: the stream is reset with NO_ERROR once the response has ended. nullopt: no wait.
  std::optional<Duration> expect_continue;
};

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
  struct Transport {
    virtual ~Transport() = default;
  };
  template <class S>
  struct Boxed final : Transport {
    explicit Boxed(S&& st) : s(std::move(st)) {}
    S s;
  };

 public:
  // Sends the connection preface and our SETTINGS over `stream` (TLS must have agreed on "h2";
  // plain TCP is h2c with prior knowledge) and waits for the server's SETTINGS.
  template <class S>
  requires io::AsyncRead<S> && io::AsyncWrite<S>
  static Task<Result<std::shared_ptr<ClientConnection>>> handshake(S stream,
                                                                   ClientSettings settings) {
    auto box = std::make_unique<Boxed<S>>(std::move(stream));
    const IoRef io = IoRef::of(box->s);
    return start(std::move(box), io, settings);
  }

  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;
  // The connection ends (GOAWAY) once no request or response body uses it.
  ~ClientConnection();

  // Sends `req` on a new stream and completes with the response head once the request body is
  // sent (or the response ended first); the body streams from the connection and keeps it
  // alive. `req` must outlive the call; whole-bytes bodies are not consumed (replayable).
  Task<Result<Response>> send(Request& req, SendOptions options);

  // Open, no GOAWAY received, stream ids left: new requests may use it.
  bool is_usable() const;
  // Streams open or waiting for a slot.
  std::size_t active_streams() const;
  // Keep-alive PINGs the server has acknowledged.
  std::uint64_t keepalive_acks() const;

  struct Impl;

 private:
  explicit ClientConnection(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
  static Task<Result<std::shared_ptr<ClientConnection>>> start(std::unique_ptr<Transport> t,
                                                               IoRef io, ClientSettings s);
  std::shared_ptr<Impl> impl_;
};

}  // namespace strata::http::h2
