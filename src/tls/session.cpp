#include "strata/tls/session.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine.hpp"

namespace strata::tls {

namespace detail {

namespace {

// Ciphertext OpenSSL writes during one call is gathered here and handed to the transport in one
// write when the call returns (settle()). One per thread: nothing awaits between the two.
thread_local std::vector<std::byte> t_stage;
// Small plaintext pieces of a vectored write, joined so they go out as one record.
thread_local std::vector<std::byte> t_join;

constexpr std::size_t max_plaintext_per_write = 64 * 1024;
constexpr std::size_t join_limit = 16 * 1024;  // one TLS record

int bio_write(BIO* b, const char* data, int len) {
  auto* e = static_cast<Engine*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  const auto* p = reinterpret_cast<const std::byte*>(data);
  if (e->has_out()) {
    e->append_out(p, static_cast<std::size_t>(len));  // keep the order behind what waits
  } else {
    t_stage.insert(t_stage.end(), p, p + len);
  }
  return len;
}

int bio_read(BIO* b, char* data, int len) {
  auto* e = static_cast<Engine*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (e->eof) return 0;
  if (!e->cx || !e->tp) {
    BIO_set_retry_read(b);
    return -1;
  }
  Poll<Result<std::size_t>> r = e->tp->read(
      e->tp->io, *e->cx,
      io::MutableBuffer(reinterpret_cast<std::byte*>(data), static_cast<std::size_t>(len)));
  if (r.is_pending()) {
    BIO_set_retry_read(b);
    return -1;
  }
  if (!r.value()) {
    e->io_error = std::move(r.value()).error();
    return -1;
  }
  if (*r.value() == 0) {
    e->eof = true;
    return 0;
  }
  return static_cast<int>(*r.value());
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // settle() writes after each call
    default:
      return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "strata-transport");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

// Binds the task's context and transport for one call.
class Bound {
 public:
  Bound(Engine& e, Context& cx, const Transport& t) noexcept : e_(e) {
    e.cx = &cx;
    e.tp = &t;
  }
  ~Bound() {
    e_.cx = nullptr;
    e_.tp = nullptr;
  }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;

 private:
  Engine& e_;
};

// Hands what the last call gathered to the transport: as much as it takes now (until it says
// Pending, so that its waker is registered), the rest is kept in out.
void settle(Engine& e) {
  if (t_stage.empty()) return;
  std::size_t done = 0;
  while (done < t_stage.size() && !e.io_error) {
    Poll<Result<std::size_t>> w =
        e.tp->write(e.tp->io, *e.cx, io::ConstBuffer(t_stage.data() + done, t_stage.size() - done));
    if (w.is_pending()) break;
    if (!w.value()) {
      e.io_error = std::move(w.value()).error();
      break;
    }
    done += *w.value();
  }
  if (done < t_stage.size() && !e.io_error)
    e.append_out(t_stage.data() + done, t_stage.size() - done);
  t_stage.clear();
}

// Writes out what is kept: Ready(ok) once nothing is left.
Poll<Result<void>> flush_out(Engine& e) {
  if (e.io_error) return std::unexpected(*e.io_error);
  while (e.has_out()) {
    Poll<Result<std::size_t>> w = e.tp->write(
        e.tp->io, *e.cx, io::ConstBuffer(e.out.get() + e.out_begin, e.out_end - e.out_begin));
    if (w.is_pending()) return pending;
    if (!w.value()) {
      e.io_error = w.value().error();
      return std::unexpected(std::move(w.value()).error());
    }
    e.out_begin += *w.value();
  }
  e.out.reset();  // only needed while the transport was full
  e.out_begin = e.out_end = e.out_cap = 0;
  return Result<void>{};
}

TlsErrc from_verify_result(long v) {
  switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return TlsErrc::certificate_expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return TlsErrc::certificate_not_yet_valid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return TlsErrc::unknown_ca;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH:
      return TlsErrc::name_mismatch;
    default:
      return TlsErrc::certificate_invalid;
  }
}

std::optional<TlsErrc> from_reason(int reason) {
  switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
      return TlsErrc::protocol_version;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_NO_SUITABLE_KEY_SHARE:
    case SSL_R_NO_SHARED_GROUPS:
      return TlsErrc::no_shared_cipher;
    case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
    case SSL_R_NO_APPLICATION_PROTOCOL:
      return TlsErrc::no_application_protocol;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return TlsErrc::certificate_required;
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return TlsErrc::certificate_rejected;
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
      return TlsErrc::plaintext_http;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return TlsErrc::unexpected_eof;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
    case SSL_R_BAD_RECORD_TYPE:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
      return TlsErrc::protocol_error;
    default:
      return std::nullopt;
  }
}

// The typed error for a failed SSL_* call that returned `ret` (clears OpenSSL's queue).
Error failure(Engine& e, int ret, const char* op) {
  const int err = SSL_get_error(e.ssl, ret);
  if (e.io_error) {
    ERR_clear_error();
    return *e.io_error;
  }
  std::string what = op;
  if (err == SSL_ERROR_SYSCALL || (err == SSL_ERROR_SSL && e.eof)) {
    const unsigned long code = ERR_peek_last_error();
    if (e.eof && (code == 0 || ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
      ERR_clear_error();
      return Error(make_error_code(TlsErrc::unexpected_eof), what);
    }
  }
  const unsigned long code = ERR_peek_last_error();
  TlsErrc c = e.handshake_done ? TlsErrc::protocol_error : TlsErrc::handshake_failed;
  const long verify = SSL_get_verify_result(e.ssl);
  if (code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL) {
    const int reason = ERR_GET_REASON(code);
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
      c = from_verify_result(verify);
    } else if (std::optional<TlsErrc> r = from_reason(reason)) {
      c = *r;
    }
  }
  std::string why = drain_openssl_errors();
  if (!why.empty()) what += ": " + why;
  if (verify != X509_V_OK && c != TlsErrc::certificate_rejected) {
    what += " (";
    what += X509_verify_cert_error_string(verify);
    what += ")";
  }
  return Error(make_error_code(c), std::move(what));
}

Poll<Result<void>> handshake(Engine& e) {
  if (e.handshake_done) return flush_out(e);
  Poll<Result<void>> f = flush_out(e);
  if (!f.is_ready() || !f.value()) return f;
  ERR_clear_error();
  const int r = SSL_do_handshake(e.ssl);
  settle(e);
  if (r == 1) {
    e.handshake_done = true;
    if (e.on_handshake_done) e.on_handshake_done(e);
    return flush_out(e);
  }
  if (SSL_get_error(e.ssl, r) == SSL_ERROR_WANT_READ && !e.io_error) return pending;
  return std::unexpected(failure(e, r, "tls handshake"));
}

}  // namespace

void Engine::append_out(const std::byte* p, std::size_t n) {
  if (out_cap - out_end < n) {
    const std::size_t live = out_end - out_begin;
    std::size_t cap = std::max<std::size_t>(out_cap ? out_cap : 4096, live + n);
    if (cap < 2 * out_cap) cap = 2 * out_cap;
    auto grown = std::make_unique<std::byte[]>(cap);
    if (live) std::memcpy(grown.get(), out.get() + out_begin, live);
    out = std::move(grown);
    out_cap = cap;
    out_begin = 0;
    out_end = live;
  }
  std::memcpy(out.get() + out_end, p, n);
  out_end += n;
}

Result<std::unique_ptr<Engine>> Engine::create(SSL_CTX* ctx, bool server, Duration timeout,
                                               std::shared_ptr<const void> owner) {
  ERR_clear_error();
  auto e = std::make_unique<Engine>();
  e->ssl = SSL_new(ctx);
  if (!e->ssl) return config_error("SSL_new");
  BIO* bio = BIO_new(bio_method());
  if (!bio) return config_error("BIO_new");
  BIO_set_data(bio, e.get());
  SSL_set_bio(e->ssl, bio, bio);  // one reference, owned by the SSL
  SSL_set_app_data(e->ssl, e.get());
  e->server = server;
  e->handshake_timeout = timeout;
  e->owner = std::move(owner);
  if (server) {
    SSL_set_accept_state(e->ssl);
  } else {
    SSL_set_connect_state(e->ssl);
  }
  return e;
}

}  // namespace detail

using detail::Bound;
using detail::Engine;

Session::Session(std::unique_ptr<Engine> e) noexcept : e_(std::move(e)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

bool Session::is_server() const noexcept {
  return e_->server;
}
bool Session::handshake_done() const noexcept {
  return e_->handshake_done;
}
std::string_view Session::alpn() const noexcept {
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(e_->ssl, &p, &n);
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
}
std::string_view Session::version() const noexcept {
  return SSL_get_version(e_->ssl);
}
std::string_view Session::cipher() const noexcept {
  const SSL_CIPHER* c = SSL_get_current_cipher(e_->ssl);
  return c ? SSL_CIPHER_get_name(c) : "";
}
std::string_view Session::server_name() const noexcept {
  const char* n = SSL_get_servername(e_->ssl, TLSEXT_NAMETYPE_host_name);
  return n ? n : "";
}
bool Session::resumed() const noexcept {
  return SSL_session_reused(e_->ssl) == 1;
}
Duration Session::handshake_timeout() const noexcept {
  return e_->handshake_timeout;
}
std::optional<Certificate> Session::peer_certificate() const {
  X509* x = SSL_get1_peer_certificate(e_->ssl);
  if (!x) return std::nullopt;
  return Certificate::adopt(x);
}
std::vector<Certificate> Session::verified_chain() const {
  std::vector<Certificate> out;
  STACK_OF(X509)* chain = SSL_get0_verified_chain(e_->ssl);
  if (!chain) return out;
  for (int i = 0; i < sk_X509_num(chain); ++i)
    out.push_back(Certificate::share(sk_X509_value(chain, i)));
  return out;
}
ssl_st* Session::native() const noexcept {
  return e_->ssl;
}

Poll<Result<void>> Session::poll_handshake(Context& cx, const Transport& t) {
  Bound bound(*e_, cx, t);
  return detail::handshake(*e_);
}

Poll<Result<std::size_t>> Session::poll_read(Context& cx, const Transport& t,
                                             io::MutableBuffer buf) {
  Engine& e = *e_;
  Bound bound(e, cx, t);
  if (!e.handshake_done) {
    Poll<Result<void>> h = detail::handshake(e);
    if (h.is_pending()) return pending;
    if (!h.value()) return std::unexpected(std::move(h.value()).error());
  }
  if (e.has_out()) {
    Poll<Result<void>> f = detail::flush_out(e);  // Pending: its waker is registered
    if (f.is_ready() && !f.value()) return std::unexpected(std::move(f.value()).error());
  }
  if (buf.empty()) return std::size_t{0};
  ERR_clear_error();
  std::size_t got = 0;
  const int r = SSL_read_ex(e.ssl, buf.data(), buf.size(), &got);
  detail::settle(e);
  if (r == 1) return got;
  switch (SSL_get_error(e.ssl, r)) {
    case SSL_ERROR_ZERO_RETURN:
      return std::size_t{0};  // close_notify
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      if (!e.io_error) return pending;
      break;
    default:
      break;
  }
  return std::unexpected(detail::failure(e, r, "tls read"));
}

bool Session::has_buffered_input() const noexcept {
  return SSL_pending(e_->ssl) > 0 || SSL_has_pending(e_->ssl) == 1;
}

namespace {

// Encrypts `n` bytes (the BIO gathers the records); false: OpenSSL failed.
bool encrypt(Engine& e, const std::byte* p, std::size_t n, int& ret) {
  std::size_t written = 0;
  ret = SSL_write_ex(e.ssl, p, n, &written);
  return ret == 1;
}

}  // namespace

Poll<Result<std::size_t>> Session::poll_write(Context& cx, const Transport& t,
                                              io::ConstBuffer buf) {
  const io::ConstBuffer one[1] = {buf};
  return poll_write_vectored(cx, t, one);
}

Poll<Result<std::size_t>> Session::poll_write_vectored(Context& cx, const Transport& t,
                                                       std::span<const io::ConstBuffer> bufs) {
  Engine& e = *e_;
  Bound bound(e, cx, t);
  Poll<Result<void>> h = detail::handshake(e);  // also writes out what was kept
  if (h.is_pending()) return pending;
  if (!h.value()) return std::unexpected(std::move(h.value()).error());

  std::size_t total = 0, pieces = 0;
  for (const io::ConstBuffer& b : bufs) {
    if (b.empty()) continue;
    total += b.size();
    ++pieces;
  }
  if (total == 0) return std::size_t{0};
  ERR_clear_error();
  int ret = 1;
  std::size_t accepted = 0;
  if (pieces > 1 && total <= detail::join_limit) {
    // Small pieces (an HTTP head and its body): one record, not one per piece.
    detail::t_join.clear();
    for (const io::ConstBuffer& b : bufs)
      detail::t_join.insert(detail::t_join.end(), b.begin(), b.end());
    if (encrypt(e, detail::t_join.data(), total, ret)) accepted = total;
  } else {
    for (const io::ConstBuffer& b : bufs) {
      if (b.empty()) continue;
      const std::size_t n = std::min(b.size(), detail::max_plaintext_per_write - accepted);
      if (!encrypt(e, b.data(), n, ret)) break;
      accepted += n;
      if (accepted == detail::max_plaintext_per_write) break;
    }
  }
  detail::settle(e);
  if (e.io_error) return std::unexpected(*e.io_error);
  if (accepted > 0) return accepted;
  if (SSL_get_error(e.ssl, ret) == SSL_ERROR_WANT_READ) return pending;
  return std::unexpected(detail::failure(e, ret, "tls write"));
}

Poll<Result<void>> Session::poll_flush(Context& cx, const Transport& t) {
  Bound bound(*e_, cx, t);
  return detail::flush_out(*e_);
}

Poll<Result<void>> Session::poll_close_notify(Context& cx, const Transport& t) {
  Engine& e = *e_;
  Bound bound(e, cx, t);
  if (!e.close_notify_sent) {
    e.close_notify_sent = true;
    if (e.handshake_done) {
      ERR_clear_error();
      (void)SSL_shutdown(e.ssl);  // 0: sent, the peer's not read (we do not wait for it)
      ERR_clear_error();
      detail::settle(e);
    }
  }
  return detail::flush_out(e);
}

}  // namespace strata::tls
