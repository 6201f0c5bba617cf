// The inside of http::Client: pooled connections (ClientConn in a net::KeyedPool), the parsed
// target of a request, one exchange over a connection, and the response body stream that owns
// the connection lease until the body ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "client_stream.hpp"
#include "strata/http/client.hpp"
#include "strata/http/h1/chunked.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/http/h1/serializer.hpp"
#include "strata/net/pool.hpp"
#include "strata/net/tcp_stream.hpp"
#include "strata/rt/sync/notify.hpp"
#include "strata/tls/context.hpp"

namespace strata::http::detail {

// `return fail_client(ClientErrc::x, "context");`
inline std::unexpected<Error> fail_client(ClientErrc e, std::string context) {
  return std::unexpected<Error>(Error(make_error_code(e), std::move(context)));
}

// A growable read buffer: bytes [begin, end) are unread, [end, cap) is free.
class ReadBuf {
 public:
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  std::string_view view() const noexcept { return {data_.get() + begin_, size()}; }
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Free space for a read of at least some bytes: compacts, or grows to hold `min_free` more.
  io::MutableBuffer spare(std::size_t min_free = 1) {
    if (cap_ - end_ >= min_free && cap_ > end_) return free_span();
    if (begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, size());
      end_ -= begin_;
      begin_ = 0;
      if (cap_ - end_ >= min_free && cap_ > end_) return free_span();
    }
    std::size_t next = cap_ == 0 ? initial : cap_ * 2;
    while (next - end_ < min_free) next *= 2;
    auto grown = std::make_unique<char[]>(next);
    if (end_ > 0) std::memcpy(grown.get(), data_.get(), end_);
    data_ = std::move(grown);
    cap_ = next;
    return free_span();
  }
  void commit(std::size_t n) noexcept { end_ += n; }
  std::size_t capacity() const noexcept { return cap_; }

  static constexpr std::size_t initial = 16 * 1024;

 private:
  io::MutableBuffer free_span() noexcept {
    return {reinterpret_cast<std::byte*>(data_.get() + end_), cap_ - end_};
  }
  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0, begin_ = 0, end_ = 0;
};

// One pooled HTTP/1.1 connection: the stream (TCP or TLS), its read buffer (kept across
// responses: an idle client connection is cheap next to the request it will carry) and the
// head being written.
struct ClientConn {
  explicit ClientConn(ClientStream s) noexcept : stream(std::move(s)) {}
  ClientStream stream;
  ReadBuf in;
  std::string out;
  std::uint64_t exchanges = 0;  // requests sent on it (0: fresh from connect)
  bool h2 = false;              // TLS agreed on "h2" by ALPN: it becomes an h2::ClientConnection
};

// Pool key: the runtime (its scheduler: one per runtime, shared by its workers) whose reactors
// own the sockets, and the origin: "host:port" and whether it is https.
struct ConnKey {
  const void* runtime = nullptr;
  std::string authority;
  bool tls = false;
  friend bool operator==(const ConnKey&, const ConnKey&) = default;
};
struct ConnKeyHash {
  std::size_t operator()(const ConnKey& k) const noexcept {
    return std::hash<std::string>()(k.authority) ^ (std::hash<const void*>()(k.runtime) << 1) ^
           static_cast<std::size_t>(k.tls);
  }
};

// The Client's TLS context, made once on first use (a plain-http Client never loads the CA
// store) and shared by all its connections; or the one the configuration gave.
class TlsContextCell {
 public:
  TlsContextCell(tls::ClientConfig config, std::optional<tls::ClientContext> given)
      : config_(std::move(config)), ctx_(std::move(given)) {}
  // The context, or why it cannot be made (tls::TlsErrc::invalid_config).
  Result<tls::ClientContext> get();

 private:
  std::once_flag once_;
  tls::ClientConfig config_;
  std::optional<tls::ClientContext> ctx_;
  std::optional<Error> error_;
};

// Makes and checks connections for the KeyedPool.
struct ConnManager {
  using Object = ClientConn;
  Duration connect_timeout;
  std::shared_ptr<std::atomic<std::uint64_t>> opened;
  std::shared_ptr<TlsContextCell> tls;
  // Resolves the key's host (net::resolve via net::connect), connects and, for https, runs the
  // TLS handshake.
  Task<Result<ClientConn>> create(const ConnKey& key);
  // The stale check on checkout: a healthy idle connection has nothing to read (EAGAIN).
  bool recycle(const ConnKey& key, ClientConn& c);
};

using ConnPool = net::KeyedPool<ConnKey, ConnManager, ConnKeyHash>;
using ConnLease = ConnPool::Guard;

// The HTTP/2 side of the pool: per origin, its shared h2 connections, or the note that its
// server picked http/1.1 (then the origin uses ConnPool alone). One request at a time connects
// for an origin whose protocol is unknown; the others wait for it (`settled`), so a burst of
// first requests makes one connection, not one each.
struct H2Origin {
  std::vector<std::shared_ptr<h2::ClientConnection>> conns;
  bool connecting = false;
  bool h1 = false;
  sync::Notify settled;  // notify_waiters() when a connect attempt ends
};
struct H2Pool {
  std::mutex m;
  std::unordered_map<ConnKey, std::unique_ptr<H2Origin>, ConnKeyHash> origins;
  std::size_t open() {
    std::lock_guard lock(m);
    std::size_t n = 0;
    for (auto& [k, o] : origins) {
      for (auto& c : o->conns) n += c->is_usable() ? 1 : 0;
    }
    return n;
  }
};

struct ClientShared {
  explicit ClientShared(ClientConfig c);
  ClientConfig config;
  std::shared_ptr<std::atomic<std::uint64_t>> opened;
  ConnPool pool;
  H2Pool h2;
  std::atomic<std::uint64_t> requests{0}, reused{0}, stale_retries{0}, h2_opened{0};
};

// An absolute http(s) URL split for sending.
struct Target {
  std::string url;     // the whole URL as given
  std::string scheme;  // lower case: "http" or "https"
  std::string host;    // as written (IPv6 in brackets), lower case
  std::uint16_t port = 80;
  bool tls = false;            // https
  std::string authority;       // "host:port" (the pool key, with tls; the TLS session cache key)
  std::string host_header;     // "host" or "host:port" when the port is not the default
  std::string path_and_query;  // "/p?q" ("/" when the path is empty)
};

// Parses an absolute http(s) URL. Errors: UriErrc, ClientErrc::{invalid_url,
// unsupported_scheme}.
Result<Target> parse_target(std::string_view url);
// Resolves a Location value against the URL it was received for (RFC 3986 §5.2).
Result<std::string> resolve_reference(const Target& base, std::string_view location);
// Same scheme, host and port.
bool same_origin(const Target& a, const Target& b) noexcept;

// The outcome of one attempt: the response, or an error and whether a retry may help.
// (Constructors, not an aggregate: see the g++ 12 notes in docs.)
struct Attempt {
  Attempt(Result<Response> r, bool s = false, bool f = false) noexcept
      : response(std::move(r)), stale(s), refused(f) {}
  Result<Response> response;
  bool stale = false;    // a reused connection failed before any response byte
  bool refused = false;  // HTTP/2: the server did not process it (any method may be retried)
};

// What the builder adds to one exchange.
struct ExchangeOptions {
  std::optional<Instant> deadline;          // the request's deadline (body reads included)
  std::optional<Duration> expect_continue;  // opted in to 100-continue, with this wait
};

// Whether a caller-set Expect field asks for 100-continue.
bool asks_continue(const Headers& h);
// How long to wait for 100 Continue before sending the body (HTTP/1.1 and HTTP/2); nullopt: the
// body follows the head at once. Only a request with a body asks (RFC 9110 §10.1.1): one that
// opted in (`asked`), sets `Expect: 100-continue`, or reaches expect_continue_threshold.
std::optional<Duration> continue_wait(const ClientConfig& cfg, const Request& req,
                                      const h1::Framing& f, std::optional<Duration> asked);

// Sends `req` to `t` over a pooled connection and reads the response head; the response body
// streams from the connection (it owns the lease). The deadline bounds the body reads too.
Task<Attempt> exchange(std::shared_ptr<ClientShared> sh, Request& req, const Target& t,
                       ExchangeOptions o);

// Whether a request to `t` tries HTTP/2 (https under automatic or prior knowledge; http under
// prior knowledge).
bool tries_h2(const ClientConfig& cfg, const Target& t) noexcept;
// The exchange over HTTP/2 (src/http/client_h2.cpp): nullopt when the origin speaks HTTP/1.1
// (then `fresh` holds the connection this call opened, if it did, for exchange() to use).
Task<std::optional<Attempt>> h2_exchange(std::shared_ptr<ClientShared> sh, Request& req,
                                         const Target& t, ExchangeOptions o, ConnKey key,
                                         std::optional<ConnLease>& fresh);

}  // namespace strata::http::detail
