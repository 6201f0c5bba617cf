// The WebSocket opening handshake: ws::accept (strata/http/ws/server.hpp) and ws::connect
// (strata/http/ws/client.hpp). SHA-1 and random keys come from OpenSSL's libcrypto.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstring>

#include "strata/http/h1/parser.hpp"
#include "strata/http/ws/client.hpp"
#include "strata/http/ws/server.hpp"
#include "strata/io/ext.hpp"
#include "strata/net/dns.hpp"
#include "strata/tls/stream.hpp"

namespace strata::http::ws {

namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const unsigned char* p, std::size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t v = (std::uint32_t(p[i]) << 16) |
                            (i + 1 < n ? std::uint32_t(p[i + 1]) << 8 : 0) |
                            (i + 2 < n ? std::uint32_t(p[i + 2]) : 0);
    out += b64[(v >> 18) & 63];
    out += b64[(v >> 12) & 63];
    out += i + 1 < n ? b64[(v >> 6) & 63] : '=';
    out += i + 2 < n ? b64[v & 63] : '=';
  }
  return out;
}

// Whether `key` is the base64 form of exactly 16 bytes (24 characters ending in "==").
bool valid_key(std::string_view key) noexcept {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (!std::strchr(b64, key[i]) || key[i] == '\0') return false;
  }
  // The last character carries 2 bits of data and 4 zero bits.
  const char* last = std::strchr(b64, key[21]);
  return ((last - b64) & 0x0F) == 0;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// All values of a list-valued field, joined by commas.
std::string joined(const Headers& h, std::string_view name) {
  std::string out;
  for (std::string_view v : h.get_all(name)) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

Response refuse(StatusCode status) {
  Response r = Response::error(status);
  if (status == StatusCode::upgrade_required) {
    r.headers.append_view_unchecked(header::upgrade, "websocket");
    r.headers.append_view_unchecked(header::sec_websocket_version, "13");
  }
  return r;
}

Task<void> run_session(Upgraded& io, Session session, Options options, std::string protocol,
                       DeflateParams deflate, const std::atomic<bool>* draining) {
  WebSocket ws(io::make_dyn_stream(io), Role::server, options, std::move(protocol), deflate);
  ws.close_on_drain(draining);
  co_await session(ws);
  (void)co_await ws.close();
}

}  // namespace

std::string accept_key(std::string_view key) {
  std::string in(key);
  in += guid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(in.data(), in.size(), digest, &len, EVP_sha1(), nullptr);
  return base64(digest, len);
}

bool is_upgrade_request(const Request& req) noexcept {
  auto up = req.headers.get(header::upgrade);
  return up && has_token(*up, "websocket");
}

Response accept(const Request& req, Session session) {
  return accept(req, std::move(session), AcceptOptions{});
}

Response accept(const Request& req, Session session, const AcceptOptions& opts) {
  if (req.method != Method::get) {
    Response r = Response::error(StatusCode::method_not_allowed);
    r.headers.append_view_unchecked("allow", "GET");
    return r;
  }
  if (req.version == Version::http_1_0) return refuse(StatusCode::bad_request);
  if (!is_upgrade_request(req)) return refuse(StatusCode::upgrade_required);
  if (!has_token(joined(req.headers, header::connection), "upgrade"))
    return refuse(StatusCode::bad_request);
  auto version = req.headers.get(header::sec_websocket_version);
  if (!version || trim(*version) != "13" || req.headers.count(header::sec_websocket_version) != 1)
    return refuse(StatusCode::upgrade_required);
  auto key = req.headers.get(header::sec_websocket_key);
  if (!key || req.headers.count(header::sec_websocket_key) != 1 || !valid_key(trim(*key)))
    return refuse(StatusCode::bad_request);
  if (opts.check_origin && !opts.check_origin(req.headers.get(header::origin).value_or("")))
    return refuse(StatusCode::forbidden);

  std::string protocol;
  const std::string offered = joined(req.headers, header::sec_websocket_protocol);
  for (const std::string& ours : opts.protocols) {
    bool found = false;
    for (std::string_view p : split_list(offered)) found = found || p == ours;
    if (found) {
      protocol = ours;
      break;
    }
  }
  std::string extensions;
  std::optional<DeflateParams> deflate = negotiate_deflate(
      joined(req.headers, header::sec_websocket_extensions), opts.deflate, extensions);

  Response r(StatusCode::switching_protocols);
  r.headers.append_view_unchecked(header::upgrade, "websocket");
  r.headers.append_view_unchecked(header::connection, "Upgrade");
  (void)r.headers.append(header::sec_websocket_accept, accept_key(trim(*key)));
  if (!protocol.empty()) (void)r.headers.append(header::sec_websocket_protocol, protocol);
  if (deflate) (void)r.headers.append(header::sec_websocket_extensions, extensions);
  r.on_upgrade = [session = std::move(session), options = opts.options, protocol,
                  params = deflate.value_or(DeflateParams{}),
                  draining = req.server_draining](Upgraded& io) {
    return run_session(io, session, options, protocol, params, draining);
  };
  return r;
}

namespace detail {

namespace {

Task<Result<WebSocket>> handshake(std::unique_ptr<io::DynStream> t, std::string host,
                                  std::string target, ClientOptions opts) {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  const std::string key = base64(raw, sizeof raw);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + host +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                    "\r\nSec-WebSocket-Version: 13\r\n";
  if (!opts.protocols.empty()) {
    req += "Sec-WebSocket-Protocol: ";
    for (std::size_t i = 0; i < opts.protocols.size(); ++i)
      req += (i ? ", " : "") + opts.protocols[i];
    req += "\r\n";
  }
  const std::string offer = deflate_offer(opts.deflate);
  if (!offer.empty()) req += "Sec-WebSocket-Extensions: " + offer + "\r\n";
  for (const auto& [name, value] : opts.headers) {
    Headers check;
    if (!check.append(name, value)) co_return fail(Errc::invalid_input, "ws: bad header field");
    req += name + ": " + value + "\r\n";
  }
  req += "\r\n";
  Result<void> w = co_await io::write_all(*t, io::as_bytes(req));
  if (!w) co_return fail(w.error());
  Result<void> f = co_await io::flush(*t);
  if (!f) co_return fail(f.error());

  io::Buffer buf = io::Buffer::acquire(16 * 1024);
  h1::ResponseParser parser;
  h1::ResponseHead head;
  for (;;) {
    std::string_view text(reinterpret_cast<const char*>(buf.data()), buf.size());
    h1::ParseResult pr;
    if (!text.empty()) pr = parser.parse(text, head);
    if (pr.is_error()) co_return fail(Errc::invalid_input, "ws: malformed handshake response");
    if (pr.is_complete()) {
      if (head.status != 101)
        co_return fail(Errc::invalid_input,
                       "ws: handshake refused with status " + std::to_string(head.status));
      std::string_view upgrade, accept, protocol;
      std::string conn_all, ext_all;
      for (std::size_t i = 0; i < head.headers.size(); ++i) {
        const auto& fld = head.headers[i];
        auto is = [&](std::string_view n) {
          if (fld.name.size() != n.size()) return false;
          for (std::size_t k = 0; k < n.size(); ++k)
            if ((fld.name[k] | 0x20) != n[k] && fld.name[k] != n[k]) return false;
          return true;
        };
        if (is("upgrade")) upgrade = fld.value;
        if (is("connection")) conn_all += std::string(fld.value) + ",";
        if (is("sec-websocket-accept")) accept = fld.value;
        if (is("sec-websocket-protocol")) protocol = fld.value;
        if (is("sec-websocket-extensions")) ext_all += std::string(fld.value) + ",";
      }
      if (!has_token(upgrade, "websocket") || !has_token(conn_all, "upgrade"))
        co_return fail(Errc::invalid_input, "ws: response lacks Upgrade/Connection");
      if (trim(accept) != accept_key(key))
        co_return fail(Errc::invalid_input, "ws: wrong Sec-WebSocket-Accept");
      protocol = trim(protocol);
      if (!protocol.empty()) {
        bool offered = false;
        for (const std::string& p : opts.protocols) offered = offered || p == protocol;
        if (!offered)
          co_return fail(Errc::invalid_input, "ws: server chose a protocol not offered");
      }
      if (!ext_all.empty()) ext_all.pop_back();
      Result<DeflateParams> params = accept_deflate_response(ext_all, opts.deflate);
      if (!params) co_return fail(params.error());
      io::Buffer leftover;
      if (pr.consumed < buf.size()) {
        leftover = io::Buffer::acquire(16 * 1024);
        std::memcpy(leftover.data(), buf.data() + pr.consumed, buf.size() - pr.consumed);
        leftover.resize(buf.size() - pr.consumed);
      }
      co_return WebSocket(std::move(t), Role::client, opts.options, std::string(protocol), *params,
                          std::move(leftover));
    }
    if (buf.size() == buf.capacity())
      co_return fail(Errc::invalid_input, "ws: response head too large");
    Result<std::size_t> n = co_await io::read(*t, buf.spare());
    if (!n) co_return fail(n.error());
    if (*n == 0) co_return fail(Errc::closed, "ws: connection closed during the handshake");
    buf.commit(*n);
  }
}

}  // namespace

Task<Result<WebSocket>> client_handshake(std::unique_ptr<io::DynStream> t, std::string host,
                                         std::string target, ClientOptions opts) {
  const Duration d = opts.handshake_timeout;
  Result<Result<WebSocket>> r = co_await timeout(
      d, handshake(std::move(t), std::move(host), std::move(target), std::move(opts)));
  if (!r) co_return fail(Errc::timed_out, "ws: handshake");
  co_return std::move(*r);
}

}  // namespace detail

namespace {

struct Url {
  bool secure = false;
  std::string host;        // without brackets
  std::string host_field;  // as the Host field carries it
  std::uint16_t port = 0;
  std::string target;
};

Result<Url> parse_url(std::string_view url) {
  Url u;
  if (url.starts_with("ws://")) {
    url.remove_prefix(5);
    u.port = 80;
  } else if (url.starts_with("wss://")) {
    url.remove_prefix(6);
    u.secure = true;
    u.port = 443;
  } else {
    return fail(Errc::invalid_input, "ws: URL scheme must be ws or wss");
  }
  const std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (u.target.find('#') != std::string::npos)
    return fail(Errc::invalid_input, "ws: fragment in URL");
  if (authority.find('@') != std::string_view::npos)
    return fail(Errc::invalid_input, "ws: userinfo in URL");
  u.host_field = std::string(authority);
  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return fail(Errc::invalid_input, "ws: bad IPv6 literal");
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (!port.empty()) {
    if (port.front() != ':' || port.size() < 2) return fail(Errc::invalid_input, "ws: bad port");
    port.remove_prefix(1);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return fail(Errc::invalid_input, "ws: bad port");
    u.port = static_cast<std::uint16_t>(v);
  }
  if (host.empty()) return fail(Errc::invalid_input, "ws: empty host");
  u.host = std::string(host);
  return u;
}

Task<Result<WebSocket>> connect_url(Url u, ClientOptions opts) {
  Result<net::TcpStream> tcp = co_await net::connect(u.host, u.port);
  if (!tcp) co_return fail(tcp.error());
  (void)tcp->set_nodelay(true);
  if (!u.secure)
    co_return co_await connect(std::move(*tcp), u.host_field, u.target, std::move(opts));
  std::optional<tls::ClientContext> own;
  const tls::ClientContext* ctx = opts.tls;
  if (!ctx) {
    Result<tls::ClientContext> made = tls::ClientContext::create({});
    if (!made) co_return fail(made.error());
    own.emplace(std::move(*made));
    ctx = &*own;
  }
  auto stream = co_await tls::connect(*ctx, u.host, std::move(*tcp));
  if (!stream) co_return fail(stream.error());
  co_return co_await connect(std::move(*stream), u.host_field, u.target, std::move(opts));
}

}  // namespace

Task<Result<WebSocket>> connect(std::string url) {
  return connect(std::move(url), ClientOptions{});
}

Task<Result<WebSocket>> connect(std::string url, ClientOptions opts) {
  Result<Url> u = parse_url(url);
  if (!u) co_return fail(u.error());
  const Duration d = opts.handshake_timeout;
  Result<Result<WebSocket>> r = co_await timeout(d, connect_url(std::move(*u), std::move(opts)));
  if (!r) co_return fail(Errc::timed_out, "ws: connect");
  co_return std::move(*r);
}

}  // namespace strata::http::ws
