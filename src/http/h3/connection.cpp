#include "connection.hpp"

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "../received_body.hpp"
#include "../stream_handler.hpp"
#include "strata/http/date.hpp"

namespace strata::http::h3::detail {

namespace {

std::string cid_key(const std::uint8_t* p, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

bool hop_by_hop(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade";
}

Connection& of(void* user) {
  return *static_cast<Connection*>(user);
}

}  // namespace

// One request stream: its request (owned), the handler while it runs, the response while it is
// sent. Request body bytes wait in `in` until the handler takes them; only then is the peer's
// flow-control credit given back, so a slow reader stalls its own stream only.
struct Stream final : BodyStream {
  Connection* c = nullptr;
  std::int64_t id = 0;
  Request req;
  std::size_t header_bytes = 0;
  bool header_overflow = false, bad_header = false, has_method = false;

  http::detail::ReceivedBody in;  // credit goes back to the peer as the handler reads
  std::optional<Task<Response>> handler;
  Response resp;
  bool deferred = false;    // the body had nothing; resume when the handler's body wakes us
  bool acked_wait = false;  // too much unacknowledged: resume on ACK
  bool abort = false;       // the body broke: reset the stream
  bool whole_given = false;
  // Streamed body chunks handed to nghttp3, kept until acknowledged (nghttp3 keeps pointers).
  std::deque<std::string> unacked;
  std::size_t unacked_bytes = 0, front_acked = 0;

  Poll<Result<io::BufferView>> poll_data(Context& cx) override {
    return in.poll(cx, [this](std::size_t n) {
      if (c->conn) {
        ngtcp2_conn_extend_max_stream_offset(c->conn, id, n);
        ngtcp2_conn_extend_max_offset(c->conn, n);
      }
    });
  }
  std::optional<std::uint64_t> size_hint() const override { return in.size_hint(); }
};

// ---- nghttp3 callbacks ----

namespace {

int h3_acked_stream_data(nghttp3_conn*, std::int64_t, std::uint64_t datalen, void*,
                         void* stream_user) {
  auto* s = static_cast<Stream*>(stream_user);
  if (!s || s->unacked.empty()) return 0;
  s->front_acked += datalen;
  while (!s->unacked.empty() && s->front_acked >= s->unacked.front().size()) {
    s->front_acked -= s->unacked.front().size();
    s->unacked_bytes -= s->unacked.front().size();
    s->unacked.pop_front();
  }
  if (s->acked_wait && s->unacked_bytes < s->c->shared.config->max_unacked_per_stream) {
    s->acked_wait = false;
    nghttp3_conn_resume_stream(s->c->h3, s->id);
  }
  return 0;
}

int h3_stream_close(nghttp3_conn*, std::int64_t stream_id, std::uint64_t, void* user,
                    void* stream_user) {
  Connection& c = of(user);
  if (auto* s = static_cast<Stream*>(stream_user)) {
    // Unread request bytes still count against the connection window: give them back.
    if (const std::size_t unread = s->in.unread()) ngtcp2_conn_extend_max_offset(c.conn, unread);
    c.remove(s);
  }
  if (ngtcp2_is_bidi_stream(stream_id) && !ngtcp2_conn_is_local_stream(c.conn, stream_id)) {
    ngtcp2_conn_extend_max_streams_bidi(c.conn, 1);
  }
  return 0;
}

int h3_recv_data(nghttp3_conn*, std::int64_t stream_id, const std::uint8_t* data, std::size_t len,
                 void* user, void* stream_user) {
  Connection& c = of(user);
  auto* s = static_cast<Stream*>(stream_user);
  if (!s || !s->handler) {  // nobody reads it (answered already): credit it at once
    ngtcp2_conn_extend_max_stream_offset(c.conn, stream_id, len);
    ngtcp2_conn_extend_max_offset(c.conn, len);
    return 0;
  }
  s->in.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int h3_deferred_consume(nghttp3_conn*, std::int64_t stream_id, std::size_t consumed, void* user,
                        void*) {
  Connection& c = of(user);
  ngtcp2_conn_extend_max_stream_offset(c.conn, stream_id, consumed);
  ngtcp2_conn_extend_max_offset(c.conn, consumed);
  return 0;
}

int h3_begin_headers(nghttp3_conn* h3, std::int64_t stream_id, void* user, void*) {
  Connection& c = of(user);
  auto s = std::make_unique<Stream>();
  s->c = &c;
  s->id = stream_id;
  s->req.version = Version::http_3;
  s->req.server_draining = c.shared.draining;
  nghttp3_conn_set_stream_user_data(h3, stream_id, s.get());
  c.streams.push_back(std::move(s));
  return 0;
}

int h3_recv_header(nghttp3_conn*, std::int64_t, std::int32_t token, nghttp3_rcbuf* name,
                   nghttp3_rcbuf* value, std::uint8_t, void* user, void* stream_user) {
  Connection& c = of(user);
  auto* s = static_cast<Stream*>(stream_user);
  if (!s) return 0;
  const nghttp3_vec nv = nghttp3_rcbuf_get_buf(name);
  const nghttp3_vec vv = nghttp3_rcbuf_get_buf(value);
  s->header_bytes += nv.len + vv.len + 32;  // RFC 9114 §4.2.2's accounting
  if (s->header_bytes > c.shared.config->max_header_bytes) {
    s->header_overflow = true;
    return 0;
  }
  const std::string_view n(reinterpret_cast<const char*>(nv.base), nv.len);
  const std::string_view v(reinterpret_cast<const char*>(vv.base), vv.len);
  switch (token) {
    case NGHTTP3_QPACK_TOKEN__METHOD: {
      Result<Method> m = Method::parse(v);
      if (!m) {
        s->bad_header = true;
      } else {
        s->req.method = *m;
        s->has_method = true;
      }
      return 0;
    }
    case NGHTTP3_QPACK_TOKEN__PATH:
      s->req.set_target(v);
      return 0;
    case NGHTTP3_QPACK_TOKEN__AUTHORITY:
      if (!s->req.headers.contains("host")) (void)s->req.headers.append("host", v);
      return 0;
    case NGHTTP3_QPACK_TOKEN_HOST:
      s->req.headers.set("host", v);
      return 0;
    default:
      break;
  }
  if (!n.empty() && n[0] == ':') return 0;  // :scheme and :protocol are not kept
  if (!s->req.headers.append(n, v)) s->bad_header = true;
  return 0;
}

int h3_end_stream(nghttp3_conn*, std::int64_t, void*, void* stream_user) {
  if (auto* s = static_cast<Stream*>(stream_user)) s->in.finish();
  return 0;
}

int h3_stop_sending(nghttp3_conn*, std::int64_t stream_id, std::uint64_t code, void* user, void*) {
  ngtcp2_conn_shutdown_stream_read(of(user).conn, stream_id, code);
  return 0;
}

int h3_reset_stream(nghttp3_conn*, std::int64_t stream_id, std::uint64_t code, void* user, void*) {
  ngtcp2_conn_shutdown_stream_write(of(user).conn, stream_id, code);
  return 0;
}

// The response body, pulled by nghttp3 as the stream may send. Whole bytes are lent as they
// are (the Response outlives the stream's sending); streamed chunks are copied and kept until
// acknowledged.
nghttp3_ssize h3_read_body(nghttp3_conn*, std::int64_t, nghttp3_vec* vec, std::size_t,
                           std::uint32_t* flags, void* user, void* stream_user) {
  Connection& c = of(user);
  auto* s = static_cast<Stream*>(stream_user);
  if (!s) return NGHTTP3_ERR_CALLBACK_FAILURE;
  Body& body = s->resp.body;
  if (body.kind() == Body::Kind::bytes) {
    const std::string_view b = body.bytes();
    vec[0].base = reinterpret_cast<std::uint8_t*>(const_cast<char*>(b.data()));
    vec[0].len = b.size();
    *flags |= NGHTTP3_DATA_FLAG_EOF;
    s->whole_given = true;
    return 1;
  }
  if (s->unacked_bytes >= c.shared.config->max_unacked_per_stream) {
    s->acked_wait = true;
    return NGHTTP3_ERR_WOULDBLOCK;
  }
  Poll<Result<io::BufferView>> p = body.poll_data(*c.cx);
  if (p.is_pending()) {
    s->deferred = true;
    return NGHTTP3_ERR_WOULDBLOCK;
  }
  if (!p.value()) {
    s->abort = true;
    return NGHTTP3_ERR_WOULDBLOCK;
  }
  const io::BufferView& chunk = *p.value();
  if (chunk.empty()) {
    *flags |= NGHTTP3_DATA_FLAG_EOF;
    return 0;
  }
  s->unacked.emplace_back(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  s->unacked_bytes += chunk.size();
  vec[0].base = reinterpret_cast<std::uint8_t*>(s->unacked.back().data());
  vec[0].len = s->unacked.back().size();
  return 1;
}

// ---- ngtcp2 callbacks ----

void rand_cb(std::uint8_t* dest, std::size_t len, const ngtcp2_rand_ctx*) {
  (void)gnutls_rnd(GNUTLS_RND_NONCE, dest, len);
}

int get_new_cid(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token, std::size_t cidlen,
                void* user) {
  Connection& c = of(user);
  if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  cid->datalen = cidlen;
  if (ngtcp2_crypto_generate_stateless_reset_token(token, c.shared.secret.data(),
                                                   c.shared.secret.size(), cid) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  c.add_cid(*cid);
  return 0;
}

int remove_cid_cb(ngtcp2_conn*, const ngtcp2_cid* cid, void* user) {
  of(user).remove_cid(*cid);
  return 0;
}

int recv_stream_data(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id, std::uint64_t,
                     const std::uint8_t* data, std::size_t len, void* user, void*) {
  Connection& c = of(user);
  if (!c.h3) return 0;
  const nghttp3_ssize n =
      nghttp3_conn_read_stream(c.h3, stream_id, data, len, flags & NGTCP2_STREAM_DATA_FLAG_FIN);
  if (n < 0) {
    c.shared.bad_requests.fetch_add(1, std::memory_order_relaxed);
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  ngtcp2_conn_extend_max_stream_offset(c.conn, stream_id, static_cast<std::uint64_t>(n));
  ngtcp2_conn_extend_max_offset(c.conn, static_cast<std::uint64_t>(n));
  return 0;
}

int acked_stream_data_offset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                             std::uint64_t datalen, void* user, void*) {
  Connection& c = of(user);
  if (c.h3 && nghttp3_conn_add_ack_offset(c.h3, stream_id, datalen) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int stream_close(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id, std::uint64_t code,
                 void* user, void*) {
  Connection& c = of(user);
  if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET)) code = NGHTTP3_H3_NO_ERROR;
  if (!c.h3) return 0;
  const int rv = nghttp3_conn_close_stream(c.h3, stream_id, code);
  if (rv == NGHTTP3_ERR_STREAM_NOT_FOUND) {
    if (ngtcp2_is_bidi_stream(stream_id)) ngtcp2_conn_extend_max_streams_bidi(c.conn, 1);
    return 0;
  }
  return rv == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

// The peer reset the stream or asked us to stop sending: nghttp3 stops reading it.
int shutdown_read(void* user, std::int64_t stream_id) {
  Connection& c = of(user);
  if (c.h3 && nghttp3_conn_shutdown_stream_read(c.h3, stream_id) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}
int stream_reset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t, std::uint64_t, void* user,
                 void*) {
  return shutdown_read(user, stream_id);
}
int stream_stop_sending(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t, void* user, void*) {
  return shutdown_read(user, stream_id);
}

int extend_max_remote_streams_bidi(ngtcp2_conn*, std::uint64_t max_streams, void* user) {
  Connection& c = of(user);
  if (c.h3) nghttp3_conn_set_max_client_streams_bidi(c.h3, max_streams);
  return 0;
}

int extend_max_stream_data(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t, void* user, void*) {
  Connection& c = of(user);
  if (c.h3 && nghttp3_conn_unblock_stream(c.h3, stream_id) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int recv_tx_key(ngtcp2_conn*, ngtcp2_crypto_level level, void* user) {
  if (level != NGTCP2_CRYPTO_LEVEL_APPLICATION) return 0;
  return of(user).setup_h3() ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<Connection*>(ref->user_data)->conn;
}

}  // namespace

// ---- the connection ----

Connection::Connection(Shared& s, const net::SocketAddr& remote) : shared(s), remote_(remote) {
  ngtcp2_connection_close_error_default(&last_error_);
}

Connection::~Connection() {
  streams.clear();  // handlers first: they hold requests that point into the streams
  if (h3) nghttp3_conn_del(h3);
  if (conn) ngtcp2_conn_del(conn);
  if (tls) gnutls_deinit(tls);
  for (const std::string& k : cid_keys) {
    auto it = shared.cids.find(k);
    if (it != shared.cids.end() && it->second == this) shared.cids.erase(it);
  }
}

void Connection::add_cid(const ngtcp2_cid& cid) {
  std::string k = cid_key(cid.data, cid.datalen);
  shared.cids[k] = this;
  cid_keys.push_back(std::move(k));
}

void Connection::remove_cid(const ngtcp2_cid& cid) {
  const std::string k = cid_key(cid.data, cid.datalen);
  auto it = shared.cids.find(k);
  if (it != shared.cids.end() && it->second == this) shared.cids.erase(it);
  std::erase(cid_keys, k);
}

Stream* Connection::find(std::int64_t id) {
  for (const std::unique_ptr<Stream>& s : streams) {
    if (s->id == id) return s.get();
  }
  return nullptr;
}

void Connection::remove(Stream* s) {
  auto it = std::find_if(streams.begin(), streams.end(),
                         [&](const std::unique_ptr<Stream>& p) { return p.get() == s; });
  if (it != streams.end()) streams.erase(it);
}

bool Connection::init(const ngtcp2_pkt_hd& hd) {
  const ServerConfig& cfg = *shared.config;
  ngtcp2_callbacks cb{};
  cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_stream_data = recv_stream_data;
  cb.acked_stream_data_offset = acked_stream_data_offset;
  cb.stream_close = stream_close;
  cb.rand = rand_cb;
  cb.get_new_connection_id = get_new_cid;
  cb.remove_connection_id = remove_cid_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.stream_reset = stream_reset;
  cb.extend_max_remote_streams_bidi = extend_max_remote_streams_bidi;
  cb.extend_max_stream_data = extend_max_stream_data;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.stream_stop_sending = stream_stop_sending;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.recv_tx_key = recv_tx_key;

  ngtcp2_cid scid;
  scid.datalen = kCidLen;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen) != 0) return false;

  const Instant now = Clock::now();
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = timestamp(now);
  settings.max_stream_window = cfg.stream_window;
  settings.max_window = cfg.connection_window;
  settings.handshake_timeout = static_cast<ngtcp2_duration>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.handshake_timeout).count());

  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_remote = cfg.stream_window;
  params.initial_max_stream_data_uni = cfg.stream_window;
  params.initial_max_data = cfg.connection_window;
  params.initial_max_streams_bidi = cfg.max_streams;
  params.initial_max_streams_uni = 3;  // control + QPACK encoder + QPACK decoder
  params.max_idle_timeout = static_cast<ngtcp2_duration>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.idle_timeout).count());
  params.active_connection_id_limit = 7;
  params.original_dcid = hd.dcid;
  params.stateless_reset_token_present = 1;
  if (ngtcp2_crypto_generate_stateless_reset_token(
          params.stateless_reset_token, shared.secret.data(), shared.secret.size(), &scid) != 0) {
    return false;
  }

  local_len_ = shared.local.to_sockaddr(local_ss_);
  remote_len_ = remote_.to_sockaddr(remote_ss_);
  ngtcp2_path path{};
  path.local.addr = reinterpret_cast<ngtcp2_sockaddr*>(&local_ss_);
  path.local.addrlen = local_len_;
  path.remote.addr = reinterpret_cast<ngtcp2_sockaddr*>(&remote_ss_);
  path.remote.addrlen = remote_len_;
  if (ngtcp2_conn_server_new(&conn, &hd.scid, &scid, &path, hd.version, &cb, &settings, &params,
                             nullptr, this) != 0) {
    return false;
  }

  if (gnutls_init(&tls, GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET | GNUTLS_NO_END_OF_EARLY_DATA) !=
      0) {
    return false;
  }
  if (gnutls_priority_set_direct(tls, "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3",
                                 nullptr) != 0 ||
      ngtcp2_crypto_gnutls_configure_server_session(tls) != 0 ||
      gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE, shared.cred) != 0) {
    return false;
  }
  conn_ref.get_conn = get_conn;
  conn_ref.user_data = this;
  gnutls_session_set_ptr(tls, &conn_ref);
  static const char h3_alpn[] = "h3";
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>(h3_alpn)), 2};
  gnutls_alpn_set_protocols(tls, &alpn, 1, GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE);
  ngtcp2_conn_set_tls_native_handle(conn, tls);

  add_cid(scid);
  add_cid(hd.dcid);  // the client's first DCID, until it switches to ours
  return true;
}

bool Connection::setup_h3() {
  if (h3) return true;
  if (ngtcp2_conn_get_max_local_streams_uni(conn) < 3) return false;
  nghttp3_callbacks cb{};
  cb.acked_stream_data = h3_acked_stream_data;
  cb.stream_close = h3_stream_close;
  cb.recv_data = h3_recv_data;
  cb.deferred_consume = h3_deferred_consume;
  cb.begin_headers = h3_begin_headers;
  cb.recv_header = h3_recv_header;
  cb.end_headers = [](nghttp3_conn*, std::int64_t, int fin, void* user, void* su) {
    if (auto* s = static_cast<Stream*>(su)) {
      Connection& c = of(user);
      if (fin) s->in.finish();
      s->req.peer = c.remote_;
      c.start_handler(*s);
    }
    return 0;
  };
  cb.stop_sending = h3_stop_sending;
  cb.end_stream = h3_end_stream;
  cb.reset_stream = h3_reset_stream;
  nghttp3_settings settings;
  nghttp3_settings_default(&settings);
  settings.max_field_section_size = shared.config->max_header_bytes;
  settings.qpack_max_dtable_capacity = 4096;
  settings.qpack_blocked_streams = 100;
  if (nghttp3_conn_server_new(&h3, &cb, &settings, nullptr, this) != 0) return false;
  nghttp3_conn_set_max_client_streams_bidi(h3, shared.config->max_streams);
  std::int64_t ctrl = 0, enc = 0, dec = 0;
  if (ngtcp2_conn_open_uni_stream(conn, &ctrl, nullptr) != 0 ||
      nghttp3_conn_bind_control_stream(h3, ctrl) != 0 ||
      ngtcp2_conn_open_uni_stream(conn, &enc, nullptr) != 0 ||
      ngtcp2_conn_open_uni_stream(conn, &dec, nullptr) != 0 ||
      nghttp3_conn_bind_qpack_streams(h3, enc, dec) != 0) {
    return false;
  }
  return true;
}

void Connection::start_handler(Stream& s) {
  StatusCode error = StatusCode::ok;
  if (s.header_overflow) {
    error = StatusCode::request_header_fields_too_large;
  } else if (s.bad_header || !s.has_method || s.req.target().empty()) {
    error = StatusCode::bad_request;  // CONNECT and friends without :path are not served
  }
  if (error != StatusCode::ok) {
    shared.bad_requests.fetch_add(1, std::memory_order_relaxed);
    s.resp = Response::error(error);
    submit_response(s);
    ngtcp2_conn_shutdown_stream_read(conn, s.id, NGHTTP3_H3_NO_ERROR);
    return;
  }
  if (!s.in.finished()) s.req.body = Body::borrow_stream(s);
  s.handler.emplace(shared.service->handle(s.req));
}

void Connection::submit_response(Stream& s) {
  thread_local DateCache dates;
  thread_local std::string lower;
  Response& r = s.resp;
  std::vector<nghttp3_nv> nva;
  nva.reserve(r.headers.size() + 4);
  const std::uint16_t code = r.status.as_u16();
  const char status[3] = {static_cast<char>('0' + code / 100),
                          static_cast<char>('0' + code / 10 % 10),
                          static_cast<char>('0' + code % 10)};
  auto nv = [&](std::string_view n, std::string_view v) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                   NGHTTP3_NV_FLAG_NONE});
  };
  nv(":status", std::string_view(status, 3));
  // Names go out in lower case (RFC 9114 §4.2): lowered into one buffer, reserved up front so
  // that the views stay valid.
  std::size_t total = 0;
  for (const HeaderField& f : r.headers) total += f.name.size();
  lower.clear();
  lower.reserve(total);
  bool has_length = false, has_date = false, has_server = false;
  for (const HeaderField& f : r.headers) {
    const std::size_t at = lower.size();
    for (char ch : f.name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string_view name(lower.data() + at, f.name.size());
    if (hop_by_hop(name)) continue;
    has_length |= name == "content-length";
    has_date |= name == "date";
    has_server |= name == "server";
    nv(name, f.value);
  }
  if (!has_date) nv("date", dates.now());
  const std::string& server = shared.config->http.server_header;
  if (!has_server && !server.empty()) nv("server", server);
  const bool no_body = s.req.method == Method::head || code == 204 || code == 304 || code < 200;
  char length[24];
  if (!has_length && !no_body) {
    if (std::optional<std::uint64_t> n = r.body.size_hint()) {
      const int len =
          std::snprintf(length, sizeof length, "%llu", static_cast<unsigned long long>(*n));
      nv("content-length", std::string_view(length, static_cast<std::size_t>(len)));
    }
  }
  nghttp3_data_reader dr{h3_read_body};
  const bool body = !no_body && !r.body.is_empty() &&
                    !(r.body.kind() == Body::Kind::bytes && r.body.bytes().empty());
  if (nghttp3_conn_submit_response(h3, s.id, nva.data(), nva.size(), body ? &dr : nullptr) != 0) {
    ngtcp2_conn_shutdown_stream(conn, s.id, NGHTTP3_H3_INTERNAL_ERROR);
  }
}

bool Connection::poll_handlers() {
  bool progress = false;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    Stream& s = *streams[i];
    if (!s.handler) continue;
    std::optional<Response> done = http::detail::poll_stream_handler(s.handler, *cx);
    if (!done) continue;
    shared.requests.fetch_add(1, std::memory_order_relaxed);
    progress = true;
    s.resp = std::move(*done);
    submit_response(s);
    if (!s.in.finished()) {  // answered before the whole upload: stop it (RFC 9114 §4.1)
      if (const std::size_t unread = s.in.drop()) {
        ngtcp2_conn_extend_max_stream_offset(conn, s.id, unread);
        ngtcp2_conn_extend_max_offset(conn, unread);
      }
      ngtcp2_conn_shutdown_stream_read(conn, s.id, NGHTTP3_H3_NO_ERROR);
    }
  }
  return progress;
}

bool Connection::send(net::UdpSocket& sock, const std::uint8_t* p, std::size_t n,
                      const net::SocketAddr& to) {
  Poll<Result<std::size_t>> w =
      sock.poll_send_to(*cx, io::ConstBuffer(reinterpret_cast<const std::byte*>(p), n), to);
  if (w.is_pending()) {
    blocked_.assign(p, p + n);
    blocked_to_ = to;
    return false;
  }
  // A failed send (EMSGSIZE, unreachable) is a lost packet: QUIC's recovery handles it.
  shared.datagrams_out.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// Writes what ngtcp2 and nghttp3 have, as congestion control and pacing allow; false on a
// fatal error (the connection entered closing).
bool Connection::write_packets(net::UdpSocket& sock, Instant now) {
  std::array<std::uint8_t, kMaxPacket> buf;
  std::array<nghttp3_vec, 16> vec;
  const ngtcp2_tstamp ts = timestamp(now);
  const std::size_t max_size = std::min(kMaxPacket, ngtcp2_conn_get_max_tx_udp_payload_size(conn));
  std::size_t budget = std::max<std::size_t>(1, ngtcp2_conn_get_send_quantum(conn) / max_size);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi;
  while (budget > 0) {
    std::int64_t stream_id = -1;
    int fin = 0;
    nghttp3_ssize nvec = 0;
    if (h3 && ngtcp2_conn_get_max_data_left(conn)) {
      nvec = nghttp3_conn_writev_stream(h3, &stream_id, &fin, vec.data(), vec.size());
      if (nvec < 0) {
        ngtcp2_connection_close_error_set_application_error(
            &last_error_, nghttp3_err_infer_quic_app_error_code(static_cast<int>(nvec)), nullptr,
            0);
        close(last_error_, now);
        return false;
      }
    }
    ngtcp2_ssize ndatalen = -1;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (fin) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    const ngtcp2_ssize n = ngtcp2_conn_writev_stream(
        conn, &ps.path, &pi, buf.data(), max_size, &ndatalen, flags, stream_id,
        reinterpret_cast<const ngtcp2_vec*>(vec.data()), static_cast<std::size_t>(nvec), ts);
    if (n < 0) {
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
        nghttp3_conn_block_stream(h3, stream_id);
        continue;
      }
      if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
        nghttp3_conn_shutdown_stream_write(h3, stream_id);
        continue;
      }
      if (n == NGTCP2_ERR_WRITE_MORE) {
        if (nghttp3_conn_add_write_offset(h3, stream_id, static_cast<std::size_t>(ndatalen)) != 0) {
          ngtcp2_connection_close_error_set_application_error(
              &last_error_, NGHTTP3_H3_INTERNAL_ERROR, nullptr, 0);
          close(last_error_, now);
          return false;
        }
        continue;
      }
      ngtcp2_connection_close_error_set_transport_error_liberr(&last_error_, static_cast<int>(n),
                                                               nullptr, 0);
      close(last_error_, now);
      return false;
    }
    if (ndatalen >= 0 &&
        nghttp3_conn_add_write_offset(h3, stream_id, static_cast<std::size_t>(ndatalen)) != 0) {
      ngtcp2_connection_close_error_set_application_error(&last_error_, NGHTTP3_H3_INTERNAL_ERROR,
                                                          nullptr, 0);
      close(last_error_, now);
      return false;
    }
    if (n == 0) break;  // nothing more now (congestion, pacing or idle)
    Result<net::SocketAddr> to = net::SocketAddr::from_sockaddr(
        reinterpret_cast<const sockaddr*>(ps.path.remote.addr), ps.path.remote.addrlen);
    if (!to) break;
    --budget;
    if (!send(sock, buf.data(), static_cast<std::size_t>(n), *to)) break;
  }
  ngtcp2_conn_update_pkt_tx_time(conn, ts);
  return true;
}

void Connection::close(const ngtcp2_connection_close_error& ccerr, Instant now) {
  if (state_ != State::open) return;
  if (ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT_IDLE_CLOSE ||
      ngtcp2_conn_is_in_draining_period(conn)) {
    state_ = State::draining;
  } else {
    std::array<std::uint8_t, kMaxPacket> buf;
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi;
    const ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn, &ps.path, &pi, buf.data(),
                                                              buf.size(), &ccerr, timestamp(now));
    state_ = State::closing;
    if (n > 0) {
      close_pkt_.assign(buf.data(), buf.data() + n);
      close_pending_ = true;
    }
  }
  // The closing or draining period: three PTOs (RFC 9000 §10.2).
  close_deadline_ = now + std::chrono::nanoseconds(3 * ngtcp2_conn_get_pto(conn));
}

bool Connection::on_datagram(const std::uint8_t* data, std::size_t len, const net::SocketAddr& from,
                             Instant now) {
  if (state_ == State::closing) {
    close_pending_ = true;  // answer with the close again (RFC 9000 §10.2.1)
    return true;
  }
  if (state_ != State::open) return true;
  sockaddr_storage from_ss;
  const socklen_t from_len = from.to_sockaddr(from_ss);
  ngtcp2_path path{};
  path.local.addr = reinterpret_cast<ngtcp2_sockaddr*>(&local_ss_);
  path.local.addrlen = local_len_;
  path.remote.addr = reinterpret_cast<ngtcp2_sockaddr*>(&from_ss);
  path.remote.addrlen = from_len;
  ngtcp2_pkt_info pi{};
  const int rv = ngtcp2_conn_read_pkt(conn, &path, &pi, data, len, timestamp(now));
  if (rv == 0) {
    remote_ = from;
    return true;
  }
  switch (rv) {
    case NGTCP2_ERR_DRAINING:
      close(last_error_, now);  // the peer closed: drain quietly
      return true;
    case NGTCP2_ERR_DROP_CONN:
    case NGTCP2_ERR_RETRY:
      state_ = State::gone;
      return false;
    case NGTCP2_ERR_CRYPTO:
      if (!last_error_.error_code) {
        ngtcp2_connection_close_error_set_transport_error_tls_alert(
            &last_error_, ngtcp2_conn_get_tls_alert(conn), nullptr, 0);
      }
      break;
    default:
      if (!last_error_.error_code) {
        ngtcp2_connection_close_error_set_transport_error_liberr(&last_error_, rv, nullptr, 0);
      }
  }
  shared.bad_requests.fetch_add(1, std::memory_order_relaxed);
  close(last_error_, now);
  return true;
}

Instant Connection::expiry() const {
  if (state_ == State::closing || state_ == State::draining) return close_deadline_;
  if (state_ == State::gone) return Instant::min();
  Instant e = instant(ngtcp2_conn_get_expiry(conn));
  if (ngtcp2_conn_get_expiry(conn) == UINT64_MAX) e = Instant::max();
  if (notice_sent_ && !goaway_sent_) e = std::min(e, goaway_at_);
  return e;
}

bool Connection::drive(Context& context, net::UdpSocket& sock, Instant now) {
  cx = &context;
  struct Unbind {
    Connection& c;
    ~Unbind() { c.cx = nullptr; }
  } unbind{*this};

  if (state_ == State::gone) return false;
  if (!blocked_.empty()) {
    std::vector<std::uint8_t> p = std::move(blocked_);
    blocked_.clear();
    if (!send(sock, p.data(), p.size(), blocked_to_)) return true;
  }
  if (state_ != State::open) {
    if (close_pending_ && !close_pkt_.empty()) {
      close_pending_ = false;
      send(sock, close_pkt_.data(), close_pkt_.size(), remote_);
    }
    return now < close_deadline_;
  }

  // Timers: loss detection, ACK delay, idle timeout, handshake timeout.
  const ngtcp2_tstamp exp = ngtcp2_conn_get_expiry(conn);
  if (exp <= timestamp(now)) {
    const int rv = ngtcp2_conn_handle_expiry(conn, timestamp(now));
    if (rv == NGTCP2_ERR_IDLE_CLOSE) return false;  // silently (RFC 9000 §10.1)
    if (rv != 0) {
      ngtcp2_connection_close_error_set_transport_error_liberr(&last_error_, rv, nullptr, 0);
      close(last_error_, now);
      return drive(context, sock, now);
    }
  }

  // Graceful shutdown (RFC 9114 §5.2): GOAWAY with the largest id first, then, a couple of
  // round trips later, GOAWAY with the last stream accepted; close when no request is left.
  if (shared.draining->load(std::memory_order_acquire)) {
    if (!h3) {  // still in the handshake: nothing to finish
      ngtcp2_connection_close_error ccerr;
      ngtcp2_connection_close_error_set_transport_error(&ccerr, NGTCP2_NO_ERROR, nullptr, 0);
      close(ccerr, now);
      return drive(context, sock, now);
    }
    if (!notice_sent_) {
      nghttp3_conn_submit_shutdown_notice(h3);
      notice_sent_ = true;
      goaway_at_ = now + std::chrono::nanoseconds(2 * ngtcp2_conn_get_pto(conn));
    } else if (!goaway_sent_ && now >= goaway_at_) {
      nghttp3_conn_shutdown(h3);
      goaway_sent_ = true;
    }
  }

  for (int round = 0; round < 8; ++round) {
    const bool progress = h3 && poll_handlers();
    for (const std::unique_ptr<Stream>& s : streams) {
      if (s->deferred) {
        s->deferred = false;
        nghttp3_conn_resume_stream(h3, s->id);
      }
    }
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (streams[i]->abort) {
        streams[i]->abort = false;
        ngtcp2_conn_shutdown_stream(conn, streams[i]->id, NGHTTP3_H3_INTERNAL_ERROR);
      }
    }
    if (!write_packets(sock, now)) return drive(context, sock, now);  // closing: send the close
    if (!progress || !blocked_.empty()) break;
  }

  if (goaway_sent_ && streams.empty()) {
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_set_application_error(&ccerr, NGHTTP3_H3_NO_ERROR, nullptr, 0);
    close(ccerr, now);
    return drive(context, sock, now);
  }
  return true;
}

void Endpoint::on_datagram(const std::uint8_t* data, std::size_t len, const net::SocketAddr& from,
                           Instant now, std::vector<std::uint8_t>& reply) {
  auto drop = [&] { shared.dropped.fetch_add(1, std::memory_order_relaxed); };
  // An empty datagram is legal UDP, but ngtcp2 asserts on it (found by fuzz/h3_datagram.cpp).
  if (len == 0) return drop();
  ngtcp2_version_cid vc;
  const int rv = ngtcp2_pkt_decode_version_cid(&vc, data, len, kCidLen);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    std::uint8_t unused = 0;
    (void)gnutls_rnd(GNUTLS_RND_NONCE, &unused, 1);
    const std::uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
    reply.resize(kMaxPacket);
    const ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(
        reply.data(), reply.size(), unused, vc.scid, vc.scidlen, vc.dcid, vc.dcidlen, versions, 1);
    reply.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return;
  }
  if (rv != 0) return drop();
  const std::string key = cid_key(vc.dcid, vc.dcidlen);
  if (auto it = shared.cids.find(key); it != shared.cids.end()) {
    Connection* c = it->second;
    if (!c->on_datagram(data, len, from, now)) conns.erase(c);
    return;
  }
  // A new connection: only from a valid client Initial, below the limits, not while draining.
  if (shared.draining->load(std::memory_order_acquire) ||
      conns.size() >= shared.config->max_connections) {
    return drop();
  }
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, data, len) != 0) return drop();
  auto c = std::make_unique<Connection>(shared, from);
  if (!c->init(hd)) return drop();
  Connection* raw = c.get();
  conns.emplace(raw, std::move(c));
  shared.accepted.fetch_add(1, std::memory_order_relaxed);
  if (!raw->on_datagram(data, len, from, now)) conns.erase(raw);
}

}  // namespace strata::http::h3::detail
