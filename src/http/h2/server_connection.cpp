#include "strata/http/h2/server_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "../received_body.hpp"
#include "../stream_handler.hpp"
#include "strata/http/date.hpp"

namespace strata::http::h2 {

namespace {

// Input is read here and handed to nghttp2 at once (it keeps partial frames itself).
thread_local std::array<std::uint8_t, 16 * 1024> t_input;

// Follows frame boundaries over the input, in step with nghttp2, for the rules it skips: with
// RFC 7540 priorities off it ignores PRIORITY payloads, but a stream depending on itself is
// still an error (RFC 9113 §5.3.1); and it ignores DATA on streams it has forgotten, where DATA
// on a stream the client closed is STREAM_CLOSED (§6.1). The input is handed to nghttp2 up to
// each DATA frame header, so the check sees every frame before it (a RST_STREAM in the same
// read). A few compares per frame.
struct FrameScan {
  std::size_t skip = client_preface.size();  // bytes until the next frame header
  std::uint8_t head[9] = {};
  std::uint8_t head_len = 0;
  std::uint8_t dep[4] = {};
  std::uint8_t dep_len = 0;
  bool in_priority = false;
  std::uint32_t stream = 0;  // of the last frame header

  struct Step {
    std::size_t used = 0;     // bytes scanned
    bool data = false;        // the scan stopped after a DATA frame header (on `stream`)
    std::uint32_t error = 0;  // a self-dependent PRIORITY: PROTOCOL_ERROR
  };

  // Scans up to the end of the next DATA frame header, or all of the input.
  Step scan(const std::uint8_t* p, std::size_t n) {
    Step step;
    while (step.used < n) {
      if (skip > 0) {
        const std::size_t k = std::min(skip, n - step.used);
        for (std::size_t i = 0; in_priority && i < k && dep_len < 4; ++i) {
          dep[dep_len++] = p[step.used + i];
        }
        if (in_priority && dep_len == 4) {
          in_priority = false;
          const std::uint32_t d = (std::uint32_t(dep[0] & 0x7f) << 24) |
                                  (std::uint32_t(dep[1]) << 16) | (std::uint32_t(dep[2]) << 8) |
                                  dep[3];
          if (d == stream && stream != 0) {
            step.error = NGHTTP2_PROTOCOL_ERROR;
            return step;
          }
        }
        skip -= k;
        step.used += k;
        continue;
      }
      head[head_len++] = p[step.used++];
      if (head_len < 9) continue;
      head_len = 0;
      skip = (std::size_t(head[0]) << 16) | (std::size_t(head[1]) << 8) | head[2];
      stream = (std::uint32_t(head[5] & 0x7f) << 24) | (std::uint32_t(head[6]) << 16) |
               (std::uint32_t(head[7]) << 8) | head[8];
      in_priority = head[3] == NGHTTP2_PRIORITY && skip == 5;
      dep_len = 0;
      if (head[3] == NGHTTP2_DATA) {
        step.data = true;
        return step;
      }
    }
    return step;
  }
};

// The opaque data of the PING that follows the shutdown notice: its ACK means the client has
// seen the notice, and the final GOAWAY can name the last stream (nghttp2's advice).
constexpr std::uint8_t drain_ping[8] = {'s', 't', 'r', 'a', 't', 'a', 'g', 'o'};

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

  // The request body as it arrives; its window is given back as the handler reads.
  detail::ReceivedBody in;

  std::optional<Task<Response>> handler;
  Response resp;
  bool deferred = false;
  bool sending = false;     // a response body is submitted and not all given to nghttp2
  bool reset_sent = false;  // we sent RST_STREAM: frames the client still sends are ignored
  io::BufferView chunk;     // the part of the response body not yet given to nghttp2
  std::size_t chunk_off = 0;
  bool body_done = false;
  // The response ended the exchange before the request body did: the rest of the upload is
  // read and dropped (its window given back at once), as nginx does, so that clients that
  // treat an early RST_STREAM as an error (curl 7.88) still get their response. Past
  // kDiscardLimit bytes, RST_STREAM(NO_ERROR) stops it, never before the response's END_STREAM
  // is out (RFC 9113 §8.1).
  static constexpr std::size_t kDiscardLimit = 1 << 20;
  bool discarding = false;
  std::size_t discarded = 0;
  bool response_sent = false;
  bool reset_after_response = false;
  // `expect: 100-continue` on a request with a body: 100 goes out when the handler first
  // reads the body (RFC 9110 §10.1.1, as over HTTP/1.1); a handler that answers without
  // reading never asks for the body.
  bool continue_pending = false;

  Poll<Result<io::BufferView>> poll_data(Context& cx) override;
  std::optional<std::uint64_t> size_hint() const override { return in.size_hint(); }
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
  bool flooded = false;  // nghttp2's output is dropped; only `out` is still written
  bool notice_sent = false;
  bool drain_acked = false;           // the PING after the shutdown notice came back
  std::unique_ptr<Upgrade> upgraded;  // from HTTP/1.1, until start() takes it
  // One deadline: `idle` while no stream is open and nothing waits to be written (re-armed by
  // input); `stall` while output waits for a peer that neither reads (TCP) nor opens its window
  // (flow control), re-armed on each write or WINDOW_UPDATE.
  enum class Timer : std::uint8_t { none, idle, stall, linger };
  Timer timer_kind = Timer::none;
  bool progressed = false;  // bytes written or a window opened since the last check
  bool input_seen = false;  // bytes read since the last check (re-arms the idle deadline)
  Sleep timer;
  // Rapid reset: a token bucket of stream resets.
  double reset_tokens = 0;
  Instant reset_refill{};
  // Flood budgets (see Settings): CONTINUATIONs of the current header block, consecutive
  // frames without payload, WINDOW_UPDATE and PRIORITY frames against the work they can ask for.
  std::uint32_t continuations = 0;
  std::uint32_t empty_frames = 0;
  std::uint64_t window_updates = 0, priorities = 0, streams_opened = 0, data_frames_sent = 0;
  // Stream state rules nghttp2 leaves to us once it has forgotten a stream (RFC 9113 §5.1):
  // the highest stream the client opened, and the last streams closed (the top bit: we reset
  // it, so that frames still in flight must be ignored, not answered with STREAM_CLOSED).
  std::int32_t max_client_stream = 0;
  std::array<std::uint32_t, 32> recently_closed{};
  std::uint8_t closed_next = 0;
  static constexpr std::uint32_t reset_by_us = 0x80000000u;
  // 0: unknown (open, idle or long closed); 1: closed; 2: closed by our RST_STREAM.
  int closed_state(std::int32_t id) const {
    for (std::uint32_t e : recently_closed) {
      if ((e & ~reset_by_us) == static_cast<std::uint32_t>(id) && id != 0) {
        return e & reset_by_us ? 2 : 1;
      }
    }
    return 0;
  }
  // The GOAWAY code of a defence that ended input (a callback returned CALLBACK_FAILURE).
  std::uint32_t fatal_code = NGHTTP2_INTERNAL_ERROR;
  FrameScan frame_scan;

  // Hands input to nghttp2, checked by FrameScan on the way; a violation or a fatal nghttp2
  // error ends the session with its GOAWAY. (A self-dependent PRIORITY ends the connection
  // rather than its stream, which may be idle: §5.4.2 allows it.)
  void receive(const std::uint8_t* p, std::size_t n) {
    while (n > 0 && !closed) {
      const FrameScan::Step step = frame_scan.scan(p, n);
      std::uint32_t code = step.error;
      if (code == 0 && step.used > 0) {
        const ssize_t rv = nghttp2_session_mem_recv(session, p, step.used);
        if (rv < 0) {
          fatal(static_cast<int>(rv));
          return;
        }
        p += step.used;
        n -= step.used;
        if (step.data) code = check_data(static_cast<std::int32_t>(frame_scan.stream));
      }
      if (code != 0) {
        count(ctx.bad_requests);
        nghttp2_session_terminate_session(session, code);
        closed = true;
      }
    }
  }
  // DATA on a client stream nghttp2 no longer tracks: STREAM_CLOSED if the client closed it.
  std::uint32_t check_data(std::int32_t sid) {
    if (!(sid & 1) || sid > max_client_stream || find(sid)) return 0;
    return closed_state(sid) == 1 ? NGHTTP2_STREAM_CLOSED : 0;
  }

  // Ends the session from inside a callback: GOAWAY(code), no more input processed.
  int fail(std::uint32_t code) {
    fatal_code = code;
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  bool flow_blocked() const;

  Impl(const h1::ConnectionContext& c, const Settings& s, const net::SocketAddr& p,
       const tls::Session* t)
      : ctx(c), settings(s), peer(p), tls(t), timer(Instant::max()) {
    reset_tokens = settings.reset_burst;
    reset_refill = Clock::now();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (session) nghttp2_session_del(session);
  }

  bool start();
  Poll<void> poll_deadline(const IoRef& io);  // during poll_serve (cx set)
  Poll<void> poll_linger(const IoRef& io);
  bool start_upgraded();
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
  // A fatal error from nghttp2_session_mem_recv: queue the GOAWAY that names it, stop reading.
  void fatal(int rv) {
    std::uint32_t code = NGHTTP2_INTERNAL_ERROR;
    if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
      code = NGHTTP2_PROTOCOL_ERROR;
    } else if (rv == NGHTTP2_ERR_FLOODED || rv == -905 /* TOO_MANY_CONTINUATIONS, >= 1.61 */) {
      code = NGHTTP2_ENHANCE_YOUR_CALM;
    } else if (rv == NGHTTP2_ERR_CALLBACK_FAILURE) {
      code = fatal_code;
    }
    count(ctx.bad_requests);
    closed = true;
    if (rv != NGHTTP2_ERR_FLOODED) {
      nghttp2_session_terminate_session(session, code);
      return;
    }
    // Flooded: nghttp2 holds max_outbound_acks frames for a peer that does not read them and
    // would send nothing after them. Drop them: our own GOAWAY follows what is already in
    // `out` (whole frames), and nghttp2 writes nothing more.
    flooded = true;
    const std::uint32_t last =
        static_cast<std::uint32_t>(nghttp2_session_get_last_proc_stream_id(session));
    const std::uint8_t goaway[17] = {0,
                                     0,
                                     8,
                                     NGHTTP2_GOAWAY,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     std::uint8_t(last >> 24),
                                     std::uint8_t(last >> 16),
                                     std::uint8_t(last >> 8),
                                     std::uint8_t(last),
                                     0,
                                     0,
                                     0,
                                     std::uint8_t(code)};
    out.append(reinterpret_cast<const char*>(goaway), sizeof goaway);
  }
};

// ---- request body (the handler's reads) ----

Poll<Result<io::BufferView>> Stream::poll_data(Context& cx) {
  if (continue_pending) {
    continue_pending = false;
    if (!in.finished() && conn->session) {
      static constexpr std::string_view status = ":status", code = "100";
      nghttp2_nv nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(status.data())),
                    reinterpret_cast<std::uint8_t*>(const_cast<char*>(code.data())), status.size(),
                    code.size(), NGHTTP2_NV_FLAG_NONE};
      nghttp2_submit_headers(conn->session, NGHTTP2_FLAG_NONE, id, nullptr, &nv, 1, nullptr);
    }
  }
  // The handler is done with what it was lent: give the window back.
  return in.poll(cx, [this](std::size_t n) {
    if (conn->session) nghttp2_session_consume(conn->session, id, n);
  });
}

// ---- nghttp2 callbacks ----

namespace {

ServerConnection::Impl& impl_of(void* user) {
  return *static_cast<ServerConnection::Impl*>(user);
}

int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto& c = impl_of(user);
  ++c.streams_opened;
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
  if (n == "expect" && v.size() == 12 &&
      std::equal(v.begin(), v.end(), "100-continue",
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
    s->continue_pending = true;
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
  if (s->discarding) {
    nghttp2_session_consume(c.session, stream_id, len);
    s->discarded += len;
    if (s->discarded > Stream::kDiscardLimit) {
      if (s->response_sent)
        nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
      else
        s->reset_after_response = true;
      s->discarding = false;  // once
    }
    return 0;
  }
  s->in.append(reinterpret_cast<const char*>(data), len);
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
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->in.finish();
        c.start_handler(*s);
      } else if (s->headers_done && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        s->in.finish();  // trailers end the body
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      // Empty DATA without END_STREAM does nothing but cost a frame (padding only counts as
      // empty): a run of them is a flood (CVE-2019-9518).
      const bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
      if (!end && frame->hd.length <= frame->data.padlen) {
        if (++c.empty_frames > c.settings.max_empty_frames)
          return c.fail(NGHTTP2_ENHANCE_YOUR_CALM);
      } else {
        c.empty_frames = 0;
      }
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (Stream* s = c.find(frame->hd.stream_id)) {
          s->in.finish();
        }
      }
      return 0;
    }
    case NGHTTP2_RST_STREAM:
      if (c.rapid_reset_exceeded()) return c.fail(NGHTTP2_ENHANCE_YOUR_CALM);
      return 0;
    case NGHTTP2_WINDOW_UPDATE:
      // A window update is owed at most for what we sent: a few per stream and per DATA frame
      // (Envoy's budget). More is a flood (CVE-2019-9517 class).
      if (++c.window_updates >
          c.settings.window_update_budget + 2 * c.streams_opened + 10 * c.data_frames_sent) {
        return c.fail(NGHTTP2_ENHANCE_YOUR_CALM);
      }
      c.progressed = true;
      return 0;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) &&
          std::memcmp(frame->ping.opaque_data, drain_ping, 8) == 0) {
        c.drain_acked = true;
      }
      return 0;
    default:
      return 0;
  }
}

// Counts CONTINUATION frames per header block (CVE-2024-27316 class: nghttp2 before 1.61 has no
// bound of its own) and frames without payload.
int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
  auto& c = impl_of(user);
  // Stream rules for streams nghttp2 no longer tracks (it keeps no closed streams without the
  // RFC 7540 priority tree): HEADERS below the highest client stream on a stream that is not
  // open is a decreasing stream id (PROTOCOL_ERROR, §5.1.1) or a closed stream (STREAM_CLOSED,
  // §5.1). Frames on streams we reset are left to nghttp2, which ignores them (§5.1: they may
  // have been in flight). DATA is checked by FrameScan (nghttp2 skips it before this callback).
  if (hd->type == NGHTTP2_HEADERS && (hd->stream_id & 1) && hd->stream_id <= c.max_client_stream &&
      c.find(hd->stream_id) == nullptr) {
    const int closed = c.closed_state(hd->stream_id);
    if (closed == 1) return c.fail(NGHTTP2_STREAM_CLOSED);
    if (closed == 0) return c.fail(NGHTTP2_PROTOCOL_ERROR);
  }
  if (hd->type == NGHTTP2_HEADERS && (hd->stream_id & 1)) {
    c.max_client_stream = std::max(c.max_client_stream, hd->stream_id);
  }
  // PRIORITY on stream 0 (§6.3): nghttp2 ignores PRIORITY frames once RFC 7540 priorities are
  // off, but the frame's rules still hold.
  if (hd->type == NGHTTP2_PRIORITY) {
    if (hd->stream_id == 0) return c.fail(NGHTTP2_PROTOCOL_ERROR);
    if (++c.priorities > c.settings.max_priority_frames_per_stream * (1 + c.streams_opened)) {
      return c.fail(NGHTTP2_ENHANCE_YOUR_CALM);  // CVE-2019-9513 class
    }
  }
  if (hd->type == NGHTTP2_HEADERS) {
    c.continuations = 0;
  } else if (hd->type == NGHTTP2_CONTINUATION) {
    if (++c.continuations > c.settings.max_continuations) return c.fail(NGHTTP2_ENHANCE_YOUR_CALM);
  }
  if ((hd->type == NGHTTP2_HEADERS || hd->type == NGHTTP2_CONTINUATION) &&
      !(hd->flags & NGHTTP2_FLAG_END_STREAM)) {
    if (hd->length == 0) {
      if (++c.empty_frames > c.settings.max_empty_frames) return c.fail(NGHTTP2_ENHANCE_YOUR_CALM);
    } else {
      c.empty_frames = 0;
    }
  }
  return 0;
}

int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto& c = impl_of(user);
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    if (Stream* s = c.find(frame->hd.stream_id)) {
      s->response_sent = true;
      if (s->reset_after_response && !s->in.finished()) {  // a dropped upload past its limit
        s->reset_after_response = false;
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
      }
    }
  }
  if (frame->hd.type == NGHTTP2_DATA) {
    ++c.data_frames_sent;
  } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
    if (Stream* s = c.find(frame->hd.stream_id)) {
      s->reset_sent = true;
    } else {  // a stream nghttp2 refused: never ours, but the client may still send on it
      c.recently_closed[c.closed_next] =
          static_cast<std::uint32_t>(frame->hd.stream_id) | c.reset_by_us;
      c.closed_next = static_cast<std::uint8_t>((c.closed_next + 1) % c.recently_closed.size());
    }
  }
  return 0;
}

int on_stream_close(nghttp2_session* session, std::int32_t stream_id, std::uint32_t, void* user) {
  auto& c = impl_of(user);
  Stream* s = c.find(stream_id);
  if (!s) return 0;
  // Unread request bytes still count against the connection window: give them back.
  const std::size_t unread = s->in.unread();
  if (unread) nghttp2_session_consume_connection(session, unread);
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  c.recently_closed[c.closed_next] =
      static_cast<std::uint32_t>(stream_id) | (s->reset_sent ? c.reset_by_us : 0);
  c.closed_next = static_cast<std::uint8_t>((c.closed_next + 1) % c.recently_closed.size());
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
    s->sending = false;
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
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, on_begin_frame);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
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
  if (upgraded) return start_upgraded();
  return true;
}

bool ServerConnection::Impl::start_upgraded() {
  std::unique_ptr<Upgrade> up = std::move(upgraded);
  const bool head = up->request.method == Method::head;
  if (nghttp2_session_upgrade2(session, reinterpret_cast<const std::uint8_t*>(up->settings.data()),
                               up->settings.size(), head, nullptr) != 0) {
    return false;  // the HTTP/1.1 side checked the settings: only allocation can fail here
  }
  auto s = std::make_unique<Stream>();
  s->conn = this;
  s->id = 1;
  s->req = std::move(up->request);
  s->req.tls = tls;
  if (!up->body.empty()) s->req.body = Body::from(std::move(up->body));
  s->headers_done = true;
  s->in.finish();
  nghttp2_session_set_stream_user_data(session, 1, s.get());
  streams.push_back(std::move(s));
  start_handler(*streams.back());
  const auto* rest = reinterpret_cast<const std::uint8_t*>(up->rest.data());
  receive(rest, up->rest.size());
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
  if (!s.in.finished()) s.req.body = Body::borrow_stream(s);
  s.continue_pending = s.continue_pending && !s.in.finished();
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
  if (!ctx.config->alt_svc.empty() && !r.headers.contains("alt-svc")) {
    nv("alt-svc", ctx.config->alt_svc);
  }
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
  s.sending = true;
  nghttp2_submit_response(session, s.id, nva.data(), nva.size(), &prd);
}

bool ServerConnection::Impl::flow_blocked() const {
  const bool conn_blocked = nghttp2_session_get_remote_window_size(session) <= 0;
  for (const std::unique_ptr<Stream>& s : streams) {
    if (!s->sending || s->deferred) continue;  // a body the handler has not produced: its wait
    if (conn_blocked || nghttp2_session_get_stream_remote_window_size(session, s->id) <= 0) {
      return true;
    }
  }
  return false;
}

// Polls every running handler once; true if any finished.
bool ServerConnection::Impl::poll_handlers() {
  bool progress = false;
  // Index loop: a finishing stream never removes itself here (closing happens in nghttp2).
  for (std::size_t i = 0; i < streams.size(); ++i) {
    Stream& s = *streams[i];
    if (!s.handler) continue;
    std::optional<Response> done = detail::poll_stream_handler(s.handler, *cx);
    if (!done) continue;
    count(ctx.requests);
    progress = true;
    s.resp = std::move(*done);
    submit_response(s);
    // A response that ends the exchange before the request body: drop the rest of the upload.
    if (!s.in.finished()) {
      // Includes what the handler was lent and what arrived meanwhile.
      const std::size_t unread = s.in.drop();
      if (unread) nghttp2_session_consume(session, s.id, unread);
      s.discarding = true;
      s.discarded = unread;
    }
  }
  return progress;
}

// The idle and stall deadlines, polled when the connection waits. Expired: GOAWAY (NO_ERROR
// when idle, ENHANCE_YOUR_CALM for a peer that stopped taking our output), written if the
// transport takes it at once, and the connection ends.
Poll<void> ServerConnection::Impl::poll_deadline(const IoRef& io) {
  const bool out_waiting = out_begin < out.size();
  const Timer want = out_waiting || flow_blocked() ? Timer::stall
                     : streams.empty()             ? Timer::idle
                                                   : Timer::none;
  const h1::ConnectionConfig& cfg = *ctx.config;
  if (want != timer_kind || (want == Timer::stall && progressed) ||
      (want == Timer::idle && input_seen)) {
    timer_kind = want;
    timer.reset(want == Timer::none   ? Instant::max()
                : want == Timer::idle ? Clock::now() + cfg.idle_timeout
                                      : Clock::now() + cfg.write_timeout);
  }
  progressed = input_seen = false;
  if (want == Timer::none || timer.poll(*cx).is_pending()) return pending;
  count(ctx.timeouts);
  if (out_waiting) return ready;  // the peer does not read: nothing more can reach it
  if (want == Timer::idle) {
    nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session), NGHTTP2_NO_ERROR,
                          nullptr, 0);
  } else {
    nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
  }
  const std::uint8_t* data = nullptr;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(session, &data)) > 0 && out.size() < 64 * 1024) {
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  while (out_begin < out.size()) {  // best effort, without waiting
    Poll<Result<std::size_t>> w =
        io.write(io.io, *cx, io::as_bytes(std::string_view(out).substr(out_begin)));
    if (w.is_pending() || !w.value() || *w.value() == 0) break;
    out_begin += *w.value();
  }
  (void)io.flush(io.io, *cx);
  return ready;
}

// The end: everything is written. Ends our write side, then reads and discards what the client
// still sends until it closes or linger_timeout passes: closing with unread input would reset
// the connection and could destroy the GOAWAY before the client reads it (as for HTTP/1.1).
Poll<void> ServerConnection::Impl::poll_linger(const IoRef& io) {
  if (timer_kind != Timer::linger) {
    Poll<Result<void>> sh = io.shutdown(io.io, *cx);
    if (sh.is_pending()) return pending;
    if (!sh.value()) return ready;
    timer_kind = Timer::linger;
    timer.reset(Clock::now() + ctx.config->linger_timeout);
  }
  for (int i = 0; i < 64; ++i) {
    Poll<Result<std::size_t>> r =
        io.read(io.io, *cx,
                io::MutableBuffer(reinterpret_cast<std::byte*>(t_input.data()), t_input.size()));
    if (r.is_pending()) return timer.poll(*cx).is_ready() ? Poll<void>(ready) : Poll<void>(pending);
    if (!r.value() || *r.value() == 0) return ready;
  }
  cx->waker().wake_by_ref();  // a peer that keeps sending: let the worker run others first
  return timer.poll(*cx).is_ready() ? Poll<void>(ready) : Poll<void>(pending);
}

ServerConnection::ServerConnection(const h1::ConnectionContext& ctx, const Settings& settings,
                                   const net::SocketAddr& peer, const tls::Session* tls)
    : impl_(std::make_unique<Impl>(ctx, settings, peer, tls)) {}
ServerConnection::ServerConnection(ServerConnection&&) noexcept = default;
void ServerConnection::upgrade(Upgrade up) {
  impl_->upgraded = std::make_unique<Upgrade>(std::move(up));
}
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

    // Drain (RFC 9113 §6.8): a shutdown notice (GOAWAY with 2^31-1) and a PING; once the PING
    // comes back (the client has seen the notice) or no stream is open, the final GOAWAY with
    // the last stream processed. Streams up to it finish; newer ones are ignored by nghttp2
    // (the client knows from the GOAWAY that they were not processed). Then the session ends.
    if (!c.closed && c.ctx.draining->load(std::memory_order_acquire)) {
      if (!c.notice_sent) {
        nghttp2_submit_shutdown_notice(c.session);
        nghttp2_submit_ping(c.session, NGHTTP2_FLAG_NONE, drain_ping);
        c.notice_sent = true;
      }
      if (!c.goaway_sent && (c.drain_acked || c.streams.empty())) {
        nghttp2_submit_goaway(c.session, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(c.session), NGHTTP2_NO_ERROR,
                              nullptr, 0);
        c.goaway_sent = true;
      }
      if (c.goaway_sent && c.streams.empty()) c.closed = true;
    }

    // 1. Input.
    if (!c.closed && nghttp2_session_want_read(c.session)) {
      Poll<Result<std::size_t>> r =
          io.read(io.io, cx,
                  io::MutableBuffer(reinterpret_cast<std::byte*>(t_input.data()), t_input.size()));
      if (r.is_ready()) {
        if (!r.value() || *r.value() == 0) return ready;  // the peer is gone: nothing to answer
        progress = true;
        c.input_seen = true;
        c.receive(t_input.data(), *r.value());
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
    if (c.out_begin == c.out.size() && !c.flooded) {
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
      c.progressed = true;
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
    if (idle_output && (c.flooded || ((c.closed || !nghttp2_session_want_read(c.session)) &&
                                      !nghttp2_session_want_write(c.session)))) {
      return c.poll_linger(io);
    }
    if (!progress) break;
    if (round == 63) {  // busy: let the worker run other tasks, then come back
      cx.waker().wake_by_ref();
      return pending;
    }
  }

  return c.poll_deadline(io);
}

}  // namespace strata::http::h2
