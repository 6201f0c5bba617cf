// http::Client: an HTTP/1.1 client over TCP and TLS (http:// and https://) with keep-alive
// connection pooling, redirects, timeouts and streamed bodies in both directions (like Go's
// http.Client, reqwest, or hyper's pooled client).
//
//   http::Client client;                                    // or Client(ClientConfig{...})
//   Result<http::Response> r = co_await client.get("http://127.0.0.1:8080/users")
//                                  .header("accept", "application/json")
//                                  .query("page", "2")              // ?page=2 (percent-encoded)
//                                  .timeout(2s)                     // whole exchange
//                                  .send();
//   if (!r) co_return fail(r.error());        // typed: ClientErrc, h1::ParseError, Errc, errno
//   Result<std::string> text = co_await r->body.text(1 << 20);      // or stream: r->body.next()
//
//   std::string url = "http://127.0.0.1:8080/upload";
//   co_await client.post(url).json(R"({"a":1})").send();             // whole bytes
//   auto [tx, body] = http::Body::channel();                         // streamed upload: chunked
//   co_await client.put(url).body(std::move(body)).send();           // (or content-length if
//                                                                    //  the body knows its size)
//
// Sharing: a Client is a handle (one shared_ptr); copies share the configuration and the pool.
// Use it from any number of tasks, on the current-thread or the multi-thread runtime. (g++ 12:
// pick between builders outside a co_await, `auto b = c ? x.get(u) : x.post(u);`, not inside
// one: a `?:` temporary inside `co_await` is destroyed twice.)
// A connection belongs to the runtime that opened it (its socket is registered there), so the
// pool is keyed by runtime and origin; drop every copy of a Client (and every Response body
// still streaming) before that runtime is destroyed.
//
// Responses: send() completes when the response head has arrived. The body is a BodyStream that
// reads from the connection (Content-Length, chunked with trailers, or close-delimited), so a
// large download is never buffered whole. The stream owns the pooled connection: the Response
// may outlive the builder and the Client. The connection goes back to the pool when the body has
// been read to its end cleanly and the response allows keep-alive. A body dropped before its end
// returns the connection only if the rest of it is already buffered (decoded without I/O);
// otherwise the connection is closed. Interim 1xx responses are skipped; HEAD, 204 and 304
// responses have no body.
//
// Request bodies and early answers (RFC 9110 §10.1.1, RFC 9112 §9.6; curl, Go's
// Transport.ExpectContinueTimeout): a request asks `Expect: 100-continue` when it opts in
// (.expect_continue(), a caller-set `Expect: 100-continue` field, or a body of at least
// ClientConfig::expect_continue_threshold bytes) and has a body. Then the head goes out alone
// and the client waits up to the expect timeout: 100 Continue sends the body; a final status
// (417, 413, 401, ...) is returned without sending it; no answer in time sends it anyway. While
// any body is written the client also reads: a final response with a status of 300 or more that
// arrives before the body's end stops the upload (curl's rule; a 2xx lets it finish), and a
// write that fails because the server closed (EPIPE, ECONNRESET) still returns the response the
// server sent before closing. A connection whose request body was cut short is never reused; one
// whose body was never sent is reused only when the body was chunked (the client ends it with an
// empty last chunk; plain http only, over TLS it is closed) and the response allows keep-alive;
// a Content-Length body's connection is closed (as Go does). The exchange stays one task: the write
// and the read readiness of the socket are polled together.
//
// HTTPS (ClientConfig::tls): an https:// URL connects over TLS (strata/tls) with the client's
// one tls::ClientContext, made from ClientConfig::tls on the first https request (or given
// ready as ClientConfig::tls_context) and shared by every connection and copy of the Client.
// The server's certificate is verified against the system CA store by default, for the URL's
// host: a DNS name (also sent as SNI) or an IP literal (checked against the certificate's IP
// entries). TLS sessions are cached per "host:port", so a second connection to an origin
// resumes (no certificate check, no signature). A failure is the TLS layer's typed error
// (tls::TlsErrc::unknown_ca, name_mismatch, certificate_expired, handshake_timeout,
// protocol_version, ...), never a fallback to plaintext. http and https to the same host:port
// are different origins and different pooled connections.
//
//   http::ClientConfig config;
//   config.tls.ca_file = "internal-ca.pem";    // trust this CA too (system store kept)
//   config.tls.identity = *tls::Identity::from_pem_files("me.pem", "me.key");  // mutual TLS
//   http::Client internal(config);
//   auto status = co_await internal.get("https://internal.example:8443/status").send();
//   if (!status) co_return fail(status.error());  // tls::TlsErrc::unknown_ca, name_mismatch, ...
//
// Reuse and stale connections: idle connections are reused per origin (scheme, host, port;
// LIFO, at most max_idle_per_host, closed after pool_idle_timeout). On checkout an idle
// connection is probed with a non-blocking read: EOF, an error or unexpected bytes (over TLS:
// also a record already buffered) mean the server closed it, and it is replaced. A request on a
// reused connection that fails before any response byte arrives (the server closed it in the same
// instant) is retried once on a new connection when the method is idempotent and the body
// replayable (empty or whole bytes).
//
// HTTP/2 (ClientConfig::protocol; docs/http2.md, "Client"): on https the TLS handshake offers
// "h2" and "http/1.1" by ALPN, and a server that picks h2 gets one h2::ClientConnection per
// origin that multiplexes every concurrent request of the Client (from any task or worker); the
// response says Version::http_2. Requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS
// wait for a slot on that connection (no second connection is opened: the server asked for the
// limit), within read_timeout. An origin whose server picks http/1.1 is remembered and pooled as
// above. ClientProtocol::http2_prior_knowledge speaks h2c to http:// origins; http1_only never
// offers h2. A request refused by the server without processing (REFUSED_STREAM, or above a
// GOAWAY's last-stream-id) is retried on a new connection (any method, at most 3 times) when its
// body is replayable; a connection lost before the response head is retried once for an
// idempotent replayable request; otherwise the error is typed: h2::ErrorCode (the RST_STREAM or
// GOAWAY code, or the protocol violation we saw), ClientErrc::connection_closed.
// Over HTTP/2 a caller's Host field is sent as :authority (RFC 9113 §8.3.1), Expect:
// 100-continue works as above (HEADERS without the body, DATA after the 100; a final status
// first resets the stream once the response ends, the connection stays), and
// http2.keepalive_interval / keepalive_timeout turn on PING keep-alive (off by default): a
// connection whose PING goes unanswered is dropped and its requests fail with Errc::timed_out.
//
//   http::ClientConfig h2c;
//   h2c.protocol = http::ClientProtocol::http2_prior_knowledge;   // http:// origins speak h2c
//   h2c.http2.initial_window_size = 1 << 20;                      // per-stream receive window
//
// Redirects (follow_redirects, at most max_redirects, then ClientErrc::too_many_redirects):
// 301/302/303 become GET without a body (HEAD stays HEAD); 307/308 keep the method and the body
// when it is whole bytes; a streamed body is not replayable, so such a redirect response is
// returned as is. Location may be absolute or relative. A redirect to another origin (scheme,
// host or port) drops Authorization, Proxy-Authorization, Cookie and a caller-set Host.
//
// Errors (Error::code()): ClientErrc below; h1::ParseError for a malformed response head or
// chunked body; Errc::timed_out (connect, request deadline, read/write stall); errno codes from
// the socket (std::errc::connection_refused, ...); net::DnsErrc from name resolution;
// tls::TlsErrc from the TLS handshake and records (https); std::errc::message_size for a body
// over max_body_bytes; UriErrc for an unparsable URL; h2::ErrorCode over HTTP/2.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "strata/http/body.hpp"
#include "strata/http/h1/limits.hpp"
#include "strata/http/h2/client_connection.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/method.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"
#include "strata/tls/config.hpp"
#include "strata/tls/context.hpp"

namespace strata::http {

// Client failures that are not I/O, DNS, timeout or parse errors.
enum class ClientErrc {
  invalid_url = 1,     // not an absolute http(s) URL (or userinfo in it, not supported)
  unsupported_scheme,  // a scheme other than http / https
  // 3 was tls_unavailable (https before Strata had TLS): retired, not reused.
  too_many_redirects = 4,  // more than ClientConfig::max_redirects redirects
  invalid_redirect,        // a redirect's Location cannot be resolved to a URL
  connection_closed,       // the server closed the connection before the response was complete
  body_length_mismatch,    // a streamed request body ended before (or ran past) its Content-Length
};

}  // namespace strata::http

template <>
struct std::is_error_code_enum<strata::http::ClientErrc> : std::true_type {};

namespace strata::http {

// Category "strata.http.client".
const std::error_category& client_category() noexcept;
inline std::error_code make_error_code(ClientErrc e) noexcept {
  return {static_cast<int>(e), client_category()};
}
inline bool operator==(const Error& e, ClientErrc c) noexcept {
  return e.code() == make_error_code(c);
}

// The TLS configuration an http::Client starts from: tls::ClientConfig's safe defaults
// (verification on, the system CA store, TLS 1.2 and 1.3, resumption) with ALPN "h2" and
// "http/1.1".
inline tls::ClientConfig default_client_tls() {
  tls::ClientConfig c;
  c.alpn = {"h2", "http/1.1"};
  return c;
}

// Which HTTP versions a Client speaks.
enum class ClientProtocol : std::uint8_t {
  automatic,              // https: h2 or http/1.1 by ALPN; http: HTTP/1.1
  http1_only,             // HTTP/1.1 everywhere ("h2" is left out of ALPN)
  http2_prior_knowledge,  // http: h2c with prior knowledge; https: as automatic
};

// How a Client connects, waits, pools and follows. Durations of zero mean "no limit".
struct ClientConfig {
  // Resolving the host and connecting (Happy Eyeballs over its addresses). The TLS handshake
  // that follows for https has its own limit, tls.handshake_timeout (10 s by default).
  Duration connect_timeout = std::chrono::seconds(10);
  // HTTPS: the client's TLS context is made from this on the first https request (an unusable
  // setting, e.g. an unreadable ca_file, fails that request with tls::TlsErrc::invalid_config).
  // Its ALPN offers "h2" and "http/1.1" (an empty list gets that default; under
  // ClientProtocol::http1_only "h2" is removed); a server that picks another protocol fails the
  // connection with tls::TlsErrc::no_application_protocol.
  tls::ClientConfig tls = default_client_tls();
  // A context made by the caller, used instead of `tls` when set: to share one session cache
  // between Clients, or to check the configuration before the first request.
  std::optional<tls::ClientContext> tls_context;
  // The whole exchange: connecting, sending, the response head, redirects and reading the body.
  Duration request_timeout = Duration::zero();
  // Each read (head or body) must make progress within this.
  Duration read_timeout = std::chrono::seconds(30);
  // Each write of the request must make progress within this.
  Duration write_timeout = std::chrono::seconds(30);
  // Pooled idle connections: how many per origin, and how long they may stay idle.
  std::size_t max_idle_per_host = 16;
  Duration pool_idle_timeout = std::chrono::seconds(90);
  // Open connections per origin and in total; a request waits (up to pool_acquire_timeout)
  // for a connection when the limit is reached.
  std::size_t max_connections_per_host = 64;
  std::size_t max_connections_total = 1024;
  Duration pool_acquire_timeout = std::chrono::seconds(30);
  // Redirects: followed when true, at most max_redirects of them per request.
  bool follow_redirects = true;
  int max_redirects = 10;
  // Sent as User-Agent unless the request sets one ("" = none).
  std::string user_agent = "strata-http-client";
  // Response head limits (h1::ParseError::head_too_large, too_many_fields, ...).
  h1::Limits limits{};
  // Largest response body the body stream delivers (std::errc::message_size); 0 = unlimited.
  std::uint64_t max_body_bytes = 0;
  // Retry once on a new connection when a reused one fails before any response byte (see top).
  bool retry_stale_connections = true;
  // How long a request that sends `Expect: 100-continue` waits for the server's answer before
  // it sends its body anyway (Go's ExpectContinueTimeout; curl waits 1 s too). Zero: no limit
  // but read_timeout, which then ends the wait with Errc::timed_out.
  Duration expect_continue_timeout = std::chrono::seconds(1);
  // Bodies of at least this many bytes, or of unknown size (streams), ask `Expect:
  // 100-continue` without opting in; 0 (the default, as in Go and hyper) = only requests that
  // opt in. curl's behaviour is 1 MiB.
  std::uint64_t expect_continue_threshold = 0;
  // HTTP/2: when to speak it, and its settings (windows, frame and header limits). The
  // connection's idle limit is pool_idle_timeout.
  ClientProtocol protocol = ClientProtocol::automatic;
  h2::ClientSettings http2{};
};

// Counters of one Client (and its copies).
struct ClientStats {
  std::uint64_t requests = 0;            // exchanges sent (redirects and retries count)
  std::uint64_t connections_opened = 0;  // new TCP connections (https: counted before the
                                         // handshake, so a failed one counts too)
  std::uint64_t connections_reused = 0;  // exchanges sent on a pooled connection
  std::uint64_t stale_retries = 0;       // retries after a reused connection failed, or of a
                                         // request an HTTP/2 server refused unprocessed
  std::uint64_t http2_connections = 0;   // connections that became HTTP/2 (of those opened)
};

class Client;
namespace detail {
struct ClientShared;
}

// A request being built: Client::get(url)... then send(). Move-only; send() consumes it.
class RequestBuilder {
 public:
  RequestBuilder(RequestBuilder&&) noexcept = default;
  RequestBuilder& operator=(RequestBuilder&&) noexcept = default;

  // Appends a header field; an invalid name or value makes send() fail with that error.
  RequestBuilder& header(std::string_view name, std::string_view value) &;
  RequestBuilder&& header(std::string_view name, std::string_view value) && {
    return std::move(header(name, value));
  }
  // Appends `key=value` to the URL's query, percent-encoded.
  RequestBuilder& query(std::string_view key, std::string_view value) &;
  RequestBuilder&& query(std::string_view key, std::string_view value) && {
    return std::move(query(key, value));
  }
  // The deadline of this exchange (overrides ClientConfig::request_timeout).
  RequestBuilder& timeout(Duration d) &;
  RequestBuilder&& timeout(Duration d) && { return std::move(timeout(d)); }
  // Whole bytes (replayable across redirects and retries).
  RequestBuilder& body(std::string bytes) &;
  RequestBuilder&& body(std::string bytes) && { return std::move(body(std::move(bytes))); }
  // Any body; a stream of unknown size is sent chunked, and is not replayed.
  RequestBuilder& body(Body b) &;
  RequestBuilder&& body(Body b) && { return std::move(body(std::move(b))); }
  // Sends `Expect: 100-continue` and waits for the server's answer (at most `wait`, default
  // ClientConfig::expect_continue_timeout) before sending the body; see the top of this file.
  // No effect on a request without a body.
  RequestBuilder& expect_continue() &;
  RequestBuilder&& expect_continue() && { return std::move(expect_continue()); }
  RequestBuilder& expect_continue(Duration wait) &;
  RequestBuilder&& expect_continue(Duration wait) && { return std::move(expect_continue(wait)); }
  // Whole bytes with Content-Type: application/json.
  RequestBuilder& json(std::string text) &;
  RequestBuilder&& json(std::string text) && { return std::move(json(std::move(text))); }

  // Sends the request (following redirects); completes with the response head, its body
  // streaming from the connection. The builder is left empty.
  Task<Result<Response>> send();

 private:
  friend class Client;
  RequestBuilder(std::shared_ptr<detail::ClientShared> s, Method m, std::string_view url);

  std::shared_ptr<detail::ClientShared> shared_;
  Request request_;
  std::string url_;
  std::optional<Duration> timeout_;
  std::optional<Duration> expect_continue_;  // opted in, with this wait
  std::optional<Error> error_;               // the first invalid builder input, reported by send()
};

// An HTTP client: a cheap handle to a shared configuration and connection pool.
class Client {
 public:
  Client();
  explicit Client(ClientConfig config);

  RequestBuilder request(Method m, std::string_view url) const;
  RequestBuilder get(std::string_view url) const { return request(Method::get, url); }
  RequestBuilder head(std::string_view url) const { return request(Method::head, url); }
  RequestBuilder post(std::string_view url) const { return request(Method::post, url); }
  RequestBuilder put(std::string_view url) const { return request(Method::put, url); }
  RequestBuilder patch(std::string_view url) const { return request(Method::patch, url); }
  RequestBuilder delete_(std::string_view url) const { return request(Method::delete_, url); }

  // Sends a prepared request whose target is an absolute URL ("http://host:port/path?q").
  Task<Result<Response>> execute(Request req) const;

  const ClientConfig& config() const noexcept;
  ClientStats stats() const noexcept;
  // Open pooled connections (idle and in use) across all hosts.
  std::size_t open_connections() const noexcept;

 private:
  std::shared_ptr<detail::ClientShared> shared_;
};

}  // namespace strata::http
