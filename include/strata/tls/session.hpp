// tls::Session: the TLS state machine of one connection (OpenSSL's SSL), driven over any byte
// transport. TlsStream<S> (tls/stream.hpp) is what applications use; its session() tells what
// was negotiated (HTTP handlers see the same object as `req.tls`):
//
//   Task<void> greet(tls::TlsStream<net::TcpStream>& s) {
//     const tls::Session& session = s.session();
//     std::optional<tls::Certificate> peer = session.peer_certificate();  // mutual TLS
//     std::string hello = std::string(session.version()) + " " + std::string(session.alpn()) +
//                         " " + (peer ? peer->subject() : "anonymous");
//     co_await io::write_all(s, io::as_bytes(hello));
//   }
//
// How it moves bytes (docs/tls.md): OpenSSL reads ciphertext straight from the transport
// through a custom BIO (a Pending read leaves OpenSSL waiting for more, nothing is lost), and
// the ciphertext it writes is gathered during each call and written with one transport write.
// What the transport does not take at once is kept (the only buffer a session owns, and only
// while the socket is full) and written before any new plaintext is accepted: backpressure
// stays with the writer. OpenSSL's own record buffers are released whenever they are empty
// (SSL_MODE_RELEASE_BUFFERS), so an idle session holds no buffer.
//
// A session's reads may write (TLS 1.3 tickets and key updates, alerts), so a session serves
// one task at a time; it is not split between a reading and a writing task.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "strata/io/async_io.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/time.hpp"
#include "strata/rt/waker.hpp"
#include "strata/tls/certificate.hpp"
#include "strata/tls/error.hpp"

struct ssl_st;

namespace strata::tls {

namespace detail {
struct Engine;
}

// The transport a session reads ciphertext from and writes it to (type-erased by TlsStream).
struct Transport {
  void* io = nullptr;
  Poll<Result<std::size_t>> (*read)(void* io, Context& cx, io::MutableBuffer buf) = nullptr;
  Poll<Result<std::size_t>> (*write)(void* io, Context& cx, io::ConstBuffer buf) = nullptr;
};

class Session {
 public:
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // --- What was negotiated (valid once the handshake is done) ---
  bool is_server() const noexcept;
  bool handshake_done() const noexcept;
  std::string_view alpn() const noexcept;         // "" when none was agreed
  std::string_view version() const noexcept;      // "TLSv1.3", "TLSv1.2"
  std::string_view cipher() const noexcept;       // "TLS_AES_128_GCM_SHA256", ...
  std::string_view server_name() const noexcept;  // SNI: what the client asked for ("" if none)
  bool resumed() const noexcept;                  // an abbreviated (ticket) handshake
  // The deadline of the handshake, from the context's configuration (zero: none).
  Duration handshake_timeout() const noexcept;
  // The peer's certificate (the server's, or a client's under mutual TLS) and the chain that
  // was verified for it, leaf first (empty when it was not verified).
  std::optional<Certificate> peer_certificate() const;
  std::vector<Certificate> verified_chain() const;

  // --- The engine, for TlsStream (and other stream adaptors) ---
  Poll<Result<void>> poll_handshake(Context& cx, const Transport& t);
  Poll<Result<std::size_t>> poll_read(Context& cx, const Transport& t, io::MutableBuffer buf);
  // Ready when poll_read may make progress without the transport (plaintext or a record
  // already buffered); else false and nothing is registered.
  bool has_buffered_input() const noexcept;
  Poll<Result<std::size_t>> poll_write(Context& cx, const Transport& t, io::ConstBuffer buf);
  Poll<Result<std::size_t>> poll_write_vectored(Context& cx, const Transport& t,
                                                std::span<const io::ConstBuffer> bufs);
  // Writes out what is still kept (see the top).
  Poll<Result<void>> poll_flush(Context& cx, const Transport& t);
  // Sends close_notify (once) and flushes; the caller then shuts the transport down.
  Poll<Result<void>> poll_close_notify(Context& cx, const Transport& t);

  ssl_st* native() const noexcept;

 private:
  friend class ServerContext;
  friend class ClientContext;
  explicit Session(std::unique_ptr<detail::Engine> e) noexcept;
  std::unique_ptr<detail::Engine> e_;
};

}  // namespace strata::tls
