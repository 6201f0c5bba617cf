// Helpers for the HTTP tests: a raw TCP client that sends bytes and parses responses with the
// h1 codec (so that tests see exactly what went over the wire).
#pragma once

#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <string>

#include "../net/net_test_util.hpp"
#include "strata/http.hpp"

namespace strata::test {

// One parsed response as the raw client saw it.
struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; last value wins
  std::string body;
  bool chunked = false;
};

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A client that speaks raw bytes and parses responses with the h1 codec.
class RawClient {
 public:
  explicit RawClient(net::TcpStream s) : s_(std::move(s)) {}

  Task<Result<void>> send(std::string_view bytes) {
    co_return co_await io::write_all(s_, io::as_bytes(bytes));
  }

  // Reads one response; Errc::closed if the connection ends before a complete one.
  Task<Result<RawResponse>> read(bool head_request = false) {
    http::h1::ResponseParser parser;
    http::h1::ResponseHead head;
    for (;;) {
      http::h1::ParseResult pr;
      if (!buf_.empty()) {
        http::h1::ResponseContext rc;
        rc.head_request = head_request;
        pr = parser.parse(buf_, head, rc);
      }
      if (pr.is_error()) co_return fail(Errc::invalid_input, "bad response head");
      if (pr.is_complete()) {
        RawResponse r;
        r.status = head.status;
        for (const auto& f : head.headers) r.headers[lower(f.name)] = std::string(f.value);
        r.chunked = head.chunked;
        buf_.erase(0, pr.consumed);
        Result<void> body = co_await read_body(head, r);
        if (!body) co_return std::unexpected(body.error());
        co_return r;
      }
      Result<std::size_t> n = co_await fill();
      if (!n) co_return std::unexpected(n.error());
      if (*n == 0) co_return fail(Errc::closed, "connection closed before a response");
    }
  }

  // Sends `bytes` (a request, or the rest of one) and reads one response.
  Task<Result<RawResponse>> exchange(std::string_view bytes, bool head_request = false) {
    Result<void> sent = co_await send(bytes);
    if (!sent) co_return std::unexpected(sent.error());
    co_return co_await read(head_request);
  }

  // True if the server closed the connection (reads end of stream) within `d`.
  Task<bool> closed_within(Duration d) {
    for (;;) {
      auto n = co_await timeout(d, fill());
      if (!n) co_return false;  // still open
      if (!*n || **n == 0) co_return true;
    }
  }

  net::TcpStream& stream() { return s_; }
  std::string& buffered() { return buf_; }

 private:
  Task<Result<std::size_t>> fill() {
    char tmp[16384];
    Result<std::size_t> n = co_await io::read(s_, as_writable_bytes(std::span(tmp)));
    if (n && *n) buf_.append(tmp, *n);
    co_return n;
  }

  Task<Result<void>> read_body(const http::h1::ResponseHead& head, RawResponse& r) {
    switch (head.body) {
      case http::h1::BodyKind::none:
        co_return Result<void>{};
      case http::h1::BodyKind::content_length:
        while (buf_.size() < *head.content_length) {
          Result<std::size_t> n = co_await fill();
          if (!n) co_return std::unexpected(n.error());
          if (*n == 0) co_return fail(Errc::closed, "short body");
        }
        r.body = buf_.substr(0, *head.content_length);
        buf_.erase(0, *head.content_length);
        co_return Result<void>{};
      case http::h1::BodyKind::chunked: {
        http::h1::ChunkedDecoder dec;
        for (;;) {
          http::h1::ChunkedStep st = dec.decode(buf_);
          if (st.status == http::h1::ChunkedStatus::error)
            co_return fail(Errc::invalid_input, "chunk");
          if (st.status == http::h1::ChunkedStatus::data) r.body.append(st.data);
          buf_.erase(0, st.consumed);
          if (st.status == http::h1::ChunkedStatus::done) co_return Result<void>{};
          if (st.consumed == 0 || buf_.empty()) {
            Result<std::size_t> n = co_await fill();
            if (!n) co_return std::unexpected(n.error());
            if (*n == 0) co_return fail(Errc::closed, "short chunked body");
          }
        }
      }
      case http::h1::BodyKind::close_delimited:
        for (;;) {
          Result<std::size_t> n = co_await fill();
          if (!n) co_return std::unexpected(n.error());
          if (*n == 0) break;
        }
        r.body = std::move(buf_);
        buf_.clear();
        co_return Result<void>{};
    }
    co_return Result<void>{};
  }

  net::TcpStream s_;
  std::string buf_;
};

// Handlers several HTTP test files serve.
inline Task<http::Response> plaintext_handler(http::Request&) {
  co_return http::Response::text_static("Hello, World!");
}
// Echoes the body, up to `Limit` bytes; any body error is answered 413 (as the bench server's).
template <std::size_t Limit>
Task<http::Response> echo_handler(http::Request& req) {
  Result<std::string> body = co_await req.body.text(Limit);
  if (!body) co_return http::Response::error(http::StatusCode::content_too_large);
  co_return http::Response::text(std::move(*body));
}

// Starts a server with `config` serving `service`, runs `body(addr)` against it, then shuts it
// down and checks that serve() ended cleanly.
template <class F>
Task<void> with_server_serving(http::ServerConfig config, std::shared_ptr<http::Service> service,
                               F body) {
  auto server = http::Server::bind(loopback(), std::move(config));
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(std::move(service)));
  co_await body(server->local_addr());
  server->shutdown(std::chrono::seconds(1));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

inline Task<Result<RawClient>> connect(net::SocketAddr addr) {
  auto s = co_await net::TcpStream::connect(addr);
  if (!s) co_return std::unexpected(s.error());
  co_return RawClient(std::move(*s));
}

// Runs a shell command, returning its stdout (exit status in `status`).
inline std::string run(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

struct Curl {
  int status = 0;
  std::string out;
};

// Runs curl (off the runtime's threads) with `args`; stdout in out.
inline Task<Curl> curl(std::string args) {
  auto h = spawn_blocking([args = std::move(args)] {
    Curl c;
    c.out = run("curl -sS --max-time 5 " + args, c.status);
    return c;
  });
  auto r = co_await h;
  co_return r ? std::move(*r) : Curl{-1, {}};
}

}  // namespace strata::test
