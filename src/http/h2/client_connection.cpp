// h2::ClientConnection over nghttp2 (design note in the header and docs/http2.md, "Client").
//
// State: Impl holds the nghttp2 session, the transport and the streams, all under `m`. The
// driver task (Driver below) is the only one that reads, writes and calls mem_recv/mem_send;
// send() and the response bodies take the lock to submit, read their stream's queue, give
// window back or reset, and wake the driver. A stream (Stream) is shared by the connection's
// table (until nghttp2 closes it), the send() in progress and the response body.
//
// The request body is borrowed from the caller's Request: the driver pulls it in the DATA
// callback with its own Context (a channel body wakes the driver), and send() completes only
// once the upload has ended or the stream has closed; a send() that leaves early detaches the
// body under the lock first, so the driver never touches it afterwards.
#include "strata/http/h2/client_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::http::h2 {

namespace {

class H2Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.h2"; }
  std::string message(int c) const override {
    static constexpr const char* names[] = {"no error",
                                            "protocol error",
                                            "internal error",
                                            "flow-control error",
                                            "settings timeout",
                                            "stream closed",
                                            "frame size error",
                                            "stream refused",
                                            "stream cancelled",
                                            "compression error",
                                            "connect error",
                                            "enhance your calm",
                                            "inadequate security",
                                            "HTTP/1.1 required"};
    if (c >= 0 && static_cast<std::size_t>(c) < std::size(names)) return names[c];
    return "unknown HTTP/2 error";
  }
};

// Input is read here and handed to nghttp2 at once (it keeps partial frames itself).
thread_local std::array<std::uint8_t, 16 * 1024> t_client_input;

Error h2_error(std::uint32_t code, const char* context) {
  return Error(make_error_code(static_cast<ErrorCode>(code)), context);
}

bool is_hop_by_hop(std::string_view lowered) {
  return lowered == "connection" || lowered == "keep-alive" || lowered == "proxy-connection" ||
         lowered == "transfer-encoding" || lowered == "upgrade" || lowered == "host";
}

// The opaque data of our keep-alive PINGs (an ACK carries it back).
constexpr std::uint8_t keepalive_ping[8] = {'s', 't', 'r', 'a', 't', 'a', 'k', 'a'};

nghttp2_nv make_nv(std::string_view n, std::string_view v) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const H2Category c;
  return c;
}

// One request/response exchange. Fields are guarded by the connection's mutex.
struct Stream {
  std::int32_t id = -1;
  // The request body (borrowed; null once the upload ended or the sender left).
  Body* body = nullptr;
  std::string_view bytes;  // whole bytes: sent from here (the Body stays replayable)
  bool use_bytes = false;
  io::BufferView chunk;  // a streamed chunk not yet given to nghttp2
  std::size_t off = 0;
  bool body_done = false;
  bool deferred = false;
  bool upload_done = false;
  // Expect: 100-continue: DATA waits (holding) for a 100, a final status or the expect
  // timeout; a final status first means the body is never sent (skip_body).
  bool holding = false;
  bool skip_body = false;
  // The response.
  std::uint16_t status = 0;
  Headers headers;
  Headers trailers;
  bool head_done = false;
  std::deque<std::string> in;  // received DATA not yet read
  std::uint64_t received = 0;
  std::uint64_t max_body = 0;
  bool eof = false;
  bool closed = false;
  std::optional<Error> error;
  bool abandoned = false;  // nobody reads it any more
  Waker waiter;            // send() or the body reader
};

struct ClientConnection::Impl {
  mutable std::mutex m;
  nghttp2_session* session = nullptr;
  std::unique_ptr<Transport> transport;
  IoRef io;
  ClientSettings settings;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams;
  std::size_t queued = 0;  // submitted, not yet opened (waiting for a slot) or open
  Waker driver;
  Context* cx = nullptr;  // the driver's, during its poll
  std::string out;
  std::size_t out_begin = 0;
  bool settings_received = false;
  Waker handshake_waiter;
  bool goaway_received = false;
  std::int32_t goaway_last_id = 0;
  std::uint32_t goaway_code = 0;
  std::uint32_t local_goaway_code = 0;  // a GOAWAY we sent with an error (the peer misbehaved)
  bool ids_exhausted = false;
  bool dead = false;  // the driver has ended (or is ending): no new streams
  std::optional<Error> conn_error;
  bool closing = false;  // no handle left: end once the streams are done
  bool goaway_sent = false;
  Sleep idle{Instant::max()};
  bool idle_armed = false;
  // Keep-alive: a PING when nothing arrived for keepalive_interval; its ACK is due by
  // ping_deadline.
  Instant last_input = Clock::now();
  bool ping_out = false;
  Instant ping_deadline = Instant::max();
  std::uint64_t ping_acks = 0;
  Sleep ping_timer{Instant::max()};
  Instant ping_at = Instant::max();

  Impl(std::unique_ptr<Transport> t, IoRef i, ClientSettings s)
      : transport(std::move(t)), io(i), settings(s) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (session) nghttp2_session_del(session);
  }

  bool start();
  Stream* find(std::int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }
  void wake_driver() { driver.wake_by_ref(); }
  // The error for a stream that ends now without a complete response.
  Error stream_failure(std::int32_t id, std::uint32_t code) const {
    if (goaway_received && id > goaway_last_id)
      return h2_error(NGHTTP2_REFUSED_STREAM, "http2 stream: not processed before GOAWAY");
    if (code == NGHTTP2_REFUSED_STREAM)
      return h2_error(code, "http2 stream refused by the server (REFUSED_STREAM)");
    if (code != NGHTTP2_NO_ERROR) return h2_error(code, "http2 stream reset by the server");
    if (conn_error) return *conn_error;
    return Error(Errc::closed, "http2 stream closed before the response was complete");
  }
  void finish(Stream& s, std::optional<Error> e) {
    s.closed = true;
    if (!s.error && e && !(s.head_done && s.eof)) s.error = std::move(e);
    s.body = nullptr;
    s.waiter.wake_by_ref();
  }
  // The connection is over: every stream fails with `e` (or refused, above a GOAWAY's id).
  void fail_all(const Error& e) {
    dead = true;
    if (!conn_error) conn_error = e;
    for (auto& [id, s] : streams) {
      finish(*s, goaway_received && id > goaway_last_id ? stream_failure(id, 0) : e);
      nghttp2_session_set_stream_user_data(session, id, nullptr);
    }
    streams.clear();
    queued = 0;
    handshake_waiter.wake_by_ref();
  }
  bool usable() const { return !dead && !closing && !goaway_received && !ids_exhausted; }

  Poll<void> poll_drive(Context& cx);
  // Sends the keep-alive PING when due and arms its timer; false when the ACK is overdue.
  bool poll_keepalive(Context& cx);
};

namespace {

ClientConnection::Impl& impl_of(void* user) {
  return *static_cast<ClientConnection::Impl*>(user);
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user) {
  Stream* s = impl_of(user).find(frame->hd.stream_id);
  if (!s || frame->hd.type != NGHTTP2_HEADERS) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (s->head_done) {  // trailers
    (void)s->trailers.append(n, v);
    return 0;
  }
  if (n == ":status") {
    std::uint16_t code = 0;
    if (std::from_chars(v.data(), v.data() + v.size(), code).ec != std::errc{} || code < 100)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM PROTOCOL_ERROR
    s->status = code;
    s->headers = Headers();  // an interim response's fields are not kept
    return 0;
  }
  if (!n.empty() && n[0] == ':') return 0;
  (void)s->headers.append(n, v);
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& c = impl_of(user);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA: {
      Stream* s = c.find(frame->hd.stream_id);
      if (!s) return 0;
      if (frame->hd.type == NGHTTP2_HEADERS && !s->head_done) {
        if (s->status >= 200) {
          s->head_done = true;        // 1xx heads are skipped (their fields were dropped)
          s->skip_body = s->holding;  // a final answer to Expect: 100-continue: no body
          s->holding = false;
        } else if (s->status == 100 && s->holding) {
          s->holding = false;  // 100 Continue: the body goes (resumed by the driver)
          s->deferred = true;
        }
      }
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        s->eof = true;
        if (s->skip_body && !s->upload_done) {
          // The exchange is over without the request body: end our side (RFC 9113 §8.1).
          s->upload_done = true;
          nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
        }
      }
      s->waiter.wake_by_ref();
      return 0;
    }
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) &&
          std::memcmp(frame->ping.opaque_data, keepalive_ping, sizeof keepalive_ping) == 0) {
        c.ping_out = false;
        c.last_input = Clock::now();
        ++c.ping_acks;
      }
      return 0;
    case NGHTTP2_SETTINGS:
      if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
        c.settings_received = true;
        c.handshake_waiter.wake_by_ref();
      }
      return 0;
    case NGHTTP2_GOAWAY:
      c.goaway_received = true;
      c.goaway_last_id = frame->goaway.last_stream_id;
      c.goaway_code = frame->goaway.error_code;
      if (c.goaway_code != NGHTTP2_NO_ERROR && !c.conn_error)
        c.conn_error = h2_error(c.goaway_code, "http2 connection ended by the server (GOAWAY)");
      return 0;
    default:
      return 0;
  }
}

int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                  const std::uint8_t* data, std::size_t len, void* user) {
  auto& c = impl_of(user);
  // The connection window comes back on receipt: a slow reader only stops its own stream.
  nghttp2_session_consume_connection(session, len);
  Stream* s = c.find(stream_id);
  if (!s || s->abandoned) {
    nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
  }
  s->received += len;
  if (s->max_body && s->received > s->max_body) {
    s->error = Error(std::make_error_code(std::errc::message_size), "http2 response body");
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    s->waiter.wake_by_ref();
    return 0;
  }
  const char* p = reinterpret_cast<const char*>(data);
  if (!s->in.empty() && s->in.back().size() + len <= 64 * 1024) {
    s->in.back().append(p, len);
  } else {
    s->in.emplace_back(p, len);
  }
  s->waiter.wake_by_ref();
  return 0;
}

int on_stream_close(nghttp2_session* session, std::int32_t stream_id, std::uint32_t code,
                    void* user) {
  auto& c = impl_of(user);
  auto it = c.streams.find(stream_id);
  if (it == c.streams.end()) return 0;
  std::shared_ptr<Stream> s = std::move(it->second);
  c.streams.erase(it);
  if (c.queued) --c.queued;
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  c.finish(*s, c.stream_failure(stream_id, code));
  return 0;
}

// A HEADERS that could not go out (GOAWAY received, ids exhausted): the request was never sent.
int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int, void* user) {
  auto& c = impl_of(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto it = c.streams.find(frame->hd.stream_id);
  if (it == c.streams.end()) return 0;
  std::shared_ptr<Stream> s = std::move(it->second);
  c.streams.erase(it);
  if (c.queued) --c.queued;
  c.finish(*s, h2_error(NGHTTP2_REFUSED_STREAM, "http2 stream: not sent (connection ending)"));
  return 0;
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto& c = impl_of(user);
  if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
    c.local_goaway_code = frame->goaway.error_code;
    if (!c.conn_error)
      c.conn_error = h2_error(c.local_goaway_code, "http2: the server broke the protocol");
  }
  return 0;
}

// Pulls the request body into DATA frames as the send window allows.
ssize_t read_request_body(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                          std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                          void* user) {
  auto& c = impl_of(user);
  Stream* s = c.find(stream_id);
  if (s && s->holding) return NGHTTP2_ERR_DEFERRED;                  // waiting for 100 Continue
  if (!s || !s->body) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the sender left: reset
  std::size_t done = 0;
  if (s->use_bytes) {
    done = std::min(length, s->bytes.size() - s->off);
    std::memcpy(buf, s->bytes.data() + s->off, done);
    s->off += done;
    s->body_done = s->off == s->bytes.size();
  }
  while (!s->use_bytes && done < length) {
    if (s->off < s->chunk.size()) {
      const std::size_t n = std::min(length - done, s->chunk.size() - s->off);
      std::memcpy(buf + done, s->chunk.data() + s->off, n);
      s->off += n;
      done += n;
      continue;
    }
    if (s->body_done) break;
    Poll<Result<io::BufferView>> p = s->body->poll_data(*c.cx);
    if (p.is_pending()) {
      if (done) break;
      s->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    if (!p.value()) {
      s->error = Error(p.value().error().code(), "http2 request body");
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM INTERNAL_ERROR
    }
    s->chunk = std::move(*p.value());
    s->off = 0;
    if (s->chunk.empty()) s->body_done = true;
  }
  if (s->body_done && (s->use_bytes || s->off >= s->chunk.size())) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    const Headers* t = s->use_bytes ? nullptr : s->body->trailers();
    if (t && !t->empty()) {
      std::vector<nghttp2_nv> nva;
      for (const HeaderField& f : *t) nva.push_back(make_nv(f.name, f.value));
      if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) == 0)
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    s->upload_done = true;
    s->body = nullptr;
    s->waiter.wake_by_ref();
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

bool ClientConnection::Impl::start() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);          // windows follow the readers
  nghttp2_option_set_peer_max_concurrent_streams(opt, 100);  // until the server's SETTINGS
  const int rv = nghttp2_session_client_new2(&session, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return false;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, settings.max_frame_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_size},
  };
  if (nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, std::size(iv)) != 0) return false;
  if (settings.connection_window_size > 65535) {
    nghttp2_session_set_local_window_size(
        session, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(settings.connection_window_size));
  }
  return true;
}

// The driver: one round reads, lets nghttp2 process, resumes bodies and writes, until nothing
// moves; ready when the connection is over.
Poll<void> ClientConnection::Impl::poll_drive(Context& cx_) {
  std::lock_guard lock(m);
  cx = &cx_;
  driver = cx_.waker();
  struct Unbind {
    Impl& c;
    ~Unbind() { c.cx = nullptr; }
  } unbind{*this};

  for (int round = 0; round < 64; ++round) {
    bool progress = false;
    if (closing && streams.empty() && !goaway_sent && !dead) {
      nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
      goaway_sent = true;
      dead = true;
    }

    // 1. Input.
    if (!dead && nghttp2_session_want_read(session)) {
      Poll<Result<std::size_t>> r =
          io.read(io.io, cx_,
                  io::MutableBuffer(reinterpret_cast<std::byte*>(t_client_input.data()),
                                    t_client_input.size()));
      if (r.is_ready()) {
        if (!r.value()) {
          fail_all(Error(r.value().error().code(), "http2 connection read"));
          return ready;
        }
        if (*r.value() == 0) {
          fail_all(conn_error ? *conn_error
                              : Error(Errc::closed, "http2 connection closed by the server"));
          return ready;
        }
        progress = true;
        if (settings.keepalive_interval > Duration::zero() && !ping_out) last_input = Clock::now();
        const ssize_t rv = nghttp2_session_mem_recv(session, t_client_input.data(), *r.value());
        if (rv < 0) {
          fail_all(conn_error ? *conn_error
                              : Error(make_error_code(ErrorCode::protocol_error),
                                      "http2: malformed input from the server"));
          nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR);
        }
      }
    }

    // 2. Request bodies that were waiting may have data now.
    for (auto& [id, s] : streams) {
      if (s->deferred) {
        s->deferred = false;
        nghttp2_session_resume_data(session, id);
      }
    }

    // 3. Output.
    if (out_begin == out.size()) {
      out.clear();
      out_begin = 0;
      const std::uint8_t* data = nullptr;
      ssize_t n = 0;
      while (out.size() < 64 * 1024 && (n = nghttp2_session_mem_send(session, &data)) > 0)
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      if (n < 0 && !dead) fail_all(Error(make_error_code(ErrorCode::internal_error), "http2 send"));
    }
    while (out_begin < out.size()) {
      Poll<Result<std::size_t>> w =
          io.write(io.io, cx_, io::as_bytes(std::string_view(out).substr(out_begin)));
      if (w.is_pending()) break;
      if (!w.value()) {
        fail_all(Error(w.value().error().code(), "http2 connection write"));
        return ready;
      }
      out_begin += *w.value();
      progress = true;
    }
    if (out_begin == out.size() && !out.empty()) {
      Poll<Result<void>> f = io.flush(io.io, cx_);
      if (f.is_ready() && !f.value()) {
        fail_all(Error(f.value().error().code(), "http2 connection flush"));
        return ready;
      }
      out.clear();
      out_begin = 0;
      if (out.capacity() > 64 * 1024) std::string().swap(out);
    }

    // 4. The end: nothing more to read or write (GOAWAY both ways, a protocol error, closing).
    const bool idle_output = out_begin == out.size();
    if (idle_output && !nghttp2_session_want_write(session) &&
        (dead || !nghttp2_session_want_read(session))) {
      if (!dead || !streams.empty()) {
        fail_all(conn_error ? *conn_error : Error(Errc::closed, "http2 connection ended"));
      }
      dead = true;
      return ready;
    }
    if (!progress) break;
    if (round == 63) {
      cx_.waker().wake_by_ref();
      return pending;
    }
  }

  // Idle: no stream for idle_timeout ends the connection (the Client drops it from its pool).
  if (streams.empty() && settings.idle_timeout > Duration::zero()) {
    if (!idle_armed) {
      idle.reset(Clock::now() + settings.idle_timeout);
      idle_armed = true;
    }
    if (idle.poll(cx_).is_ready()) {
      closing = true;
      idle_armed = false;
      cx_.waker().wake_by_ref();
    }
  } else if (idle_armed) {
    idle.reset(Instant::max());
    idle_armed = false;
  }
  if (!dead && !poll_keepalive(cx_)) {
    fail_all(Error(Errc::timed_out, "http2 keepalive: no PING ACK from the server in time"));
    return ready;
  }
  return pending;
}

bool ClientConnection::Impl::poll_keepalive(Context& cx_) {
  if (settings.keepalive_interval <= Duration::zero()) return true;
  const Instant now = Clock::now();
  if (!ping_out && now >= last_input + settings.keepalive_interval) {
    nghttp2_submit_ping(session, NGHTTP2_FLAG_NONE, keepalive_ping);
    ping_out = true;
    ping_deadline = settings.keepalive_timeout > Duration::zero() ? now + settings.keepalive_timeout
                                                                  : Instant::max();
    cx_.waker().wake_by_ref();  // the driver writes it
  }
  if (ping_out && now >= ping_deadline) return false;
  // The timer follows the next event lazily: when it fires early (input moved last_input),
  // it is set again.
  const Instant target = ping_out ? ping_deadline : last_input + settings.keepalive_interval;
  if (ping_at == Instant::max() || target < ping_at || now >= ping_at) {
    ping_at = target;
    ping_timer.reset(target);
  }
  if (ping_timer.poll(cx_).is_ready()) cx_.waker().wake_by_ref();
  return true;
}

namespace {

// The driver task: owns a reference to the connection until it ends.
// Once the connection is over, the socket closes at once rather than when the last handle
// (the Client's pool, a response body) lets go: a server draining after GOAWAY, or one whose
// PING went unanswered, sees the close now.
struct Driver {
  std::shared_ptr<ClientConnection::Impl> c;
  Poll<void> poll(Context& cx) {
    if (c->poll_drive(cx).is_pending()) return pending;
    std::lock_guard lock(c->m);
    c->transport.reset();  // only the driver used it (through c->io)
    return ready;
  }
};

// Waits for the server's SETTINGS (or the end of the connection).
struct SettingsWait {
  ClientConnection::Impl& c;
  Poll<void> poll(Context& cx) {
    std::lock_guard lock(c.m);
    if (c.settings_received || c.dead) return ready;
    c.handshake_waiter = cx.waker();
    return pending;
  }
};

// Waits until `done` holds for a stream, or it closed or failed.
struct StreamWait {
  ClientConnection::Impl& c;
  Stream& s;
  bool (*done)(const Stream&);
  Poll<void> poll(Context& cx) {
    std::lock_guard lock(c.m);
    if (s.closed || s.error || done(s)) return ready;
    s.waiter = cx.waker();
    return pending;
  }
};

// The response head has arrived and the upload has ended (or will never be sent).
bool head_ready(const Stream& s) {
  return s.head_done && (s.upload_done || s.eof || s.skip_body);
}
// Expect: 100-continue has its answer (a 100 or a final head).
bool continue_answered(const Stream& s) {
  return !s.holding;
}

// Resets a stream nobody will read, and detaches the caller's request body (under the lock,
// so the driver never polls it again).
void abandon(ClientConnection::Impl& c, Stream& s) {
  std::lock_guard lock(c.m);
  s.body = nullptr;
  s.abandoned = true;
  s.waiter = Waker();
  if (!s.closed && s.id > 0 && c.session && !c.dead) {
    nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
    // What it had queued is given back to the stream window (the reset makes it moot).
    s.in.clear();
    c.wake_driver();
  }
}

// The response body: the stream's queue, read under the lock; the stream window is given back
// as each chunk is taken.
class ResponseBody final : public BodyStream {
 public:
  ResponseBody(std::shared_ptr<ClientConnection> conn, ClientConnection::Impl& c,
               std::shared_ptr<Stream> s, const SendOptions& o)
      : conn_(std::move(conn)),
        c_(c),
        s_(std::move(s)),
        read_timeout_(o.read_timeout),
        deadline_(o.deadline) {}
  ResponseBody(const ResponseBody&) = delete;
  ResponseBody& operator=(const ResponseBody&) = delete;
  ~ResponseBody() override {
    if (!ended_) abandon(c_, *s_);
  }

  Poll<Result<io::BufferView>> poll_data(Context& cx) override {
    {
      std::lock_guard lock(c_.m);
      if (!current_.empty()) {
        if (!s_->closed && c_.session && !c_.dead) {
          nghttp2_session_consume_stream(c_.session, s_->id, current_.size());
          c_.wake_driver();
        }
        current_.clear();
      }
      if (!s_->in.empty()) {
        current_ = std::move(s_->in.front());
        s_->in.pop_front();
        wait_.reset();
        return io::BufferView(std::string_view(current_));
      }
      if (s_->error) {
        ended_ = true;
        return std::unexpected(*s_->error);
      }
      if (s_->eof) {
        ended_ = true;
        trailers_ = std::move(s_->trailers);
        return Result<io::BufferView>{};
      }
      if (s_->closed) {
        ended_ = true;
        return fail(Errc::closed, "http2 response body: stream closed early");
      }
      s_->waiter = cx.waker();
    }
    if (!wait_) {  // this read's deadline: the earlier of the step limit and the request's
      Instant d = deadline_.value_or(Instant::max());
      if (read_timeout_ > Duration::zero()) d = std::min(d, Clock::now() + read_timeout_);
      if (d == Instant::max()) return pending;
      wait_.emplace(d);
    }
    if (wait_->poll(cx).is_pending()) return pending;
    return fail(Errc::timed_out, "http2 response body read");
  }

  const Headers* trailers() const override {
    return ended_ && !trailers_.empty() ? &trailers_ : nullptr;
  }

 private:
  std::shared_ptr<ClientConnection> conn_;  // keeps the connection (and its driver) going
  ClientConnection::Impl& c_;
  std::shared_ptr<Stream> s_;
  std::string current_;  // the chunk lent to the caller
  Headers trailers_;
  bool ended_ = false;
  Duration read_timeout_;
  std::optional<Instant> deadline_;
  std::optional<Sleep> wait_;
};

// Leaves the stream when send() ends without handing it to a response body.
struct SendGuard {
  ClientConnection::Impl& c;
  std::shared_ptr<Stream> s;
  bool handed = false;
  ~SendGuard() {
    if (!handed) {
      abandon(c, *s);
    } else {
      std::lock_guard lock(c.m);
      s->body = nullptr;
    }
  }
};

}  // namespace

Task<Result<std::shared_ptr<ClientConnection>>> ClientConnection::start(
    std::unique_ptr<Transport> t, IoRef io, ClientSettings s) {
  auto impl = std::make_shared<Impl>(std::move(t), io, s);
  if (!impl->start())
    co_return fail(Error(make_error_code(ErrorCode::internal_error), "http2 session"));
  std::shared_ptr<ClientConnection> conn(new ClientConnection(impl));
  (void)spawn(Driver{impl});  // detached: it ends with the connection
  if (s.handshake_timeout > Duration::zero()) {
    Result<void> t2 = co_await timeout(s.handshake_timeout, SettingsWait{*impl});
    if (!t2) co_return fail(Errc::timed_out, "http2 handshake: no SETTINGS from the server");
  } else {
    co_await SettingsWait{*impl};
  }
  std::lock_guard lock(impl->m);
  if (!impl->settings_received) {
    co_return std::unexpected(impl->conn_error
                                  ? *impl->conn_error
                                  : Error(Errc::closed, "http2 handshake: connection closed"));
  }
  co_return conn;
}

ClientConnection::~ClientConnection() {
  std::lock_guard lock(impl_->m);
  impl_->closing = true;
  impl_->wake_driver();
}

bool ClientConnection::is_usable() const {
  std::lock_guard lock(impl_->m);
  return impl_->usable();
}

std::size_t ClientConnection::active_streams() const {
  std::lock_guard lock(impl_->m);
  return impl_->queued;
}

std::uint64_t ClientConnection::keepalive_acks() const {
  std::lock_guard lock(impl_->m);
  return impl_->ping_acks;
}

Task<Result<Response>> ClientConnection::send(Request& req, SendOptions o) {
  std::shared_ptr<ClientConnection> self = shared_from_this();
  Impl& c = *impl_;
  auto st = std::make_shared<Stream>();
  st->max_body = o.max_body_bytes;
  {
    std::lock_guard lock(c.m);
    if (!c.usable()) {
      if (c.conn_error && c.dead) co_return std::unexpected(*c.conn_error);
      co_return fail(Error(make_error_code(ErrorCode::refused_stream),
                           "http2: connection no longer takes requests"));
    }
    // The header list: pseudo-fields, then the fields in lower case (RFC 9113 §8.2.1) minus the
    // connection-specific ones; names are lowered into one buffer first so views stay valid.
    std::string_view authority = o.authority;
    if (authority.empty()) authority = req.headers.get(header::host).value_or("");
    std::string_view path = o.path.empty() ? req.target() : o.path;
    std::string lowered;
    std::size_t total = 0;
    for (const HeaderField& f : req.headers) total += f.name.size();
    lowered.reserve(total);
    std::vector<nghttp2_nv> nva;
    nva.reserve(req.headers.size() + 5);
    nva.push_back(make_nv(":method", req.method.as_str()));
    nva.push_back(make_nv(":scheme", o.scheme));
    nva.push_back(make_nv(":authority", authority));
    nva.push_back(make_nv(":path", path));
    bool has_length = false, has_expect = false;
    for (const HeaderField& f : req.headers) {
      const std::size_t at = lowered.size();
      for (char ch : f.name)
        lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string_view name(lowered.data() + at, f.name.size());
      if (is_hop_by_hop(name) || (name == "te" && f.value != "trailers")) continue;
      has_length |= name == "content-length";
      has_expect |= name == "expect";
      nva.push_back(make_nv(name, f.value));
    }
    const bool has_body = !req.body.is_empty();
    st->holding = has_body && o.expect_continue.has_value();
    if (st->holding && !has_expect) nva.push_back(make_nv("expect", "100-continue"));
    char length[24];
    if (!has_length && has_body) {
      if (std::optional<std::uint64_t> n = req.body.size_hint()) {
        const auto r = std::to_chars(length, length + sizeof length, *n);
        nva.push_back(make_nv("content-length",
                              std::string_view(length, static_cast<std::size_t>(r.ptr - length))));
      }
    }
    nghttp2_data_provider prd{};
    if (has_body) {
      st->body = &req.body;
      st->use_bytes = req.body.kind() == Body::Kind::bytes;
      st->bytes = req.body.bytes();
      prd.source.ptr = st.get();
      prd.read_callback = read_request_body;
    } else {
      st->upload_done = true;
    }
    const std::int32_t id = nghttp2_submit_request(c.session, nullptr, nva.data(), nva.size(),
                                                   has_body ? &prd : nullptr, st.get());
    if (id < 0) {
      if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) c.ids_exhausted = true;
      co_return fail(Error(make_error_code(ErrorCode::refused_stream), "http2: stream not opened"));
    }
    st->id = id;
    c.streams.emplace(id, st);
    ++c.queued;
    c.wake_driver();
  }
  SendGuard guard{c, st};

  Instant d = o.deadline.value_or(Instant::max());
  if (o.read_timeout > Duration::zero()) d = std::min(d, Clock::now() + o.read_timeout);
  if (o.expect_continue) {
    // A 100, a final head, or the end of the wait (then the body goes anyway).
    Instant until = d;
    if (*o.expect_continue > Duration::zero())
      until = std::min(until, Clock::now() + *o.expect_continue);
    if (until == Instant::max()) {
      co_await StreamWait{c, *st, continue_answered};
    } else {
      (void)co_await timeout_at(until, StreamWait{c, *st, continue_answered});
    }
    std::lock_guard lock(c.m);
    if (st->holding) {
      st->holding = false;
      st->deferred = true;
      c.wake_driver();
    }
  }
  if (d != Instant::max()) {
    Result<void> w = co_await timeout_at(d, StreamWait{c, *st, head_ready});
    if (!w) co_return fail(Errc::timed_out, "http2 response head");
  } else {
    co_await StreamWait{c, *st, head_ready};
  }

  Response resp;
  bool body_follows = false;
  {
    std::lock_guard lock(c.m);
    if (!st->head_done) {
      if (st->error) co_return std::unexpected(*st->error);
      co_return fail(Errc::closed, "http2 stream closed before the response head");
    }
    resp.status = StatusCode(st->status);
    resp.version = Version::http_2;
    resp.headers = std::move(st->headers);
    if (st->skip_body) st->body = nullptr;  // answered before the body: never sent
    body_follows = !(st->eof && st->in.empty() && st->trailers.empty() && !st->error);
    // The response ended before the upload: stop sending (RFC 9113 §8.1).
    if (st->eof && !st->upload_done && !st->closed) {
      st->body = nullptr;
      nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
      c.wake_driver();
    }
  }
  guard.handed = true;
  if (body_follows)
    resp.body = Body::from_stream(std::make_unique<ResponseBody>(std::move(self), c, st, o));
  co_return resp;
}

}  // namespace strata::http::h2
