// The inside of a tls::Session: OpenSSL's SSL, the BIO that reads and writes the transport, and
// the ciphertext the transport has not taken yet (session.hpp explains the flow).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "openssl_util.hpp"
#include "strata/tls/session.hpp"

namespace strata::tls::detail {

struct Engine {
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() {
    // A connection dropped without close_notify would make OpenSSL forget its session (its
    // "bad session" rule); dropping is how pools end idle connections, so mark the close as
    // clean. Fatal errors have already removed the session when their alert went out.
    if (ssl && handshake_done) SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN);
    SSL_free(ssl);  // before `owner`: OpenSSL's callbacks may still look at the context
  }

  // A new SSL from `ctx` with a BIO over the engine, in the server or client state.
  // TlsErrc::invalid_config (with OpenSSL's reason) when OpenSSL cannot allocate.
  static Result<std::unique_ptr<Engine>> create(SSL_CTX* ctx, bool server, Duration timeout,
                                                std::shared_ptr<const void> owner);

  SSL* ssl = nullptr;
  std::shared_ptr<const void> owner;  // the context state the SSL's callbacks use
  std::string cache_key;              // client: the session cache entry to update
  void (*on_handshake_done)(Engine&) = nullptr;
  Duration handshake_timeout{};
  bool server = false;
  bool handshake_done = false;
  bool close_notify_sent = false;
  bool eof = false;  // the transport read returned 0

  // During a call: the task's context and the transport (the BIO uses them).
  Context* cx = nullptr;
  const Transport* tp = nullptr;
  std::optional<Error> io_error;  // a transport failure seen by the BIO

  // Ciphertext not yet taken by the transport: [out_begin, out_end) of out (only while the
  // transport is full; freed when drained).
  std::unique_ptr<std::byte[]> out;
  std::size_t out_begin = 0, out_end = 0, out_cap = 0;

  bool has_out() const noexcept { return out_end > out_begin; }
  void append_out(const std::byte* p, std::size_t n);
};

}  // namespace strata::tls::detail
