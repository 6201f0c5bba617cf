// Fuzzes the HTTP/2 server connection (strata/http/h2) with a client's bytes: the input,
// after the connection preface (prepended unless the first input byte is odd, so a broken
// preface is fuzzed too), is read in pieces whose size the second byte sets, and every request
// is answered by a handler that echoes its body. For every input the connection must finish
// (the transport ends; the idle deadline is 1 ms, so a connection left waiting ends too, and
// the check below counts polls), without a fault under ASan/UBSan: the
// frame and HPACK paths are nghttp2's, the stream, body, flow-control and response paths ours.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "strata/http/h2/server_connection.hpp"
#include "strata/http/service.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/rt/runtime.hpp"

namespace {

using namespace strata;

constexpr fuzz::Check check{"h2_server"};

// The client's bytes in pieces of `chunk`, then end of stream; writes are accepted and dropped.
struct FuzzPipe {
  std::string in;
  std::size_t pos = 0;
  std::size_t chunk = 1;
  Poll<Result<std::size_t>> poll_read(Context&, io::MutableBuffer buf) {
    const std::size_t n = std::min({buf.size(), chunk, in.size() - pos});
    if (n) std::memcpy(buf.data(), in.data() + pos, n);
    pos += n;
    return n;
  }
  Poll<Result<std::size_t>> poll_write(Context&, io::ConstBuffer buf) { return buf.size(); }
  Poll<Result<void>> poll_flush(Context&) { return Result<void>{}; }
  Poll<Result<void>> poll_shutdown(Context&) { return Result<void>{}; }
};

Task<http::Response> echo(http::Request& req) {
  Result<std::string> body = co_await req.body.text(1 << 20);
  if (!body) co_return http::Response::error(http::StatusCode::bad_request);
  co_return http::Response::text(std::move(*body));
}

}  // namespace

Task<bool> serve(http::h2::ServerConnection& conn, FuzzPipe& pipe, std::size_t max_polls) {
  std::size_t polls = 0;
  co_await io::poll_fn([&](Context& cx) -> Poll<void> {
    if (++polls > max_polls) return ready;
    return conn.poll_serve(cx, http::h2::IoRef::of(pipe));
  });
  co_return polls <= max_polls;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static Runtime* rt = new Runtime(Runtime::current_thread());
  static const http::h1::ConnectionConfig* config = [] {
    auto* c = new http::h1::ConnectionConfig();
    c->idle_timeout = std::chrono::milliseconds(1);
    return c;
  }();
  static const std::shared_ptr<http::Service> service = http::service_fn(echo);
  static const http::h2::Settings settings{};
  static std::atomic<bool> draining{false};
  http::h1::ConnectionContext ctx;
  ctx.config = config;
  ctx.service = service.get();
  ctx.draining = &draining;

  FuzzPipe pipe;
  if ((data[0] & 1) == 0) pipe.in = std::string(http::h2::client_preface);
  pipe.in.append(reinterpret_cast<const char*>(data + 2), size - 2);
  pipe.chunk = std::size_t{1} + data[1] * 64;
  http::h2::ServerConnection conn(ctx, settings, net::SocketAddr(), nullptr);
  // Each poll consumes input, ends, or waits for the 1 ms idle deadline: bounded.
  const bool done = rt->block_on(serve(conn, pipe, 4 * pipe.in.size() + 1000));
  check(done, "the connection did not end after its input ended",
        std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
