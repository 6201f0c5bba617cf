// One HTTP/1.1 exchange of http::Client over a pooled connection: write the request, read the
// response head (skipping 1xx), and hand the body to a stream that owns the connection lease.
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

template <class T>
Result<T> flatten(Result<Result<T>> r) {
  if (!r) return std::unexpected(std::move(r).error());
  return std::move(*r);
}

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

// Reads more response bytes; each read must make progress within `d` (zero: no limit).
Task<Result<std::size_t>> read_some(ClientConn& c, Duration d) {
  Result<std::size_t> n;
  if (d <= Duration::zero()) {
    n = co_await io::read(c.stream, c.in.spare(read_step));
  } else {
    n = flatten(co_await timeout(d, io::read(c.stream, c.in.spare(read_step))));
    if (!n && n.error() == Errc::timed_out) co_return fail(timed_out("http response head read"));
  }
  if (n && *n > 0) c.in.commit(*n);
  co_return n;
}

// Writes all of `data`; each write must make progress within `d` (zero: no limit).
Task<Result<void>> write_all(net::TcpStream& s, std::string_view data, Duration d) {
  io::ConstBuffer part = io::as_bytes(data);
  Result<void> w = co_await h1::write_parts(s, std::span<io::ConstBuffer>(&part, 1), d);
  co_return request_write_error(std::move(w));
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
    Result<void> w = co_await h1::write_parts(c.stream, std::span<io::ConstBuffer>(parts), d);
    co_return request_write_error(std::move(w));
  }
  // A stream or a file: the head, then each chunk as it comes (one writev per chunk).
  Result<void> w = co_await write_all(c.stream, c.out, d);
  if (!w) co_return w;
  c.out.clear();
  std::uint64_t sent = 0;
  w = co_await h1::write_stream_body(c.stream, c.out, req.body, f, d, sent);
  if (w && !c.out.empty()) w = co_await write_all(c.stream, c.out, d);
  co_return request_write_error(std::move(w));
}

bool asks_close(const Headers& h) {
  for (std::string_view v : h.get_all(header::connection)) {
    if (has_token(v, "close")) return true;
  }
  return false;
}

// Errors after which a fresh connection may succeed where a reused one failed.
bool is_connection_loss(const Error& e) {
  return e == ClientErrc::connection_closed || e == std::errc::connection_reset ||
         e == std::errc::broken_pipe || e == std::errc::connection_aborted;
}

Task<Result<ClientConn>> connect_conn(std::string authority, Duration timeout,
                                      std::shared_ptr<std::atomic<std::uint64_t>> opened) {
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
  co_return ClientConn(std::move(*s));
}

}  // namespace

Task<Result<ClientConn>> ConnManager::create(const ConnKey& key) {
  return connect_conn(key.authority, connect_timeout, opened);
}

bool ConnManager::recycle(const ConnKey&, ClientConn& c) {
  if (!c.in.empty()) return false;
  std::byte probe[1];
  Result<std::size_t> r = c.stream.try_read(probe);
  // Would block: open and quiet. EOF, an error or stray bytes: the server is done with it.
  return !r && r.error() == std::errc::operation_would_block;
}

Task<Attempt> exchange(std::shared_ptr<ClientShared> sh, Request& req, const Target& t,
                       std::optional<Instant> deadline) {
  const ClientConfig& cfg = sh->config;
  const strata::detail::RuntimeContext* rt = strata::detail::current_context();
  ConnKey key;
  key.runtime = rt ? static_cast<const void*>(rt->scheduler) : nullptr;
  key.authority = t.authority;
  Result<ConnLease> acquired = co_await sh->pool.acquire(key);
  if (!acquired) co_return Attempt(std::unexpected(std::move(acquired).error()));
  ExchangeLease lease(std::move(*acquired));
  ClientConn& c = lease.conn();
  const bool reused = c.exchanges > 0;
  ++c.exchanges;
  sh->requests.fetch_add(1, std::memory_order_relaxed);
  if (reused) sh->reused.fetch_add(1, std::memory_order_relaxed);

  // 1. The request.
  c.out.clear();
  const h1::Framing framing = h1::request_framing(req);
  h1::append_request_head(c.out, req, t.path_and_query, t.host_header, framing);
  Result<void> w = co_await write_request(c, req, framing, cfg.write_timeout);
  if (!w) {
    const bool stale = reused && is_connection_loss(w.error());
    lease.discard();
    co_return Attempt(std::unexpected(std::move(w).error()), stale);
  }

  // 2. The response head, skipping interim (1xx) responses.
  h1::ResponseParser parser(cfg.limits);
  h1::ResponseHead head;
  h1::ResponseContext rc;
  rc.head_request = req.method == Method::head;
  h1::ParseResult pr;
  bool any_byte = false;
  for (;;) {
    pr = {};
    if (!c.in.empty()) {
      any_byte = true;
      pr = parser.parse(c.in.view(), head, rc);
    }
    if (pr.is_error()) {
      lease.discard();
      co_return Attempt(fail(Error(make_error_code(pr.error), "http response head")));
    }
    if (pr.is_complete()) {
      if (head.status >= 200 || head.status == 101) break;
      c.in.consume(pr.consumed);  // 100 Continue, 103 Early Hints, ...: wait for the final one
      parser.reset();
      continue;
    }
    Result<std::size_t> n = co_await read_some(c, cfg.read_timeout);
    if (!n || *n == 0) {
      Error e = n ? Error(make_error_code(ClientErrc::connection_closed),
                          any_byte ? "http response head: closed mid-head"
                                   : "http response: closed before any byte")
                  : std::move(n).error();
      const bool stale = reused && !any_byte && is_connection_loss(e);
      lease.discard();
      co_return Attempt(std::unexpected(std::move(e)), stale);
    }
  }

  // 3. The response, its fields copied (the buffer moves on to the body).
  Response resp(StatusCode(head.status));
  resp.version = head.version_minor == 0 ? Version::http_1_0 : Version::http_1_1;
  resp.headers.reserve(head.headers.size());
  for (const h1::HeaderField& f : head.headers) (void)resp.headers.append(f.name, f.value);
  c.in.consume(pr.consumed);
  // 101 would start another protocol on this connection: not supported, so it is closed.
  const bool keep = head.keep_alive && !asks_close(req.headers) && head.status != 101;
  const bool has_body = head.status != 101 && head.body != h1::BodyKind::none &&
                        !(head.body == h1::BodyKind::content_length && *head.content_length == 0);
  if (!has_body) {
    if (keep && c.in.empty()) lease.keep();
    co_return Attempt(std::move(resp));
  }
  resp.body = Body::from_stream(std::make_unique<ResponseBody>(
      lease.take(), head.body, head.content_length.value_or(0), keep, cfg, deadline));
  co_return Attempt(std::move(resp));
}

}  // namespace strata::http::detail
