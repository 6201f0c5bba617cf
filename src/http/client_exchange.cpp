// One HTTP/1.1 exchange of http::Client over a pooled connection: write the request, read the
// response head (skipping 1xx), and hand the body to a stream that owns the connection lease.
//
// Design note: reading while writing. The exchange is one task. A HeadReader parses the
// response head as bytes arrive (skipping interim responses, noting a 100) and never blocks;
// WritingWhileReading polls the request write (a Task over the shared h1 writer) and, while the
// write waits, the reader, on the same socket: a write waits on write readiness and the reader
// on read readiness, two wakers of one EventedFd, both waking this task. The upload stops when
// a final head with a status >= 300 is complete; a 2xx lets the upload finish (the server may
// be streaming both ways) and reading pauses once the head is complete, so at most one head
// plus a read step is buffered. With Expect: 100-continue the head goes out alone and the
// reader runs until a 100, a final head, or the expect timeout. States of the request body:
// sent whole, cut (stopped or failed mid-way: the connection closes) or never sent (closed
// for Content-Length; for chunked the empty last chunk ends the message and keep-alive may
// survive).
#include <algorithm>
#include <charconv>

#include "client_conn.hpp"
#include "strata/http/h1/body_decoder.hpp"
#include "strata/http/h1/body_writer.hpp"
#include "strata/http/h1/serializer.hpp"
#include "strata/io/ext.hpp"
#include "strata/net/dns.hpp"
#include "strata/rt/detail/runtime_context.hpp"

namespace strata::http::detail {
namespace {

// Reads in steps of at least this many free bytes.
constexpr std::size_t read_step = 4096;

Error timed_out(const char* what) {
  return Error(Errc::timed_out, what);
}

// The client's names for errors of the shared h1 writer.
Result<void> request_write_error(Result<void> w) {
  if (w) return w;
  const Error& e = w.error();
  if (e.code().category() == h1::body_write_category()) {
    return fail_client(ClientErrc::body_length_mismatch,
                       e.code() == make_error_code(h1::BodyWriteError::over_length)
                           ? "http request body: over its length"
                           : "http request body: short of its length");
  }
  if (e == Errc::closed) return fail_client(ClientErrc::connection_closed, "http request write");
  if (e == Errc::timed_out) return fail(timed_out("http request write"));
  return w;
}

// The response body over the connection's read buffer, decoded by the shared h1::BodyDecoder
// (Content-Length, chunked or close-delimited). Owns the lease; gives the connection back (or
// closes it) at the end.
class ResponseBody final : public BodyStream {
 public:
  ResponseBody(ConnLease lease, h1::BodyKind kind, std::uint64_t length, bool keep_alive,
               const ClientConfig& cfg, std::optional<Instant> deadline)
      : lease_(std::move(lease)),
        keep_(keep_alive && kind != h1::BodyKind::close_delimited),
        decoder_(cfg.limits),
        read_timeout_(cfg.read_timeout),
        deadline_(deadline) {
    decoder_.start(kind, length, cfg.max_body_bytes);
  }
  ResponseBody(const ResponseBody&) = delete;
  ResponseBody& operator=(const ResponseBody&) = delete;

  ~ResponseBody() override {
    if (!decoder_.finished() && !decoder_.failed() && lease_) finish_from_buffer();
    release();
  }

  Poll<Result<io::BufferView>> poll_data(Context& cx) override {
    if (decoder_.finished()) {
      release();
      return Result<io::BufferView>{};
    }
    if (decoder_.failed() || !lease_) {
      return fail_client(ClientErrc::connection_closed, "http response body");
    }
    ClientConn& c = **lease_;
    for (;;) {
      if (!c.in.empty()) {
        h1::BodyStep st = decoder_.decode(c.in.view());
        c.in.consume(st.consumed);
        if (st.status == h1::BodyStatus::data) return io::BufferView(st.data);
        if (st.status == h1::BodyStatus::done) return end();
        if (st.status == h1::BodyStatus::error)
          return broken(Error(st.error, "http response body"));
      }
      Poll<Result<std::size_t>> p = c.stream.poll_read(cx, c.in.spare(read_step));
      if (p.is_pending()) {
        if (!wait_) {
          std::optional<Instant> d = deadline_;
          if (read_timeout_ > Duration::zero()) {
            const Instant step = Clock::now() + read_timeout_;
            if (!d || step < *d) d = step;
          }
          if (!d) return pending;
          wait_.emplace(*d);
        }
        if (wait_->poll(cx).is_pending()) return pending;
        wait_.reset();
        return broken(timed_out("http response body read"));
      }
      wait_.reset();
      Result<std::size_t> n = p.take();
      if (!n) return broken(std::move(n).error());
      if (*n == 0) {
        if (decoder_.end_of_input().status == h1::BodyStatus::done) return end();
        return broken(Error(make_error_code(ClientErrc::connection_closed),
                            "http response body: closed mid-body"));
      }
      c.in.commit(*n);
    }
  }

  std::optional<std::uint64_t> size_hint() const override { return decoder_.size_hint(); }
  const Headers* trailers() const override {
    return decoder_.finished() && !trailers_.empty() ? &trailers_ : nullptr;
  }

 private:
  Result<io::BufferView> end() {
    for (const h1::HeaderField& f : decoder_.trailers()) (void)trailers_.append(f.name, f.value);
    release();
    return Result<io::BufferView>{};
  }
  Result<io::BufferView> broken(Error e) {
    broken_ = true;
    release();
    return std::unexpected(std::move(e));
  }

  // A body dropped early: if its rest is already buffered, consume it without I/O so that the
  // connection can be reused; otherwise it is closed (release() sees it unfinished).
  void finish_from_buffer() noexcept {
    ClientConn& c = **lease_;
    if (decoder_.kind() == h1::BodyKind::close_delimited) return;
    while (!c.in.empty()) {
      h1::BodyStep st = decoder_.decode(c.in.view());
      c.in.consume(st.consumed);
      if (st.status != h1::BodyStatus::data) return;
    }
  }

  // Returns the connection to the pool after a clean end of a keep-alive response with nothing
  // left over; closes it otherwise.
  void release() noexcept {
    if (!lease_) return;
    const bool reusable = decoder_.finished() && !broken_ && keep_ && (**lease_).in.empty();
    if (!reusable) lease_->discard();
    lease_.reset();
  }

  std::optional<ConnLease> lease_;
  bool keep_;
  bool broken_ = false;
  h1::BodyDecoder decoder_;
  Headers trailers_;
  Duration read_timeout_;
  std::optional<Instant> deadline_;
  std::optional<Sleep> wait_;
};

// Owns the lease during an exchange. A connection left mid-exchange (an error, or the exchange
// dropped by a timeout or an abort) may still carry part of a response, so it is closed, never
// pooled; keep() returns it to the pool, take() hands it to the response body.
class ExchangeLease {
 public:
  explicit ExchangeLease(ConnLease l) noexcept : lease_(std::move(l)) {}
  ExchangeLease(const ExchangeLease&) = delete;
  ExchangeLease& operator=(const ExchangeLease&) = delete;
  ~ExchangeLease() { lease_.discard(); }
  ClientConn& conn() noexcept { return *lease_; }
  void discard() noexcept { lease_.discard(); }
  void keep() noexcept { ConnLease back = std::move(lease_); }
  ConnLease take() noexcept { return std::move(lease_); }

 private:
  ConnLease lease_;
};

// Parses the response head as bytes arrive, without blocking: interim responses are consumed
// (a 100 is noted), and reading stops at a complete final head (left at the front of c.in),
// a parse error, the end of the stream or a read error.
class HeadReader {
 public:
  HeadReader(const h1::Limits& limits, bool head_request) : parser_(limits) {
    rc_.head_request = head_request;
  }
  // Parses what is buffered and reads what the socket has, until it would block or stops.
  // True if it read bytes or stopped during this call (progress for a read deadline).
  bool poll(Context& cx, ClientConn& c) {
    bool progress = false;
    while (!stopped()) {
      if (!c.in.empty()) {
        any_byte_ = true;
        result_ = parser_.parse(c.in.view(), head_, rc_);
        if (result_.is_error()) return true;
        if (result_.is_complete()) {
          if (head_.status >= 200 || head_.status == 101) return true;
          continued_ = continued_ || head_.status == 100;
          c.in.consume(result_.consumed);  // 100 Continue, 103 Early Hints, ...: skipped
          parser_.reset();
          result_ = {};
          progress = true;
          continue;
        }
      }
      Poll<Result<std::size_t>> p = c.stream.poll_read(cx, c.in.spare(read_step));
      if (p.is_pending()) return progress;
      Result<std::size_t> n = p.take();
      if (!n) {
        error_ = std::move(n).error();
      } else if (*n == 0) {
        eof_ = true;
      } else {
        c.in.commit(*n);
      }
      progress = true;
    }
    return progress;
  }

  bool stopped() const noexcept { return !result_.is_incomplete() || eof_ || error_.has_value(); }
  // A complete final head (status >= 200, or 101); head() is valid until c.in changes.
  bool final_head() const noexcept { return result_.is_complete(); }
  const h1::ResponseHead& head() const noexcept { return head_; }
  std::size_t head_size() const noexcept { return result_.consumed; }
  bool continued() const noexcept { return continued_; }
  bool any_byte() const noexcept { return any_byte_; }
  // Why it stopped without a final head.
  Error failure() const {
    if (result_.is_error()) return Error(make_error_code(result_.error), "http response head");
    if (error_) return *error_;
    return Error(make_error_code(ClientErrc::connection_closed),
                 any_byte_ ? "http response head: closed mid-head"
                           : "http response: closed before any byte");
  }

 private:
  h1::ResponseParser parser_;
  h1::ResponseHead head_;
  h1::ResponseContext rc_;
  h1::ParseResult result_;
  std::optional<Error> error_;
  bool eof_ = false;
  bool continued_ = false;
  bool any_byte_ = false;
};

// One step of a HeadReader as a future: ready when it read something or stopped.
struct HeadStep {
  HeadReader& reader;
  ClientConn& conn;
  Poll<void> poll(Context& cx) {
    if (reader.stopped() || reader.poll(cx, conn)) return ready;
    return pending;
  }
};

// Runs the HeadReader until it stops, `until` passes, or (with `until_continue`) a 100 came;
// each read must make progress within `step` (zero: no limit), else Errc::timed_out.
Task<Result<void>> read_head(HeadReader& r, ClientConn& c, Duration step,
                             Instant until = Instant::max(), bool until_continue = false) {
  while (!r.stopped() && !(until_continue && r.continued())) {
    Instant d = until;
    if (step > Duration::zero()) d = std::min(d, Clock::now() + step);
    if (d == Instant::max()) {
      co_await HeadStep{r, c};
      continue;
    }
    Result<void> t = co_await timeout_at(d, HeadStep{r, c});
    if (t) continue;
    if (Clock::now() >= until) break;
    co_return fail(timed_out("http response head read"));
  }
  co_return Result<void>{};
}

// Polls the request write and, while it waits, the response head: the server may answer (and
// close) before it has read the whole body. Ready with true when the body was written, false
// when a final response with a status >= 300 stopped it, or the write's error.
struct WritingWhileReading {
  Task<Result<void>>& writing;
  HeadReader& reader;
  ClientConn& conn;
  Poll<Result<bool>> poll(Context& cx) {
    if (!reader.stopped()) (void)reader.poll(cx, conn);
    if (reader.final_head() && reader.head().status >= 300) return Result<bool>(false);
    Poll<Result<void>> w = writing.poll(cx);
    if (w.is_pending()) return pending;
    Result<void> r = w.take();
    if (!r) return Result<bool>(std::unexpected(std::move(r).error()));
    return Result<bool>(true);
  }
};

// Writes out what a TLS stream still keeps (ciphertext the socket did not take at once), so
// that a request is on the wire before its response is awaited; within `d` (zero: no limit).
Task<Result<void>> flush_tls(ClientStream& s, Duration d) {
  if (d <= Duration::zero()) co_return co_await io::flush(s);
  Result<Result<void>> f = co_await timeout(d, io::flush(s));
  if (!f) co_return fail(Error(Errc::timed_out, "http write"));
  co_return std::move(*f);
}

// Writes every byte of `parts`, then flushes; each step must make progress within `d`.
Task<Result<void>> write_out(ClientStream& s, std::span<io::ConstBuffer> parts, Duration d) {
  Result<void> w = co_await h1::write_parts(s, parts, d);
  if (w && s.is_tls()) w = co_await flush_tls(s, d);
  co_return request_write_error(std::move(w));
}

// Writes all of `data` (see write_out).
Task<Result<void>> write_all(ClientStream& s, std::string_view data, Duration d) {
  io::ConstBuffer part = io::as_bytes(data);
  co_return co_await write_out(s, std::span<io::ConstBuffer>(&part, 1), d);
}

// Writes the head in c.out and the body per `f`. Whole bytes are not consumed (replayable).
Task<Result<void>> write_request(ClientConn& c, Request& req, const h1::Framing& f, Duration d) {
  if (req.body.kind() == Body::Kind::empty || req.body.kind() == Body::Kind::bytes) {
    std::string_view bytes = req.body.bytes();
    if (f.kind == h1::Framing::Kind::none) bytes = {};
    if (bytes.size() <= h1::inline_body_limit) {
      c.out.append(bytes);
      co_return co_await write_all(c.stream, c.out, d);
    }
    io::ConstBuffer parts[2] = {io::as_bytes(c.out), io::as_bytes(bytes)};
    co_return co_await write_out(c.stream, std::span<io::ConstBuffer>(parts), d);
  }
  // A stream or a file: the head, then each chunk as it comes (one writev per chunk).
  Result<void> w = co_await write_all(c.stream, c.out, d);
  if (!w) co_return w;
  c.out.clear();
  std::uint64_t sent = 0;
  w = co_await h1::write_stream_body(c.stream, c.out, req.body, f, d, sent);
  if (w) w = co_await write_all(c.stream, c.out, d);  // the last chunk; flushes
  co_return request_write_error(std::move(w));
}

bool asks_close(const Headers& h) {
  for (std::string_view v : h.get_all(header::connection)) {
    if (has_token(v, "close")) return true;
  }
  return false;
}

// Errors after which a fresh connection may succeed where a reused one failed (a TLS server
// that closes without close_notify makes the read fail with unexpected_eof).
bool is_connection_loss(const Error& e) {
  return e == ClientErrc::connection_closed || e == std::errc::connection_reset ||
         e == std::errc::broken_pipe || e == std::errc::connection_aborted ||
         e == tls::TlsErrc::unexpected_eof;
}

// How much of the request body went out.
enum class BodySent : std::uint8_t {
  whole,
  cut,   // stopped or failed mid-way: the message is broken, the connection closes
  none,  // a final answer came before the body was sent
};

// After a final response to a request whose body was never sent: a chunked body can still end
// the message cleanly (an empty last chunk), so the connection may stay; a Content-Length one
// cannot (the server may wait for, or discard, the announced bytes), so it closes. The last
// chunk goes out only if the socket takes it at once (plain TCP; over TLS the connection
// closes).
bool end_unsent_body(ClientConn& c, const h1::Framing& f) {
  if (f.kind != h1::Framing::Kind::chunked) return false;
  return c.stream.try_write_all(io::as_bytes(h1::last_chunk));
}

// The TLS handshake of an https connection: the server name (SNI and verification) is the
// URL's host, without the brackets of an IPv6 literal; sessions are cached per "host:port".
Task<Result<ClientStream>> start_tls(TlsContextCell& cell, std::string_view authority,
                                     std::size_t colon, net::TcpStream tcp) {
  Result<tls::ClientContext> ctx = cell.get();
  if (!ctx) co_return std::unexpected(std::move(ctx).error());
  std::string_view host = authority.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  Result<tls::TlsStream<net::TcpStream>> s =
      co_await tls::connect(*ctx, host, std::move(tcp), authority);
  if (!s) co_return std::unexpected(std::move(s).error());
  const std::string_view alpn = s->session().alpn();
  if (!alpn.empty() && alpn != "http/1.1" && alpn != "h2") {
    co_return fail(Error(make_error_code(tls::TlsErrc::no_application_protocol),
                         "https: the server chose a protocol other than h2 or http/1.1"));
  }
  co_return ClientStream(std::move(*s));
}

Task<Result<ClientConn>> connect_conn(ConnKey key, Duration timeout,
                                      std::shared_ptr<std::atomic<std::uint64_t>> opened,
                                      std::shared_ptr<TlsContextCell> tls) {
  const std::string& authority = key.authority;
  const std::size_t colon = authority.rfind(':');
  std::uint16_t port = 0;
  const char* first = authority.data() + colon + 1;
  const char* last = authority.data() + authority.size();
  if (colon == std::string::npos || std::from_chars(first, last, port).ptr != last) {
    co_return fail_client(ClientErrc::invalid_url, "http connect " + authority);
  }
  net::ConnectOptions o;
  o.timeout = timeout;
  Result<net::TcpStream> s = co_await net::connect(authority.substr(0, colon), port, o);
  if (!s) co_return std::unexpected(std::move(s).error());
  (void)s->set_nodelay(true);  // a request head and a small body go out in one write anyway
  opened->fetch_add(1, std::memory_order_relaxed);
  if (!key.tls) co_return ClientConn(ClientStream(std::move(*s)));
  Result<ClientStream> t = co_await start_tls(*tls, authority, colon, std::move(*s));
  if (!t) co_return std::unexpected(std::move(t).error());
  ClientConn conn(std::move(*t));
  conn.h2 = conn.stream.tls_session()->alpn() == "h2";
  co_return conn;
}

}  // namespace

bool asks_continue(const Headers& h) {
  for (std::string_view v : h.get_all(header::expect)) {
    if (has_token(v, "100-continue")) return true;
  }
  return false;
}

std::optional<Duration> continue_wait(const ClientConfig& cfg, const Request& req,
                                      const h1::Framing& f, std::optional<Duration> asked) {
  const bool has_body =
      f.kind == h1::Framing::Kind::chunked || (f.kind == h1::Framing::Kind::length && f.length > 0);
  if (!has_body) return std::nullopt;
  if (asked) return asked;
  const bool large =
      cfg.expect_continue_threshold > 0 &&
      (f.kind == h1::Framing::Kind::chunked || f.length >= cfg.expect_continue_threshold);
  if (large || asks_continue(req.headers)) return cfg.expect_continue_timeout;
  return std::nullopt;
}

Task<Result<ClientConn>> ConnManager::create(const ConnKey& key) {
  return connect_conn(key, connect_timeout, opened, tls);
}

bool ConnManager::recycle(const ConnKey&, ClientConn& c) {
  return c.in.empty() && c.stream.idle_and_open();
}

Task<Attempt> exchange(std::shared_ptr<ClientShared> sh, Request& req, const Target& t,
                       ExchangeOptions o) {
  const ClientConfig& cfg = sh->config;
  const strata::detail::RuntimeContext* rt = strata::detail::current_context();
  ConnKey key;
  key.runtime = rt ? static_cast<const void*>(rt->scheduler) : nullptr;
  key.authority = t.authority;
  key.tls = t.tls;
  std::optional<ConnLease> fresh;  // the first connection of an origin that picked http/1.1
  if (tries_h2(cfg, t)) {
    std::optional<Attempt> a = co_await h2_exchange(sh, req, t, o, key, fresh);
    if (a) co_return std::move(*a);
  }
  std::optional<Result<ConnLease>> acquired;
  if (fresh) {
    acquired.emplace(std::move(*fresh));
  } else {
    acquired.emplace(co_await sh->pool.acquire(key));
  }
  if (!*acquired) co_return Attempt(std::unexpected(std::move(*acquired).error()));
  ExchangeLease lease(std::move(**acquired));
  ClientConn& c = lease.conn();
  if (c.h2) {  // h2 by ALPN where this Client does not speak it (http1_only, a given context)
    co_return Attempt(
        std::unexpected(Error(make_error_code(tls::TlsErrc::no_application_protocol),
                              "https: the server chose h2 but the client speaks HTTP/1.1 only")));
  }
  const bool reused = c.exchanges > 0;
  ++c.exchanges;
  sh->requests.fetch_add(1, std::memory_order_relaxed);
  if (reused) sh->reused.fetch_add(1, std::memory_order_relaxed);

  // 1. The request: the head, then (after a 100, a final answer or the expect timeout when it
  // asks first) the body, reading the response head all along.
  c.out.clear();
  const h1::Framing framing = h1::request_framing(req);
  h1::append_request_head(c.out, req, t.path_and_query, t.host_header, framing);
  const std::optional<Duration> expect = continue_wait(cfg, req, framing, o.expect_continue);
  if (expect && !asks_continue(req.headers)) {
    c.out.insert(c.out.size() - 2, "expect: 100-continue\r\n");
  }
  HeadReader reader(cfg.limits, req.method == Method::head);
  BodySent sent = BodySent::whole;
  std::optional<Error> write_error;
  if (expect) {
    Result<void> w = co_await write_all(c.stream, c.out, cfg.write_timeout);
    c.out.clear();
    sent = BodySent::none;
    if (!w) write_error = std::move(w).error();
    if (w) {
      // A 100 or the end of the wait: the body goes. A final head: returned without the body.
      const Instant until = expect->count() > 0 ? Clock::now() + *expect : Instant::max();
      Result<void> r = co_await read_head(reader, c, cfg.read_timeout, until, true);
      if (!r) {
        lease.discard();
        co_return Attempt(std::unexpected(std::move(r).error()));
      }
    }
  }
  if (!write_error && (!expect || !reader.stopped())) {
    Task<Result<void>> writing = write_request(c, req, framing, cfg.write_timeout);
    Result<bool> w = co_await WritingWhileReading{writing, reader, c};
    sent = w && *w ? BodySent::whole : BodySent::cut;
    if (!w) write_error = std::move(w).error();
  }
  if (write_error) {
    // The server may have answered before it closed: read that before reporting the write.
    const bool lost = is_connection_loss(*write_error);
    sent = BodySent::cut;
    if (lost) (void)co_await read_head(reader, c, cfg.read_timeout);
    if (!lost || !reader.final_head()) {
      const bool stale = reused && !reader.any_byte() && lost;
      lease.discard();
      co_return Attempt(std::unexpected(std::move(*write_error)), stale);
    }
  }

  // 2. The rest of the response head.
  Result<void> r = co_await read_head(reader, c, cfg.read_timeout);
  if (!r || !reader.final_head()) {
    Error e = r ? reader.failure() : std::move(r).error();
    const bool stale = reused && !reader.any_byte() && is_connection_loss(e);
    lease.discard();
    co_return Attempt(std::unexpected(std::move(e)), stale);
  }

  // 3. The response, its fields copied (the buffer moves on to the body).
  const h1::ResponseHead& head = reader.head();
  Response resp(StatusCode(head.status));
  resp.version = head.version_minor == 0 ? Version::http_1_0 : Version::http_1_1;
  resp.headers.reserve(head.headers.size());
  for (const h1::HeaderField& f : head.headers) (void)resp.headers.append(f.name, f.value);
  const h1::BodyKind body_kind = head.body;
  const std::uint64_t length = head.content_length.value_or(0);
  // 101 would start another protocol on this connection: not supported, so it is closed.
  bool keep = head.keep_alive && !asks_close(req.headers) && head.status != 101;
  const bool has_body = head.status != 101 && body_kind != h1::BodyKind::none &&
                        !(body_kind == h1::BodyKind::content_length && length == 0);
  c.in.consume(reader.head_size());
  if (sent == BodySent::cut) keep = false;
  if (sent == BodySent::none) keep = keep && end_unsent_body(c, framing);

  if (!has_body) {
    if (keep && c.in.empty()) lease.keep();
    co_return Attempt(std::move(resp));
  }
  resp.body = Body::from_stream(
      std::make_unique<ResponseBody>(lease.take(), body_kind, length, keep, cfg, o.deadline));
  co_return Attempt(std::move(resp));
}

}  // namespace strata::http::detail
