// h1::ServerConnection: serves HTTP/1.1 on one connection, over any AsyncRead + AsyncWrite
// stream (TCP now, TLS later: the code does not change).
//
//   h1::ServerConnection<net::TcpStream> conn(stream, ctx);   // ctx: config, service, stats
//   co_await conn.run();                                       // until close, error or shutdown
//
// http::Server does this for every accepted socket; use it directly to serve a stream you
// obtained some other way (a Unix socket, an upgraded tunnel, a test duplex).
//
// Memory: between requests the connection holds no buffer and no per-request state. When bytes
// arrive it borrows a read buffer (io::BufferPool) and a Scratch (head, Request, Response and
// the output batch) from the thread's pools, and returns both once it has answered every
// request it read. Zero-copy: the Request's target and fields are views into the read buffer,
// which stays alive (reference counted) until the response is written, even if the body
// reader moves on to another buffer.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "strata/http/body.hpp"
#include "strata/http/h1/chunked.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/http/h1/serializer.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/server.hpp"
#include "strata/http/upgrade.hpp"
#include "strata/http/uri.hpp"
#include "strata/io/async_io.hpp"
#include "strata/io/buffer.hpp"
#include "strata/io/ext.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/rt/select.hpp"
#include "strata/rt/sync/notify.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h1 {

// What a connection shares with its server.
struct ConnectionContext {
  const ServerConfig* config = nullptr;
  Service* service = nullptr;
  sync::Notify* shutdown = nullptr;  // notified when the server starts draining
  const std::atomic<bool>* draining = nullptr;
  std::atomic<std::uint64_t>* requests = nullptr;  // counters (may be null)
  std::atomic<std::uint64_t>* bad_requests = nullptr;
  std::atomic<std::uint64_t>* timeouts = nullptr;
  net::SocketAddr peer;
};

// Per-request state, pooled per thread (src/http/h1/scratch.cpp).
struct Scratch {
  RequestHead head;
  RequestParser parser;
  ChunkedDecoder chunked;
  Request request;
  Response response;
  Headers trailers;                // of a chunked request body
  std::optional<Sleep> body_wait;  // the body read deadline while a read is pending
  std::string out;                 // responses not yet written (pipelined batches)
  io::Buffer head_bytes;           // keeps the bytes the request's views point into
  Scratch* next_free = nullptr;

  static Scratch* acquire(const Limits& limits);
  static void release(Scratch* s) noexcept;
};

namespace detail {

// Owns a pooled Scratch (RAII).
class ScratchLease {
 public:
  ScratchLease() = default;
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  ~ScratchLease() { reset(); }
  Scratch* get() const noexcept { return s_; }
  Scratch* operator->() const noexcept { return s_; }
  explicit operator bool() const noexcept { return s_ != nullptr; }
  void acquire(const Limits& l) {
    if (!s_) s_ = Scratch::acquire(l);
  }
  void reset() noexcept {
    if (s_) Scratch::release(std::exchange(s_, nullptr));
  }

 private:
  Scratch* s_ = nullptr;
};

// Appends a response the server writes itself (parse errors, limits, timeouts): the status,
// its reason phrase as a text body, and "connection: close".
void append_error_response(std::string& out, int status);
inline constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

// An idle connection's wait: readable (true), or the deadline or the server's drain signal
// (false). One small future instead of select(timeout(read_ready), notified): this is what
// every idle connection keeps in its frame, so its size is the server's memory per idle
// connection.
template <class S>
class IdleWait {
 public:
  IdleWait(S& io, sync::Notify& drain, Instant deadline)
      : io_(io), drained_(drain.notified()), sleep_(deadline) {}
  Poll<bool> poll(Context& cx) {
    if (drained_.poll(cx).is_ready()) return false;
    Poll<Result<void>> r = io_.poll_read_ready(cx);
    if (r.is_ready()) return r.value().has_value();
    if (sleep_.poll(cx).is_ready()) return false;
    return pending;
  }

 private:
  S& io_;
  sync::Notify::Notified drained_;
  Sleep sleep_;
};

// The result of an I/O future run under timeout(): one level of Result.
template <class T>
Result<T> flatten(Result<Result<T>> r) {
  if (!r) return std::unexpected(std::move(r).error());
  return std::move(*r);
}

}  // namespace detail

template <class S>
requires io::AsyncRead<S> && io::AsyncWrite<S>
class ServerConnection {
 public:
  ServerConnection(S& io, const ConnectionContext& ctx, const net::SocketAddr& peer)
      : io_(io), ctx_(ctx), peer_(peer), body_(*this) {}
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Serves requests until the peer closes, an error or deadline ends the connection, or the
  // server drains. Never throws: handler exceptions become 500 responses.
  //
  // This coroutine is all an idle connection holds: it waits for readability, then runs
  // serve_burst(), whose larger frame (and the buffer and Scratch it borrows) exists only while
  // there is input to answer.
  Task<void> run() {
    const ServerConfig& cfg = *ctx_.config;
    bool first = true;
    for (;;) {
      const Duration wait = first ? cfg.header_timeout : cfg.idle_timeout;
      if constexpr (io::AsyncReadReady<S>) {
        detail::IdleWait<S> idle(io_, *ctx_.shutdown, Clock::now() + wait);
        if (ctx_.draining->load(std::memory_order_acquire)) co_return;
        bool readable = co_await idle;  // false: draining, idle too long, or an error
        if (!readable) co_return;
      } else {
        auto drained = ctx_.shutdown->notified();
        if (ctx_.draining->load(std::memory_order_acquire)) co_return;
        prepare_read();
        auto r = co_await select(timeout(wait, io::read(io_, rbuf_.spare())), std::move(drained));
        if (r.index() != 0) co_return;
        Result<std::size_t> n = detail::flatten(std::move(std::get<0>(r)));
        if (!n || *n == 0) co_return;
        rbuf_.commit(*n);
      }
      first = false;
      bool keep = co_await serve_burst();
      if (!keep) co_return;
    }
  }

 private:
  // Answers requests while input is buffered or arriving (a head in progress), then writes the
  // batched responses and gives the buffer and the Scratch back. False: close the connection.
  Task<bool> serve_burst() {
    const ServerConfig& cfg = *ctx_.config;
    scratch_.acquire(cfg.limits);
    Scratch& sc = *scratch_.get();
    for (;;) {
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
        co_await write_error(refusal);
        co_return false;
      }
      const bool head_request = req.method == Method::head;
      body_.start(head, sc);
      if (body_.active()) req.body = Body::borrow_stream(body_);

      // 3. Run the handler inline.
      Response& resp = sc.response;
      bool handler_failed = false;
      try {
        resp = co_await ctx_.service->handle(req);
      } catch (...) {
        handler_failed = true;
      }
      if (handler_failed) resp = Response::error(StatusCode::internal_server_error);
      count(ctx_.requests);

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
      bool keep =
          head.keep_alive && !handler_failed && !ctx_.draining->load(std::memory_order_relaxed);
      if (body_.active() && !body_.finished()) {
        if (body_.broken() || !body_.drainable(cfg.max_drain_bytes)) {
          keep = false;
        } else {
          bool drained = co_await drain_body();
          if (!drained) keep = false;
        }
      }
      if (body_.broken()) keep = false;

      // 6. Write the response (batched with other pipelined responses when small).
      Framing framing = response_framing(resp, head_request, req.version);
      if (framing.kind == Framing::Kind::close) keep = false;
      ResponseHeadOptions ho;
      ho.keep_alive = keep;
      ho.http10_keep_alive = keep && req.version == Version::http_1_0;
      ho.server = cfg.server_header;
      append_response_head(sc.out, resp, framing, ho);
      std::uint64_t body_bytes = 0;
      bool written = co_await write_body(resp, framing, body_bytes);
      if (written && cfg.access_log) {
        cfg.access_log(AccessLogEntry{peer_, req, resp.status, body_bytes, Clock::now() - started});
      }
      end_request();
      if (!written) co_return false;
      if (!keep) {
        co_await flush();
        (void)co_await io::shutdown(io_);
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
  // Bodies up to this size are copied into the batch; larger ones go out by writev.
  static constexpr std::size_t inline_body_limit = 16 * 1024;

  // The request body as a BodyStream over the connection's read buffer.
  class RequestBody final : public BodyStream {
   public:
    explicit RequestBody(ServerConnection& c) noexcept : c_(c) {}

    void start(const RequestHead& head, Scratch& sc) {
      sc_ = &sc;
      chunked_ = nullptr;
      sc.trailers.clear();
      sc.body_wait.reset();
      broken_ = false;
      continue_pending_ = head.expect_continue;
      continue_written_ = 0;
      switch (head.body()) {
        case BodyKind::content_length:
          remaining_ = *head.content_length;
          state_ = remaining_ == 0 ? State::done : State::length;
          break;
        case BodyKind::chunked:
          sc.chunked.reset();
          chunked_ = &sc.chunked;
          state_ = State::chunked;
          break;
        default:
          state_ = State::none;
          continue_pending_ = false;
          break;
      }
      total_ = 0;
    }
    bool active() const noexcept { return state_ != State::none; }
    bool finished() const noexcept { return state_ == State::done; }
    bool broken() const noexcept { return broken_; }
    // Whether discarding the rest keeps the connection usable: the client must be sending it
    // (no unanswered 100-continue), and it must be small enough to be worth reading.
    bool drainable(std::uint64_t max) const noexcept {
      if (continue_pending_) return false;
      if (state_ == State::length) return remaining_ <= max;
      return state_ == State::chunked;
    }
    void clear() noexcept {
      state_ = State::none;
      chunked_ = nullptr;
      sc_ = nullptr;
    }

    Poll<Result<io::BufferView>> poll_data(Context& cx) override {
      if (state_ == State::done || state_ == State::none) return Result<io::BufferView>{};
      if (broken_) return fail(Errc::closed, "request body");
      // RFC 9110 §10.1.1: send 100 Continue when the handler first asks for the body.
      if (continue_pending_) {
        Poll<Result<void>> w = poll_write_continue(cx);
        if (w.is_pending()) return pending;
        if (!w.value()) return fail_with(std::move(w.value()).error());
      }
      for (;;) {
        if (c_.buffered() > 0) {
          std::string_view in = c_.unread();
          if (state_ == State::length) {
            std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
            c_.rpos_ += n;
            remaining_ -= n;
            total_ += n;
            if (remaining_ == 0) state_ = State::done;
            if (total_ > c_.ctx_.config->max_body_bytes) return too_large();
            return Result<io::BufferView>(io::BufferView(in.substr(0, n)));
          }
          ChunkedStep r = chunked_->decode(in);
          c_.rpos_ += r.consumed;
          if (r.status == ChunkedStatus::error) {
            return fail_with(Error(make_error_code(r.error), "chunked request body"));
          }
          if (r.status == ChunkedStatus::done) {
            state_ = State::done;
            for (const HeaderField& t : chunked_->trailers()) {
              (void)sc_->trailers.append(t.name, t.value);
            }
            return Result<io::BufferView>{};
          }
          if (r.status == ChunkedStatus::data && !r.data.empty()) {
            total_ += r.data.size();
            if (total_ > c_.ctx_.config->max_body_bytes) return too_large();
            return Result<io::BufferView>(io::BufferView(r.data));
          }
          // Framing bytes only: need more input.
        }
        Poll<Result<std::size_t>> p =
            c_.poll_read_more(cx, c_.ctx_.config->body_timeout, sc_->body_wait);
        if (p.is_pending()) return pending;
        if (!p.value()) return fail_with(std::move(p.value()).error());
        if (*p.value() == 0) return fail_with(Error(Errc::closed, "request body: peer closed"));
      }
    }

    std::optional<std::uint64_t> size_hint() const override {
      if (state_ == State::length) return remaining_;
      if (state_ == State::done || state_ == State::none) return 0;
      return std::nullopt;
    }
    const Headers* trailers() const override {
      return state_ == State::done && sc_ && !sc_->trailers.empty() ? &sc_->trailers : nullptr;
    }

   private:
    enum class State : std::uint8_t { none, length, chunked, done };

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
    Result<io::BufferView> too_large() {
      broken_ = true;
      return fail(Error(std::make_error_code(std::errc::message_size), "request body"));
    }
    Result<io::BufferView> fail_with(Error e) {
      broken_ = true;
      return std::unexpected(std::move(e));
    }

    ServerConnection& c_;
    State state_ = State::none;
    bool broken_ = false;
    bool continue_pending_ = false;
    std::size_t continue_written_ = 0;
    std::uint64_t remaining_ = 0;
    std::uint64_t total_ = 0;
    ChunkedDecoder* chunked_ = nullptr;
    Scratch* sc_ = nullptr;  // the request's scratch while a body is being read
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
    req.method = *m;
    req.version = head.version_minor == 0 ? Version::http_1_0 : Version::http_1_1;
    req.set_target_view(head.target);
    req.peer = peer_;
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
    body_.clear();
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

  // Writes the batched output.
  Task<bool> flush() {
    if (!scratch_ || scratch_->out.empty()) co_return true;
    std::string& out = scratch_->out;
    Result<void> w = detail::flatten(
        co_await timeout(ctx_.config->write_timeout, io::write_all(io_, io::as_bytes(out))));
    out.clear();
    if (!w && w.error() == Errc::timed_out) count(ctx_.timeouts);
    co_return w.has_value();
  }

  // Writes `out` then `extra` in as few calls as possible.
  Task<bool> write_with(std::string_view extra) {
    std::string& out = scratch_->out;
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
        out.clear();
        co_return false;
      }
      done += *n;
    }
    out.clear();
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
    // A stream (or a file over a transport without sendfile): the head, then each chunk.
    bool ok = co_await flush();
    if (!ok) co_return false;
    std::uint64_t left = f.length;
    for (;;) {
      Result<io::BufferView> chunk = co_await resp.body.next();
      if (!chunk) co_return false;  // truncated on purpose: the peer must not see a clean end
      if (chunk->empty()) break;
      std::string_view data = chunk->as_string_view();
      if (f.kind == Framing::Kind::length) {
        if (data.size() > left) co_return false;  // more than promised: cut the connection
        left -= data.size();
      } else if (f.kind == Framing::Kind::chunked) {
        append_chunk_header(scratch_->out, data.size());
      }
      written += data.size();
      ok = co_await write_with(data);
      if (!ok) co_return false;
      if (f.kind == Framing::Kind::chunked) scratch_->out.append("\r\n", 2);
    }
    if (f.kind == Framing::Kind::length && left != 0) co_return false;  // fewer than promised
    if (f.kind == Framing::Kind::chunked) append_last_chunk(scratch_->out, resp.body.trailers());
    co_return true;
  }

  // Writes the 101 and runs the handler's upgrade task over the transport; bytes already read
  // past the request head go to it first.
  Task<bool> upgrade(Response& resp) {
    UpgradeHandler handler = std::move(resp.on_upgrade);
    append_response_head(scratch_->out, resp, Framing{}, ResponseHeadOptions{});
    end_request();
    bool ok = co_await flush();
    if (!ok) co_return false;
    http::detail::UpgradeTransportFor<S> transport(io_);
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
  // body_ itself: the handler may have moved req.body away.)
  Task<bool> drain_body() {
    Body rest = Body::borrow_stream(body_);
    std::uint64_t left = ctx_.config->max_drain_bytes;
    for (;;) {
      Result<io::BufferView> chunk = co_await rest.next();
      if (!chunk) co_return false;
      if (chunk->empty()) co_return true;
      if (chunk->size() > left) co_return false;
      left -= chunk->size();
    }
  }

  // Writes one of the server's own error responses (after pending output) and ends.
  Task<void> write_error(int status) {
    scratch_.acquire(ctx_.config->limits);
    detail::append_error_response(scratch_->out, status);
    co_await flush();
    (void)co_await io::shutdown(io_);
  }

  S& io_;
  const ConnectionContext& ctx_;
  net::SocketAddr peer_;
  io::Buffer rbuf_;
  std::size_t rpos_ = 0;
  detail::ScratchLease scratch_;
  RequestBody body_;
};

}  // namespace strata::http::h1
