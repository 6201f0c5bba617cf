#include "strata/http/h2/server_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "strata/http/date.hpp"

namespace strata::http::h2 {

namespace {

// Input is read here and handed to nghttp2 at once (it keeps partial frames itself).
thread_local std::array<std::uint8_t, 16 * 1024> t_input;

bool is_connection_specific(std::string_view name) {
  auto eq = [&](std::string_view n) {
    return name.size() == n.size() &&
           std::equal(name.begin(), name.end(), n.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  return eq("connection") || eq("keep-alive") || eq("proxy-connection") ||
         eq("transfer-encoding") || eq("upgrade");
}

}  // namespace

// One stream: its request (owned), the handler while it runs, the response while it is sent.
struct Stream final : BodyStream {
  ServerConnection::Impl* conn = nullptr;
  std::int32_t id = 0;
  Request req;
  std::size_t header_bytes = 0;
  bool header_overflow = false;
  bool headers_done = false;

  // The request body as it arrives: [in_begin, in.size()) unread; `lent` bytes handed to the
  // handler and given back (window) on its next read.
  std::string in;
  std::size_t in_begin = 0, lent = 0;
  bool in_eof = false;
  Waker reader;

  std::optional<Task<Response>> handler;
  Response resp;
  bool deferred = false;
  io::BufferView chunk;  // the part of the response body not yet given to nghttp2
  std::size_t chunk_off = 0;
  bool body_done = false;

  Poll<Result<io::BufferView>> poll_data(Context& cx) override;
  std::optional<std::uint64_t> size_hint() const override {
    if (in_eof) return in.size() - in_begin;
    return std::nullopt;
  }
};

struct ServerConnection::Impl {
  const h1::ConnectionContext& ctx;
  const Settings& settings;
  net::SocketAddr peer;
  const tls::Session* tls;
  nghttp2_session* session = nullptr;

  std::deque<std::unique_ptr<Stream>> streams;  // live streams (few; a deque keeps pointers)
  Context* cx = nullptr;                        // during poll_serve
  std::string out;                              // frames not yet written
  std::size_t out_begin = 0;
  bool closed = false;  // the peer closed or a fatal error: write what is queued, then end
  bool goaway_sent = false;
  bool notice_sent = false;
  Sleep idle;  // deadline while no stream is open
  bool idle_armed = false;
  // Rapid reset: a token bucket of stream resets.
  double reset_tokens = 0;
  Instant reset_refill{};

  Impl(const h1::ConnectionContext& c, const Settings& s, const net::SocketAddr& p,
       const tls::Session* t)
      : ctx(c), settings(s), peer(p), tls(t), idle(Instant::max()) {
    reset_tokens = settings.reset_burst;
    reset_refill = Clock::now();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (session) nghttp2_session_del(session);
  }

  bool start();
  Stream* find(std::int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }
  void remove(Stream* s) {
    auto it = std::find_if(streams.begin(), streams.end(),
                           [&](const std::unique_ptr<Stream>& p) { return p.get() == s; });
    if (it != streams.end()) streams.erase(it);
  }
  void count(std::atomic<std::uint64_t>* c) {
    if (c) c->fetch_add(1, std::memory_order_relaxed);
  }

  void start_handler(Stream& s);
  void submit_response(Stream& s);
  void submit_error(Stream& s, StatusCode status);
  bool poll_handlers();
  bool rapid_reset_exceeded();
};

// ---- request body (the handler's reads) ----

Poll<Result<io::BufferView>> Stream::poll_data(Context& cx) {
  if (lent) {  // the handler is done with what it was lent: give the window back
    in_begin += lent;
    if (conn->session) nghttp2_session_consume(conn->session, id, lent);
    lent = 0;
    if (in_begin == in.size()) {
      in.clear();
      in_begin = 0;
    }
  }
  if (in_begin < in.size()) {
    lent = in.size() - in_begin;
    return io::BufferView(std::string_view(in).substr(in_begin));
  }
  if (in_eof) return io::BufferView();
  reader = cx.waker();
  return pending;
}

// ---- nghttp2 callbacks ----

namespace {

ServerConnection::Impl& impl_of(void* user) {
  return *static_cast<ServerConnection::Impl*>(user);
}

int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto& c = impl_of(user);
  auto s = std::make_unique<Stream>();
  s->conn = &c;
  s->id = frame->hd.stream_id;
  s->req.version = Version::http_2;
  s->req.peer = c.peer;
  s->req.tls = c.tls;
  s->req.server_draining = c.ctx.draining;
  nghttp2_session_set_stream_user_data(session, s->id, s.get());
  c.streams.push_back(std::move(s));
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user) {
  auto& c = impl_of(user);
  Stream* s = c.find(frame->hd.stream_id);
  if (!s || s->headers_done) return 0;         // trailers are not kept
  s->header_bytes += namelen + valuelen + 32;  // RFC 9113 §6.5.2's accounting
  if (s->header_bytes > c.settings.max_header_list_size) {
    s->header_overflow = true;
    return 0;
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (!n.empty() && n[0] == ':') {
    if (n == ":method") {
      Result<Method> m = Method::parse(v);
      if (!m) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM PROTOCOL_ERROR
      s->req.method = *m;
    } else if (n == ":path") {
      s->req.set_target(v);
    } else if (n == ":authority") {
      if (!s->req.headers.contains("host")) s->req.headers.append("host", v);
    }
    return 0;  // :scheme is not kept (nghttp2 has checked it)
  }
  if (n == "host") {
    s->req.headers.set("host", v);  // Host and :authority must agree; Host wins if both
    return 0;
  }
  (void)s->req.headers.append(n, v);
  return 0;
}

int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                  std::size_t len, void* user) {
  auto& c = impl_of(user);
  Stream* s = c.find(stream_id);
  if (!s) {  // a stream we no longer track: give its bytes back at once
    nghttp2_session_consume_connection(c.session, len);
    return 0;
  }
  s->in.append(reinterpret_cast<const char*>(data), len);
  s->reader.wake_by_ref();
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& c = impl_of(user);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Stream* s = c.find(frame->hd.stream_id);
      if (!s) return 0;
      if (!s->headers_done && (frame->hd.flags & NGHTTP2_FLAG_END_HEADERS)) {
        s->headers_done = true;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->in_eof = true;
        c.start_handler(*s);
      } else if (s->headers_done && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        s->in_eof = true;  // trailers end the body
        s->reader.wake_by_ref();
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (Stream* s = c.find(frame->hd.stream_id)) {
          s->in_eof = true;
          s->reader.wake_by_ref();
        }
      }
      return 0;
    }
    case NGHTTP2_RST_STREAM:
      if (c.rapid_reset_exceeded()) {
        nghttp2_session_terminate_session(c.session, NGHTTP2_ENHANCE_YOUR_CALM);
      }
      return 0;
    default:
      return 0;
  }
}

int on_stream_close(nghttp2_session* session, std::int32_t stream_id, std::uint32_t, void* user) {
  auto& c = impl_of(user);
  Stream* s = c.find(stream_id);
  if (!s) return 0;
  // Unread request bytes still count against the connection window: give them back.
  const std::size_t unread = s->in.size() - s->in_begin;
  if (unread) nghttp2_session_consume_connection(session, unread);
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  c.remove(s);
  return 0;
}

ssize_t read_body(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                  std::size_t length, std::uint32_t* flags, nghttp2_data_source*, void* user) {
  auto& c = impl_of(user);
  Stream* s = c.find(stream_id);
  if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  std::size_t done = 0;
  while (done < length) {
    if (s->chunk_off < s->chunk.size()) {
      const std::size_t n = std::min(length - done, s->chunk.size() - s->chunk_off);
      std::memcpy(buf + done, s->chunk.data() + s->chunk_off, n);
      s->chunk_off += n;
      done += n;
      continue;
    }
    if (s->body_done) break;
    Poll<Result<io::BufferView>> p = s->resp.body.poll_data(*c.cx);
    if (p.is_pending()) {
      if (done) break;
      s->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    if (!p.value()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM INTERNAL_ERROR
    s->chunk = std::move(*p.value());
    s->chunk_off = 0;
    if (s->chunk.empty()) s->body_done = true;
  }
  if (s->body_done && s->chunk_off >= s->chunk.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (const Headers* t = s->resp.body.trailers(); t && !t->empty()) {
      std::vector<nghttp2_nv> nva;
      for (const HeaderField& f : *t) {
        nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.name.data())),
                       reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.value.data())),
                       f.name.size(), f.value.size(), NGHTTP2_NV_FLAG_NONE});
      }
      if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) == 0) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

bool ServerConnection::Impl::start() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);  // windows follow the handlers' reads
  nghttp2_option_set_max_settings(opt, settings.max_settings_frames);
  nghttp2_option_set_max_outbound_ack(opt, settings.max_outbound_acks);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
  const int rv = nghttp2_session_server_new2(&session, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return false;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, settings.max_frame_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_size},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, settings.header_table_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  if (nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, std::size(iv)) != 0) return false;
  if (settings.connection_window_size > 65535) {
    nghttp2_session_set_local_window_size(
        session, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(settings.connection_window_size));
  }
  return true;
}

bool ServerConnection::Impl::rapid_reset_exceeded() {
  const Instant now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - reset_refill).count();
  reset_refill = now;
  reset_tokens =
      std::min<double>(settings.reset_burst, reset_tokens + elapsed * settings.resets_per_second);
  if (reset_tokens < 1) return true;
  reset_tokens -= 1;
  return false;
}

void ServerConnection::Impl::start_handler(Stream& s) {
  if (s.header_overflow) {
    count(ctx.bad_requests);
    submit_error(s, StatusCode::request_header_fields_too_large);
    return;
  }
  if (s.req.target().empty()) {  // CONNECT and friends without :path are not served
    count(ctx.bad_requests);
    submit_error(s, StatusCode::bad_request);
    return;
  }
  if (!s.in_eof) s.req.body = Body::borrow_stream(s);
  s.handler.emplace(ctx.service->handle(s.req));
}

void ServerConnection::Impl::submit_error(Stream& s, StatusCode status) {
  s.resp = Response::error(status);
  submit_response(s);
}

void ServerConnection::Impl::submit_response(Stream& s) {
  thread_local DateCache dates;
  thread_local std::string lower;
  Response& r = s.resp;
  std::vector<nghttp2_nv> nva;
  nva.reserve(r.headers.size() + 4);
  char status[3];
  const std::uint16_t code = r.status.as_u16();
  status[0] = static_cast<char>('0' + code / 100);
  status[1] = static_cast<char>('0' + code / 10 % 10);
  status[2] = static_cast<char>('0' + code % 10);
  auto nv = [&](std::string_view n, std::string_view v) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                   NGHTTP2_NV_FLAG_NONE});
  };
  nv(":status", std::string_view(status, 3));
  // Field names go out in lower case (RFC 9113 §8.2.1): lower them into one buffer first, so
  // that the views stay valid while the list is built.
  lower.clear();
  std::size_t total = 0;
  for (const HeaderField& f : r.headers) total += f.name.size();
  lower.reserve(total);
  bool has_length = false, has_date = false, has_server = false;
  for (const HeaderField& f : r.headers) {
    if (is_connection_specific(f.name)) continue;
    const std::size_t at = lower.size();
    for (char ch : f.name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string_view name(lower.data() + at, f.name.size());
    has_length |= name == "content-length";
    has_date |= name == "date";
    has_server |= name == "server";
    nv(name, f.value);
  }
  if (!has_date) nv("date", dates.now());
  if (!has_server && !ctx.config->server_header.empty()) nv("server", ctx.config->server_header);
  const bool no_body = s.req.method == Method::head || code == 204 || code == 304 || code < 200;
  char length[24];
  if (!has_length && !no_body) {
    if (std::optional<std::uint64_t> n = r.body.size_hint()) {
      const int len =
          std::snprintf(length, sizeof length, "%llu", static_cast<unsigned long long>(*n));
      nv("content-length", std::string_view(length, static_cast<std::size_t>(len)));
    }
  }
  if (no_body || r.body.is_empty()) {
    nghttp2_submit_response(session, s.id, nva.data(), nva.size(), nullptr);
    return;
  }
  nghttp2_data_provider prd;
  prd.source.ptr = &s;
  prd.read_callback = read_body;
  nghttp2_submit_response(session, s.id, nva.data(), nva.size(), &prd);
}

// Polls every running handler once; true if any finished.
bool ServerConnection::Impl::poll_handlers() {
  bool progress = false;
  // Index loop: a finishing stream never removes itself here (closing happens in nghttp2).
  for (std::size_t i = 0; i < streams.size(); ++i) {
    Stream& s = *streams[i];
    if (!s.handler) continue;
    bool failed = false;
    std::optional<Response> done;
    try {
      Poll<Response> p = s.handler->poll(*cx);
      if (p.is_ready()) done.emplace(p.take());
    } catch (...) {
      failed = true;
    }
    if (!done && !failed) continue;
    s.handler.reset();
    count(ctx.requests);
    progress = true;
    if (failed || done->status == StatusCode::switching_protocols) {
      submit_error(s, StatusCode::internal_server_error);  // no protocol switch over HTTP/2
      continue;
    }
    s.resp = std::move(*done);
    submit_response(s);
    // A response that ends the exchange before the request body: stop the upload (§8.1).
    if (!s.in_eof) nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_NO_ERROR);
  }
  return progress;
}

ServerConnection::ServerConnection(const h1::ConnectionContext& ctx, const Settings& settings,
                                   const net::SocketAddr& peer, const tls::Session* tls)
    : impl_(std::make_unique<Impl>(ctx, settings, peer, tls)) {}
ServerConnection::ServerConnection(ServerConnection&&) noexcept = default;
ServerConnection& ServerConnection::operator=(ServerConnection&&) noexcept = default;
ServerConnection::~ServerConnection() = default;

Poll<void> ServerConnection::poll_serve(Context& cx, const IoRef& io) {
  Impl& c = *impl_;
  if (!c.session && !c.start()) return ready;
  c.cx = &cx;
  struct Unbind {
    Impl& c;
    ~Unbind() { c.cx = nullptr; }
  } unbind{c};

  for (int round = 0; round < 64; ++round) {
    bool progress = false;

    // Drain: announce it once, then end the session when no stream is left.
    if (!c.goaway_sent && c.ctx.draining->load(std::memory_order_acquire)) {
      if (!c.notice_sent) {
        nghttp2_submit_shutdown_notice(c.session);
        c.notice_sent = true;
      }
      if (c.streams.empty()) {
        nghttp2_submit_goaway(c.session, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(c.session), NGHTTP2_NO_ERROR,
                              nullptr, 0);
        c.goaway_sent = true;
        c.closed = true;
      }
    }

    // 1. Input.
    if (!c.closed && nghttp2_session_want_read(c.session)) {
      Poll<Result<std::size_t>> r =
          io.read(io.io, cx,
                  io::MutableBuffer(reinterpret_cast<std::byte*>(t_input.data()), t_input.size()));
      if (r.is_ready()) {
        if (!r.value() || *r.value() == 0) return ready;  // the peer is gone: nothing to answer
        progress = true;
        const ssize_t rv = nghttp2_session_mem_recv(c.session, t_input.data(), *r.value());
        if (rv < 0) {
          // A fatal error (bad preface, flood, compression error): send GOAWAY, then close.
          if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
            c.count(c.ctx.bad_requests);
            nghttp2_session_terminate_session(c.session, NGHTTP2_PROTOCOL_ERROR);
          }
          c.closed = true;
        }
      }
    }

    // 2. Handlers.
    if (c.poll_handlers()) progress = true;

    // 3. Bodies that were waiting may have data now.
    for (const std::unique_ptr<Stream>& s : c.streams) {
      if (s->deferred) {
        s->deferred = false;
        nghttp2_session_resume_data(c.session, s->id);
      }
    }

    // 4. Output: frames into `out`, then to the transport.
    if (c.out_begin == c.out.size()) {
      c.out.clear();
      c.out_begin = 0;
      const std::uint8_t* data = nullptr;
      ssize_t n;
      while (c.out.size() < 64 * 1024 && (n = nghttp2_session_mem_send(c.session, &data)) > 0) {
        c.out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      }
    }
    while (c.out_begin < c.out.size()) {
      Poll<Result<std::size_t>> w =
          io.write(io.io, cx, io::as_bytes(std::string_view(c.out).substr(c.out_begin)));
      if (w.is_pending()) break;
      if (!w.value()) return ready;
      c.out_begin += *w.value();
      progress = true;
    }
    if (c.out_begin == c.out.size()) {
      if (!c.out.empty()) {
        Poll<Result<void>> f = io.flush(io.io, cx);
        if (f.is_ready() && !f.value()) return ready;
      }
      c.out.clear();
      c.out_begin = 0;
      if (c.out.capacity() > 64 * 1024) std::string().swap(c.out);  // a burst's buffer goes
    }

    const bool idle_output = c.out_begin == c.out.size();
    if (idle_output && (c.closed || (!nghttp2_session_want_read(c.session) &&
                                     !nghttp2_session_want_write(c.session)))) {
      if (!nghttp2_session_want_write(c.session)) return ready;
    }
    if (!progress) break;
    if (round == 63) {  // busy: let the worker run other tasks, then come back
      cx.waker().wake_by_ref();
      return pending;
    }
  }

  // Idle deadline: only while no stream is open.
  if (c.streams.empty()) {
    const h1::ConnectionConfig& cfg = *c.ctx.config;
    if (!c.idle_armed) {
      c.idle.reset(Clock::now() + cfg.idle_timeout);
      c.idle_armed = true;
    }
    if (c.idle.poll(cx).is_ready()) {
      c.count(c.ctx.timeouts);
      return ready;
    }
  } else if (c.idle_armed) {
    c.idle.reset(Instant::max());
    c.idle_armed = false;
  }
  return pending;
}

}  // namespace strata::http::h2
