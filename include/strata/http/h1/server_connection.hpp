// h1::ServerConnection: serves HTTP/1.1 on one connection, over any AsyncRead + AsyncWrite
// stream (TCP now, TLS later: the code does not change).
//
//   auto pair = net::UnixStream::pair();          // any AsyncRead + AsyncWrite stream
//   if (!pair) co_return;
//   auto& [stream, client] = *pair;
//   h1::ConnectionConfig config;                   // deadlines, limits, Server header
//   auto service = http::service_fn(show_user);
//   sync::Notify drain;                            // notified when the owner starts draining
//   std::atomic<bool> draining{false};
//   h1::ConnectionContext ctx;                     // counters may stay null
//   ctx.config = &config;
//   ctx.service = service.get();
//   ctx.shutdown = &drain;
//   ctx.draining = &draining;
//   h1::ServerConnection<net::UnixStream> conn(stream, ctx, net::SocketAddr());
//   co_await conn.run();                           // until close, error or shutdown
//
// http::Server serves every accepted socket with one (through poll_serve(), below); use one
// directly to serve a stream you obtained some other way (a Unix socket, an upgraded tunnel, a
// test duplex).
//
// Memory: between requests the connection holds no buffer and no per-request state: 168 bytes
// with a TcpStream, most of them the peer address and the idle deadline (a Sleep). http::Server
// polls it from its task's own future, so an idle connection has no coroutine frame at all
// (docs/http.md, "How a connection is served"). When bytes arrive it borrows a read buffer
// (io::BufferPool) and a Scratch (head, Request, Response and the output batch) from the
// thread's pools, and returns both once it has answered every request it read. Zero-copy: the
// Request's target and fields are views into the read buffer, which stays alive (reference
// counted) until the response is written, even if the body reader moves on to another buffer.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "strata/http/access_log.hpp"
#include "strata/http/body.hpp"
#include "strata/http/h1/body_decoder.hpp"
#include "strata/http/h1/body_writer.hpp"
#include "strata/http/h1/connection_config.hpp"
#include "strata/http/h1/detail/server_parts.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/http/h1/serializer.hpp"
#include "strata/http/h2/preface.hpp"
#include "strata/http/h2/upgrade.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/service.hpp"
#include "strata/http/upgrade.hpp"
#include "strata/http/uri.hpp"
#include "strata/io/async_io.hpp"
#include "strata/io/buffer.hpp"
#include "strata/io/ext.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/select.hpp"
#include "strata/rt/sync/notify.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h1 {

// What a connection shares with its server.
struct ConnectionContext {
  const ConnectionConfig* config = nullptr;
  Service* service = nullptr;
  sync::Notify* shutdown = nullptr;  // notified when the server starts draining
  const std::atomic<bool>* draining = nullptr;
  std::atomic<std::uint64_t>* requests = nullptr;  // counters (may be null)
  std::atomic<std::uint64_t>* bad_requests = nullptr;
  std::atomic<std::uint64_t>* timeouts = nullptr;
  net::SocketAddr peer;
  // The owner serves HTTP/2 after HTTP/1.1: poll_serve() stops before the first request when
  // the client opens with the HTTP/2 preface (h2_preface() then says so, and the bytes are still
  // unread), and, on a plaintext stream, after answering 101 to a request that asked for
  // `Upgrade: h2c` (take_h2_upgrade() then holds the request; RFC 7540 §3.2, h2/upgrade.hpp).
  bool detect_h2_preface = false;
};

template <class S>
requires io::AsyncRead<S> && io::AsyncWrite<S>
class ServerConnection {
 public:
  ServerConnection(S& io, const ConnectionContext& ctx, const net::SocketAddr& peer)
      : io_(io), ctx_(ctx), peer_(peer) {}
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Serves requests until the peer closes, an error or deadline ends the connection, or the
  // server drains. Never throws: handler exceptions become 500 responses.
  Task<void> run() {
    if constexpr (io::AsyncReadReady<S>) {
      co_await Serving{*this, ctx_.shutdown->notified()};
    } else {
      const ConnectionConfig& cfg = *ctx_.config;
      bool first = true;
      for (;;) {
        const Duration wait = first ? cfg.header_timeout : cfg.idle_timeout;
        auto drained = ctx_.shutdown->notified();
        if (ctx_.draining->load(std::memory_order_acquire)) co_return;
        prepare_read();
        auto r = co_await select(timeout(wait, io::read(io_, rbuf_.spare())), std::move(drained));
        if (r.index() != 0) co_return;
        Result<std::size_t> n = detail::flatten(std::move(std::get<0>(r)));
        if (!n || *n == 0) co_return;
        rbuf_.commit(*n);
        first = false;
        bool keep = co_await serve_burst();
        if (!keep) co_return;
      }
    }
  }

  // True once poll_serve() has stopped because the client opened with the HTTP/2 preface
  // (ConnectionContext::detect_h2_preface).
  bool h2_preface() const noexcept { return h2_preface_; }

  // The request that switched the connection to HTTP/2 by `Upgrade: h2c` once poll_serve() has
  // written the 101 and stopped (null otherwise); HTTP/2 serves it as stream 1.
  std::unique_ptr<h2::Upgrade> take_h2_upgrade() noexcept { return std::move(h2_upgrade_); }

  // run() as a hand-polled future, for a task whose own future holds the stream and this
  // connection (http::Server's): an idle connection is then this object and nothing else, no
  // coroutine frame. It waits for readability (with the first-request or idle deadline), then
  // polls serve_burst(), whose frame (and the buffer and Scratch it borrows) exists only while
  // there is input to answer. Ready when the connection is done. Unlike run() it does not watch
  // ctx.shutdown: whoever sets *ctx.draining must wake the task that polls it (it then closes if
  // idle, or after the request in flight).
  Poll<void> poll_serve(Context& cx) requires io::AsyncReadReady<S> {
    for (;;) {
      if (burst_.valid()) {
        Poll<bool> p = burst_.poll(cx);
        if (p.is_pending()) return pending;
        burst_ = Task<bool>();
        if (!p.take()) return ready;
        first_ = false;
      }
      if (ctx_.draining->load(std::memory_order_acquire)) return ready;
      if (!waiting_) {
        const ConnectionConfig& cfg = *ctx_.config;
        idle_timer_.reset(Clock::now() + (first_ ? cfg.header_timeout : cfg.idle_timeout));
        waiting_ = true;
      }
      Poll<Result<void>> r = io_.poll_read_ready(cx);
      if (r.is_pending()) {
        if (idle_timer_.poll(cx).is_pending()) return pending;
        return ready;  // idle too long
      }
      if (!r.value()) return ready;
      waiting_ = false;
      if constexpr (requires(S & s, io::MutableBuffer b) { s.try_peek(b); }) {
        if (first_ && ctx_.detect_h2_preface) {
          char head[h2::client_preface.size()];
          Result<std::size_t> n = io_.try_peek(io::as_writable_bytes(std::span(head)));
          if (n && h2::looks_like_preface(std::string_view(head, *n))) {
            h2_preface_ = true;
            return ready;
          }
        }
      }
      idle_timer_.reset(Instant{});  // disarms it
      burst_ = serve_burst();
    }
  }

 private:
  // Answers requests while input is buffered or arriving (a head in progress), then writes the
  // batched responses and gives the buffer and the Scratch back. False: close the connection.
  Task<bool> serve_burst() {
    const ConnectionConfig& cfg = *ctx_.config;
    scratch_.acquire(cfg.limits);
    Scratch& sc = *scratch_.get();
    RequestBody body(*this);  // in this frame: an idle connection does not keep it
    body_ = &body;
    std::uint32_t served = 0;
    for (;;) {
      // 0. Cooperative budget: a client that keeps its pipeline full must not starve the other
      // connections of this worker (tokio's coop). Every requests_per_yield requests with more
      // input waiting, write what is batched and let the worker run other tasks.
      if (++served > requests_per_yield && buffered() > 0) {
        served = 1;
        bool flushed = co_await flush();  // (g++ 12: no co_await inside a condition)
        if (!flushed) co_return false;
        co_await yield_now();
      }
      // 1. Read until a head is complete (or there is nothing left to answer).
      std::optional<Instant> head_deadline;  // read lazily: most heads are already buffered
      ParseResult pr;
      for (;;) {
        if (buffered() > 0) {
          pr = sc.parser.parse(unread(), sc.head);
          if (!pr.is_incomplete()) break;
        }
        bool flushed = co_await flush();  // never sit on responses while waiting for input
        if (!flushed) co_return false;
        if (buffered() == 0 && rpos_ > 0) {  // everything read is answered: idle again
          go_idle();
          co_return true;
        }
        if (!head_deadline) head_deadline = Clock::now() + cfg.header_timeout;
        Result<std::size_t> n = co_await read_more(*head_deadline);
        if (!n) {
          if (n.error() == Errc::timed_out && buffered() > 0) {
            count(ctx_.timeouts);
            co_await write_error(408);
          }
          co_return false;
        }
        if (*n == 0) co_return false;  // peer closed (a partial head goes with the connection)
      }
      if (pr.is_error()) {
        count(ctx_.bad_requests);
        co_await write_error(status_for(pr.error));
        co_return false;
      }

      // 2. Build the request over the buffered bytes (views, no copies).
      const Instant started = cfg.access_log ? Clock::now() : Instant{};
      Request& req = sc.request;
      const RequestHead& head = sc.head;
      sc.head_bytes = rbuf_;
      rpos_ += pr.consumed;
      int refusal = fill_request(req, head);
      if (refusal != 0) {
        count(ctx_.bad_requests);
        end_request();
        co_await write_error(refusal);
        co_return false;
      }
      const bool head_request = req.method == Method::head;
      body.start(head, sc);
      if (std::optional<std::string> settings = h2c_settings(head)) {
        bool switched = co_await upgrade_to_h2c(req, body, std::move(*settings));
        if (!switched && body.error_status() != 0) co_await write_error(body.error_status());
        co_return false;
      }
      if (body.active()) req.body = Body::borrow_stream(body);

      // 3. Run the handler inline. Responses batched before it are written while it waits (a
      // pipelined client may wait for them before it sends the rest of this request's body).
      Response& resp = sc.response;
      bool handler_failed = false;
      try {
        Task<Response> handling = ctx_.service->handle(req);
        if (sc.out.empty()) {
          resp = co_await handling;
        } else {
          resp = co_await FlushingWhilePending{*this, handling};
        }
      } catch (...) {
        handler_failed = true;
      }
      if (handler_failed) resp = Response::error(StatusCode::internal_server_error);
      count(ctx_.requests);

      // A request body that broke (bad framing, over the limit, too slow) is answered by the
      // server whatever the handler made of the error: 400, 413 or 408, then close.
      if (int status = body.error_status(); status != 0) {
        count(status == 408 ? ctx_.timeouts : ctx_.bad_requests);
        end_request();
        co_await write_error(status);
        co_return false;
      }

      // 4. A protocol switch: write the 101, then hand the connection to the upgrade handler.
      if (resp.status == StatusCode::switching_protocols && !handler_failed) {
        if (!head.upgrade || !resp.on_upgrade) {
          count(ctx_.bad_requests);  // a 101 nobody asked for, or nobody to take it over
          end_request();
          co_await write_error(500);
          co_return false;
        }
        bool switched = co_await upgrade(resp);
        (void)switched;
        co_return false;
      }

      // 5. Decide whether the connection survives this request.
      // An unread request body small enough to discard is discarded after the response is
      // written, never before: the client may wait for the answer before it sends the rest
      // (an early 413 to a chunked upload), and a response may stream the body itself.
      bool keep =
          head.keep_alive && !handler_failed && !ctx_.draining->load(std::memory_order_relaxed);
      bool drain_after = false;
      if (body.active() && !body.finished()) {
        if (body.broken() || !body.drainable(cfg.max_drain_bytes)) {
          keep = false;
        } else {
          drain_after = keep;
        }
      }
      if (body.broken()) keep = false;

      // 6. Write the response (batched with other pipelined responses when small).
      Framing framing = response_framing(resp, head_request, req.version);
      if (framing.kind == Framing::Kind::close) keep = false;
      ResponseHeadOptions ho;
      ho.keep_alive = keep;
      ho.http10_keep_alive = keep && req.version == Version::http_1_0;
      ho.server = cfg.server_header;
      if (!cfg.alt_svc.empty() && !resp.headers.contains("alt-svc")) {
        (void)resp.headers.append("alt-svc", cfg.alt_svc);
      }
      append_response_head(sc.out, resp, framing, ho);
      std::uint64_t body_bytes = 0;
      bool written = co_await write_body(resp, framing, body_bytes);
      if (written && cfg.access_log) {
        cfg.access_log(AccessLogEntry{peer_, req, resp.status, body_bytes, Clock::now() - started});
      }
      if (written && keep && drain_after && body.active() && !body.finished()) {
        bool drained = false;
        bool flushed = co_await flush();  // the answer first, then the rest of the body
        if (flushed) drained = co_await drain_body();
        if (!drained) keep = false;
      }
      const bool unread_body = body.active() && !body.finished();
      end_request();
      if (!written) co_return false;
      if (!keep) {
        bool flushed = co_await flush();
        if (flushed) {
          (void)co_await io::shutdown(io_);
          if (unread_body) co_await linger();
        }
        co_return false;
      }
      if (sc.out.size() >= out_batch_limit) {
        bool flushed = co_await flush();
        if (!flushed) co_return false;
      }
    }
  }

  // Responses are batched up to this size before a pipelined batch is written.
  static constexpr std::size_t out_batch_limit = 64 * 1024;
  // The cooperative budget of a connection: requests answered, and request body bytes read,
  // before it yields to the other tasks of its worker.
  static constexpr std::uint32_t requests_per_yield = 64;
  static constexpr std::uint64_t body_bytes_per_yield = 1 << 20;

  // The request body as a BodyStream over the connection's read buffer (zero-copy: the chunks
  // are views into it), decoded by the shared h1::BodyDecoder.
  class RequestBody final : public BodyStream {
   public:
    explicit RequestBody(ServerConnection& c) noexcept : c_(c) {}

    void start(const RequestHead& head, Scratch& sc) {
      sc_ = &sc;
      sc.trailers.clear();
      sc.body_wait.reset();
      broken_ = false;
      error_status_ = 0;
      read_since_yield_ = 0;
      continue_written_ = 0;
      const BodyKind kind = head.body();
      sc.decoder.start(kind, head.content_length.value_or(0), c_.ctx_.config->max_body_bytes);
      decoder_ = kind == BodyKind::none ? nullptr : &sc.decoder;
      continue_pending_ = decoder_ && head.expect_continue;
    }
    bool active() const noexcept { return decoder_ != nullptr; }
    bool finished() const noexcept { return decoder_ && decoder_->finished(); }
    bool broken() const noexcept { return broken_; }
    // The status the server answers for a broken body: 400 (framing), 413 (over
    // max_body_bytes), 408 (too slow); 0 when no answer can help (peer gone, write failed).
    int error_status() const noexcept { return error_status_; }
    // Whether discarding the rest keeps the connection usable: the client must be sending it
    // (no unanswered 100-continue), and it must be small enough to be worth reading.
    bool drainable(std::uint64_t max) const noexcept {
      if (continue_pending_ || !decoder_) return false;
      std::optional<std::uint64_t> left = decoder_->size_hint();
      return !left || *left <= max;
    }
    void clear() noexcept {
      decoder_ = nullptr;
      sc_ = nullptr;
    }

    Poll<Result<io::BufferView>> poll_data(Context& cx) override {
      if (!decoder_ || decoder_->finished()) return Result<io::BufferView>{};
      if (broken_) return fail(Errc::closed, "request body");
      // RFC 9110 §10.1.1: send 100 Continue when the handler first asks for the body (after the
      // responses to earlier pipelined requests).
      if (continue_pending_) {
        if (!c_.poll_flush_some(cx)) return pending;
        Poll<Result<void>> w = poll_write_continue(cx);
        if (w.is_pending()) return pending;
        if (!w.value()) return fail_with(std::move(w.value()).error());
      }
      for (;;) {
        if (c_.buffered() > 0) {
          BodyStep st = decoder_->decode(c_.unread());
          c_.rpos_ += st.consumed;
          if (st.status == BodyStatus::data) return Result<io::BufferView>(io::BufferView(st.data));
          if (st.status == BodyStatus::done) {
            for (const HeaderField& t : decoder_->trailers()) {
              (void)sc_->trailers.append(t.name, t.value);
            }
            return Result<io::BufferView>{};
          }
          if (st.status == BodyStatus::error) {
            // BodyDecoder errors: bad framing (ParseError) or over the limit (message_size).
            error_status_ = st.error.category() == h1_category()
                                ? status_for(static_cast<ParseError>(st.error.value()))
                                : 413;
            return fail_with(Error(st.error, "request body"));
          }
        }
        // Never wait for input while responses to earlier requests sit unwritten.
        (void)c_.poll_flush_some(cx);
        if (read_since_yield_ >= body_bytes_per_yield) {  // the cooperative budget
          read_since_yield_ = 0;
          cx.waker().wake_by_ref();
          return pending;
        }
        Poll<Result<std::size_t>> p =
            c_.poll_read_more(cx, c_.ctx_.config->body_timeout, sc_->body_wait);
        if (p.is_pending()) return pending;
        if (!p.value()) {
          if (p.value().error() == Errc::timed_out) error_status_ = 408;
          return fail_with(std::move(p.value()).error());
        }
        if (*p.value() == 0) {
          return fail_with(Error(decoder_->end_of_input().error, "request body: peer closed"));
        }
        read_since_yield_ += *p.value();
      }
    }

    std::optional<std::uint64_t> size_hint() const override {
      return decoder_ ? decoder_->size_hint() : std::optional<std::uint64_t>(0);
    }
    const Headers* trailers() const override {
      return finished() && sc_ && !sc_->trailers.empty() ? &sc_->trailers : nullptr;
    }

   private:
    Poll<Result<void>> poll_write_continue(Context& cx) {
      std::string_view line = detail::continue_line;
      while (continue_written_ < line.size()) {
        Poll<Result<std::size_t>> w =
            c_.io_.poll_write(cx, io::as_bytes(line.substr(continue_written_)));
        if (w.is_pending()) return pending;
        if (!w.value()) return std::unexpected(std::move(w.value()).error());
        continue_written_ += *w.value();
      }
      continue_pending_ = false;
      return Result<void>{};
    }
    Result<io::BufferView> fail_with(Error e) {
      broken_ = true;
      return std::unexpected(std::move(e));
    }

    ServerConnection& c_;
    BodyDecoder* decoder_ = nullptr;  // the request's decoder (in its Scratch) while it has a body
    Scratch* sc_ = nullptr;           // the request's scratch while a body is being read
    bool broken_ = false;
    bool continue_pending_ = false;
    int error_status_ = 0;
    std::size_t continue_written_ = 0;
    std::uint64_t read_since_yield_ = 0;
  };

  static void count(std::atomic<std::uint64_t>* c) noexcept {
    if (c) c->fetch_add(1, std::memory_order_relaxed);
  }

  std::size_t buffered() const noexcept { return rbuf_ ? rbuf_.size() - rpos_ : 0; }
  std::string_view unread() const noexcept { return rbuf_.view().as_string_view().substr(rpos_); }

  // Fills `req` from the parsed head; returns a status to refuse it with, or 0.
  int fill_request(Request& req, const RequestHead& head) {
    // The parser checked that the method is a token: only an overlong extension fails here.
    Result<Method> m = Method::from_validated(head.method);
    if (!m) return 400;
    // The target's form must suit the method (RFC 9112 §3.2): origin form, absolute form,
    // authority form for CONNECT only, "*" for OPTIONS only. The parser already checked an
    // origin-form target against the URI grammar; any other goes through the full parse.
    const bool origin_ok = head.origin_form && Uri::allows_origin_form(*m);
    if (!origin_ok && !Uri::parse_target(head.target, *m)) return 400;
    // A Host field must hold uri-host [":" port] (RFC 9112 §3.2), or be empty.
    if (head.has_host && !Uri::is_valid_host_field(head.host)) return 400;
    req.method = *m;
    req.version = head.version_minor == 0 ? Version::http_1_0 : Version::http_1_1;
    req.set_target_view(head.target);
    req.peer = peer_;
    req.server_draining = ctx_.draining;
    if constexpr (requires { io_.tls_session(); }) req.tls = io_.tls_session();
    for (const HeaderField& f : head.headers) req.headers.append_view_unchecked(f.name, f.value);
    if (head.content_length && *head.content_length > ctx_.config->max_body_bytes) return 413;
    return 0;
  }

  void end_request() noexcept {
    Scratch& sc = *scratch_.get();
    sc.request.clear();
    sc.response.clear();
    sc.head_bytes.reset();
    sc.parser.reset();
    if (body_) body_->clear();
  }

  // Gives the read buffer and the scratch back to the thread's pools.
  void go_idle() noexcept {
    rbuf_.reset();
    rpos_ = 0;
    scratch_.reset();
  }

  // Makes room for more input: reuses, compacts or replaces the read buffer. Unread bytes are
  // kept; bytes a request still points into (head_bytes) are never overwritten.
  void prepare_read() {
    if (!rbuf_) {
      rbuf_ = io::Buffer::acquire(io::BufferPool::small_size);
      rpos_ = 0;
      return;
    }
    if (!rbuf_.spare().empty()) return;
    const std::size_t unread_bytes = buffered();
    const bool shared = rbuf_.use_count() > 1;
    if (!shared && rpos_ > 0) {  // compact in place
      std::memmove(rbuf_.data(), rbuf_.data() + rpos_, unread_bytes);
      rbuf_.resize(unread_bytes);
      rpos_ = 0;
      if (!rbuf_.spare().empty()) return;
    }
    // Grow (a head longer than the buffer) or move away from a buffer a request still uses.
    std::size_t want = std::max<std::size_t>(unread_bytes * 2, io::BufferPool::medium_size);
    io::Buffer next = io::Buffer::acquire(want);
    std::memcpy(next.data(), rbuf_.data() + rpos_, unread_bytes);
    next.resize(unread_bytes);
    rbuf_ = std::move(next);
    rpos_ = 0;
  }

  // Reads more bytes into the read buffer before `deadline`.
  Task<Result<std::size_t>> read_more(Instant deadline) {
    prepare_read();
    Result<std::size_t> n =
        detail::flatten(co_await timeout_at(deadline, io::read(io_, rbuf_.spare())));
    if (n && *n > 0) rbuf_.commit(*n);
    co_return n;
  }

  // The same for the body reader (poll style): each read must make progress within `d`.
  Poll<Result<std::size_t>> poll_read_more(Context& cx, Duration d, std::optional<Sleep>& sleep) {
    prepare_read();
    Poll<Result<std::size_t>> p = io_.poll_read(cx, rbuf_.spare());
    if (p.is_ready()) {
      sleep.reset();
      if (p.value() && *p.value() > 0) rbuf_.commit(*p.value());
      return p;
    }
    if (!sleep) sleep.emplace(Clock::now() + d);
    if (sleep->poll(cx).is_ready()) {
      sleep.reset();
      count(ctx_.timeouts);
      return Result<std::size_t>(fail(Errc::timed_out, "request body read"));
    }
    return pending;
  }

  // The batched output not written yet.
  std::string_view unsent() const noexcept {
    const Scratch& sc = *scratch_.get();
    return std::string_view(sc.out).substr(sc.out_sent);
  }
  void clear_out() noexcept {
    scratch_->out.clear();
    scratch_->out_sent = 0;
  }

  // Writes the batched output.
  Task<bool> flush() {
    if (!scratch_) co_return true;
    if (scratch_->out_failed) co_return false;
    if (unsent().empty()) {
      clear_out();
      co_return true;
    }
    Result<void> w = detail::flatten(
        co_await timeout(ctx_.config->write_timeout, io::write_all(io_, io::as_bytes(unsent()))));
    clear_out();
    if (!w && w.error() == Errc::timed_out) count(ctx_.timeouts);
    co_return w.has_value();
  }

  // Writes what it can of the batched output without waiting. True when nothing is left to
  // write (or the write failed: out_failed, and flush() reports it).
  bool poll_flush_some(Context& cx) {
    if (!scratch_) return true;
    Scratch& sc = *scratch_.get();
    while (!sc.out_failed && sc.out_sent < sc.out.size()) {
      Poll<Result<std::size_t>> w = io_.poll_write(cx, io::as_bytes(unsent()));
      if (w.is_pending()) return false;
      if (!w.value() || *w.value() == 0)
        sc.out_failed = true;
      else
        sc.out_sent += *w.value();
    }
    clear_out();
    return true;
  }

  // Runs the handler; while it waits, writes the batched responses of earlier requests.
  struct FlushingWhilePending {
    ServerConnection& conn;
    Task<Response>& handling;
    Poll<Response> poll(Context& cx) {
      Poll<Response> p = handling.poll(cx);
      if (p.is_pending()) (void)conn.poll_flush_some(cx);
      return p;
    }
  };

  // After the write side is shut: reads and discards what the client still sends, until it
  // closes or linger_timeout passes. Closing with unread input would reset the connection and
  // could destroy the response before the client reads it (RFC 9112 §9.6; nginx's
  // lingering_close).
  Task<void> linger() {
    const Instant deadline = Clock::now() + ctx_.config->linger_timeout;
    rbuf_.reset();
    rpos_ = 0;
    prepare_read();
    for (;;) {
      Result<std::size_t> n =
          detail::flatten(co_await timeout_at(deadline, io::read(io_, rbuf_.spare())));
      if (!n || *n == 0) co_return;
    }
  }

  // Writes `out` then `extra` in as few calls as possible.
  Task<bool> write_with(std::string_view extra) {
    if (scratch_->out_failed) co_return false;
    std::string_view out = unsent();
    io::ConstBuffer parts[2] = {io::as_bytes(out), io::as_bytes(extra)};
    std::size_t total = out.size() + extra.size();
    std::size_t done = 0;
    while (done < total) {
      const Instant deadline = Clock::now() + ctx_.config->write_timeout;  // per step: progress
      io::ConstBuffer bufs[2];
      std::size_t nb = 0;
      std::size_t skip = done;
      for (io::ConstBuffer p : parts) {
        if (skip >= p.size()) {
          skip -= p.size();
          continue;
        }
        bufs[nb++] = p.subspan(skip);
        skip = 0;
      }
      Result<std::size_t> n = detail::flatten(
          co_await timeout_at(deadline, io::write_vectored(io_, std::span(bufs, nb))));
      if (!n || *n == 0) {
        clear_out();
        co_return false;
      }
      done += *n;
    }
    clear_out();
    co_return true;
  }

  // Writes the body per `f` (whole bytes are batched when small); false ends the connection.
  Task<bool> write_body(Response& resp, const Framing& f, std::uint64_t& written) {
    if (f.kind == Framing::Kind::none) co_return true;
    if constexpr (io::AsyncSendFile<S>) {
      if (resp.body.kind() == Body::Kind::file) {
        bool sent = co_await send_file(resp.body, written);
        co_return sent;
      }
    }
    if (resp.body.kind() == Body::Kind::bytes || resp.body.kind() == Body::Kind::empty) {
      std::string_view bytes = resp.body.bytes();
      written = bytes.size();
      if (bytes.size() <= inline_body_limit) {
        scratch_->out.append(bytes);
        co_return true;
      }
      bool ok = co_await write_with(bytes);
      co_return ok;
    }
    // A stream (or a file over a transport without sendfile): the head at once (a stream's
    // first chunk may come much later: server-sent events), then one writev per chunk; the
    // last chunk is batched with what follows.
    bool flushed = co_await flush();
    if (!flushed) co_return false;
    PeerWatch watch(io_, resp.body);
    Body watched = Body::borrow_stream(watch);
    Result<void> w = co_await write_stream_body(io_, scratch_->out, watched, f,
                                                ctx_.config->write_timeout, written);
    if (!w) {
      clear_out();
      if (w.error() == Errc::timed_out) count(ctx_.timeouts);
      // Truncated on purpose: the peer must not see a clean end of a broken body.
      co_return false;
    }
    co_return true;
  }

  // A streamed body may wait long for its next chunk (server-sent events). Meanwhile the socket
  // is watched: a client that hangs up (EOF, reset) ends the response at once, so its producer
  // is dropped now rather than at the next write. Bytes from the client (a pipelined request)
  // stop the watch; the next write then tells.
  class PeerWatch final : public BodyStream {
   public:
    PeerWatch(S& io, Body& inner) noexcept : io_(io), inner_(inner) {}
    Poll<Result<io::BufferView>> poll_data(Context& cx) override {
      Poll<Result<io::BufferView>> p = inner_.poll_data(cx);
      if constexpr (io::AsyncReadReady<S> &&
                    requires(S & s, io::MutableBuffer b) { s.try_peek(b); }) {
        while (p.is_pending() && watching_) {
          Poll<Result<void>> ready = io_.poll_read_ready(cx);
          if (ready.is_pending()) break;
          if (!ready.value()) return Result<io::BufferView>(fail(ready.value().error()));
          std::byte b{};
          Result<std::size_t> n = io_.try_peek(io::MutableBuffer(&b, 1));
          if (n && *n == 0) return Result<io::BufferView>(fail(Errc::closed, "http client left"));
          if (n)
            watching_ = false;
          else if (n.error() != std::errc::operation_would_block)
            return Result<io::BufferView>(fail(n.error()));
        }
      }
      return p;
    }
    std::optional<std::uint64_t> size_hint() const override { return inner_.size_hint(); }
    const Headers* trailers() const override { return inner_.trailers(); }

   private:
    S& io_;
    Body& inner_;
    bool watching_ = true;
  };

  // Writes the 101 and runs the handler's upgrade task over the transport; bytes already read
  // past the request head go to it first.
  Task<bool> upgrade(Response& resp) {
    UpgradeHandler handler = std::move(resp.on_upgrade);
    append_response_head(scratch_->out, resp, Framing{}, ResponseHeadOptions{});
    end_request();
    bool ok = co_await flush();
    if (!ok) co_return false;
    io::DynStreamFor<S&> transport(io_);
    Upgraded upgraded(transport, std::move(rbuf_), rpos_);
    rpos_ = 0;
    scratch_.reset();
    try {
      co_await handler(upgraded);
    } catch (...) {
      // The protocol handler failed: the connection simply closes.
    }
    co_return true;
  }

  // The decoded HTTP2-Settings of a request that may switch to HTTP/2 by `Upgrade: h2c`: an
  // HTTP/1.1 request on a plaintext stream of a server that serves HTTP/2, with the upgrade
  // tokens, exactly one valid HTTP2-Settings field (RFC 7540 §3.2.1) and no body or a
  // Content-Length body of at most h2::upgrade_body_limit. Otherwise nullopt: the request is
  // served as HTTP/1.1 (the upgrade is ignored, as the RFC allows).
  std::optional<std::string> h2c_settings(const RequestHead& head) const {
    if constexpr (requires { io_.tls_session(); }) {
      return std::nullopt;  // TLS negotiates h2 by ALPN, never by Upgrade (RFC 7540 §3.3)
    } else {
      if (!ctx_.detect_h2_preface || !head.upgrade || head.version_minor != 1 || head.chunked ||
          head.content_length.value_or(0) > h2::upgrade_body_limit) {
        return std::nullopt;
      }
      std::string upgrade, connection;
      std::string_view settings;
      int settings_fields = 0;
      auto is = [](std::string_view name, std::string_view lower_name) {
        return name.size() == lower_name.size() &&
               std::equal(name.begin(), name.end(), lower_name.begin(), [](char a, char b) {
                 return (a >= 'A' && a <= 'Z' ? char(a - 'A' + 'a') : a) == b;
               });
      };
      for (const HeaderField& f : head.headers) {
        if (is(f.name, "upgrade")) {
          upgrade.append(f.value).push_back(',');
        } else if (is(f.name, "connection")) {
          connection.append(f.value).push_back(',');
        } else if (is(f.name, "http2-settings")) {
          settings = f.value;
          ++settings_fields;
        }
      }
      if (settings_fields != 1 || !h2::wants_h2c(upgrade, connection)) return std::nullopt;
      return h2::decode_http2_settings(settings);
    }
  }

  // Reads the request body whole, writes the 101, and leaves the request (an owned copy) in
  // h2_upgrade_ for the HTTP/2 connection. False if the body could not be read.
  Task<bool> upgrade_to_h2c(Request& req, RequestBody& body, std::string settings) {
    auto up = std::make_unique<h2::Upgrade>();
    if (body.active()) {
      Result<std::string> bytes = co_await Body::borrow_stream(body).text(h2::upgrade_body_limit);
      if (!bytes) {
        end_request();
        co_return false;
      }
      up->body = std::move(*bytes);
    }
    Request& r = up->request;
    r.method = req.method;
    r.version = Version::http_2;
    r.set_target(req.target());
    r.peer = peer_;
    for (const auto& f : req.headers) {
      const std::string name = lower(f.name);
      if (name == "connection" || name == "upgrade" || name == "http2-settings" ||
          name == "keep-alive" || name == "proxy-connection" || name == "te" ||
          name == "content-length" || name == "expect") {
        continue;  // connection-specific, or meaning nothing once the body is whole
      }
      (void)r.headers.append(name, f.value);
    }
    up->settings = std::move(settings);
    end_request();
    scratch_->out.append(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
    bool flushed = co_await flush();
    if (!flushed) co_return true;  // the peer is gone: nothing to answer either way
    up->rest.assign(unread());
    h2_upgrade_ = std::move(up);
    go_idle();  // HTTP/2 has what it needs: the buffer and the Scratch go back to their pools
    co_return true;
  }

  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    return out;
  }

  // Sends a file body with sendfile(2) after the batched output: no copy through user space.
  Task<bool> send_file(Body& body, std::uint64_t& written) {
    bool ok = co_await flush();
    if (!ok) co_return false;
    while (body.file_length() > 0) {
      const Instant deadline = Clock::now() + ctx_.config->write_timeout;  // per step: progress
      std::uint64_t offset = body.file_offset();
      const std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>(body.file_length(), std::size_t{1} << 30));
      const int fd = body.file_fd();
      Result<std::size_t> sent = detail::flatten(
          co_await timeout_at(deadline, io::poll_fn([this, fd, &offset, n](Context& cx) {
                                return io_.poll_sendfile(cx, fd, offset, n);
                              })));
      if (!sent || *sent == 0) co_return false;  // an error, a stall, or the file shrank
      body.advance_file(*sent);
      written += *sent;
    }
    co_return true;
  }

  // Reads and discards the rest of the request body, at most max_drain_bytes of it. (Through
  // the RequestBody itself: the handler may have moved req.body away.)
  Task<bool> drain_body() {
    Body rest = Body::borrow_stream(*body_);
    std::uint64_t left = ctx_.config->max_drain_bytes;
    for (;;) {
      Result<io::BufferView> chunk = co_await rest.next();
      if (!chunk) co_return false;
      if (chunk->empty()) co_return true;
      if (chunk->size() > left) co_return false;
      left -= chunk->size();
    }
  }

  // Writes one of the server's own error responses (after pending output) and ends, lingering
  // so that the client can read it even if it is still sending.
  Task<void> write_error(int status) {
    scratch_.acquire(ctx_.config->limits);
    detail::append_error_response(scratch_->out, status);
    bool flushed = co_await flush();
    if (!flushed) co_return;
    (void)co_await io::shutdown(io_);
    scratch_.reset();
    co_await linger();
  }

  S& io_;
  const ConnectionContext& ctx_;
  net::SocketAddr peer_;
  io::Buffer rbuf_;
  std::uint32_t rpos_ = 0;  // read position in rbuf_ (a buffer holds a head, far below 4 GiB)
  // poll_serve()'s state (with idle_timer_ and burst_ below).
  bool first_ = true;        // no request yet: the header_timeout applies to the wait
  bool waiting_ = false;     // idle_timer_ holds this wait's deadline
  bool h2_preface_ = false;  // poll_serve() stopped: the client speaks HTTP/2
  std::unique_ptr<h2::Upgrade> h2_upgrade_;  // poll_serve() stopped after a 101 to h2c
  detail::ScratchLease scratch_;
  RequestBody* body_ = nullptr;  // serve_burst()'s, while it runs
  Sleep idle_timer_{Instant{}};  // the first-request or idle deadline
  Task<bool> burst_;             // last: its frame points into the members above, so it goes first

  // run() on a stream with readiness: poll_serve() plus the drain signal.
  struct Serving {
    ServerConnection& conn;
    sync::Notify::Notified drained;
    bool drain_seen = false;
    Poll<void> poll(Context& cx) {
      if (!drain_seen && drained.poll(cx).is_ready()) drain_seen = true;
      return conn.poll_serve(cx);
    }
  };
};

}  // namespace strata::http::h1
