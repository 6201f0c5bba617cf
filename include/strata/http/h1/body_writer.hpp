// h1 body writing, shared by the server (responses) and the client (requests): BodyEncoder
// frames a streamed body (Content-Length accounting or chunked framing, trailers), and
// write_stream_body() drives it over any AsyncWrite, one writev per chunk (head bytes still
// pending, chunk header, data, CRLF), each write bounded by a progress deadline (hyper's
// proto/h1/encode.rs).
//
//   auto [stream, peer] = io::duplex(64 * 1024);       // or a TcpStream
//   auto [tx, body] = http::Body::channel();           // a streamed body
//   http::Response resp(http::StatusCode::ok, std::move(body));
//   h1::Framing f = h1::response_framing(resp, /*head_request=*/false, http::Version::http_1_1);
//   std::string out;                                   // the head, appended by the serializer
//   h1::append_response_head(out, resp, f, {.keep_alive = true, .server = ""});
//   std::uint64_t sent = 0;
//   Result<void> r = co_await h1::write_stream_body(stream, out, resp.body, f, 30s, sent);
//   // out now holds the last chunk (chunked framing): write it, or batch it with more output
//
// Errors: the body's own error (its sender aborted: the peer must see a truncated message),
// BodyWriteError::over_length / short_of_length when a stream breaks its declared length,
// Errc::timed_out when a write makes no progress within the deadline, I/O errors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "strata/http/body.hpp"
#include "strata/http/h1/serializer.hpp"
#include "strata/io/async_io.hpp"
#include "strata/io/ext.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::h1 {

// Whole bodies up to this size are copied behind their head and written with it (one write);
// larger ones are written from where they are, head and body in one writev.
inline constexpr std::size_t inline_body_limit = 16 * 1024;

// A streamed body that does not match the length its head announced.
enum class BodyWriteError : std::uint8_t {
  over_length = 1,  // more bytes than Content-Length
  short_of_length,  // the stream ended before Content-Length bytes
};
const std::error_category& body_write_category() noexcept;
inline std::error_code make_error_code(BodyWriteError e) noexcept {
  return {static_cast<int>(e), body_write_category()};
}

// Frames the chunks of one body for the wire.
class BodyEncoder {
 public:
  explicit BodyEncoder(const Framing& f) noexcept : kind_(f.kind), left_(f.length) {}
  // Before a chunk of `size` bytes (> 0): appends its framing to `out` and returns what must
  // follow the data ("\r\n" for chunked, else nothing); over_length past Content-Length.
  Result<std::string_view> encode(std::string& out, std::size_t size);
  // After the last chunk: appends the last-chunk and trailers (chunked); short_of_length if
  // Content-Length was not reached.
  Result<void> finish(std::string& out, const Headers* trailers);

 private:
  Framing::Kind kind_;
  std::uint64_t left_;
};

// Writes every byte of `parts` (writev); each write must make progress within `step` (zero:
// no deadline). A write of zero bytes is Errc::closed.
template <class S>
requires io::AsyncWrite<S> Task<Result<void>> write_parts(S& io, std::span<io::ConstBuffer> parts,
                                                          Duration step) {
  std::size_t first = 0;
  while (first < parts.size()) {
    if (parts[first].empty()) {
      ++first;
      continue;
    }
    Result<std::size_t> n;
    if (step > Duration::zero()) {
      Result<Result<std::size_t>> t =
          co_await timeout(step, io::write_vectored(io, parts.subspan(first)));
      if (!t) co_return fail(Error(Errc::timed_out, "http write"));
      n = std::move(*t);
    } else {
      n = co_await io::write_vectored(io, parts.subspan(first));
    }
    if (!n) co_return std::unexpected(std::move(n).error());
    if (*n == 0) co_return fail(Errc::closed, "http write");
    for (std::size_t left = *n; left > 0;) {  // drop what was written
      const std::size_t k = std::min(left, parts[first].size());
      parts[first] = parts[first].subspan(k);
      left -= k;
      if (parts[first].empty()) ++first;
    }
  }
  co_return Result<void>{};
}

// Writes `out` (bytes already pending, e.g. the head), then the streamed `body` framed per `f`,
// one writev per chunk; `written` counts body bytes. On success `out` holds the framing still
// to send after the last chunk (empty unless chunked), so the caller can batch it.
template <class S>
requires io::AsyncWrite<S> Task<Result<void>> write_stream_body(S& io, std::string& out, Body& body,
                                                                const Framing& f, Duration step,
                                                                std::uint64_t& written) {
  BodyEncoder enc(f);
  for (;;) {
    Result<io::BufferView> chunk = co_await body.next();
    if (!chunk) co_return std::unexpected(std::move(chunk).error());
    if (chunk->empty()) break;
    const std::string_view data = chunk->as_string_view();
    Result<std::string_view> after = enc.encode(out, data.size());
    if (!after) co_return std::unexpected(std::move(after).error());
    io::ConstBuffer parts[3] = {io::as_bytes(out), io::as_bytes(data), io::as_bytes(*after)};
    Result<void> w = co_await write_parts(io, std::span<io::ConstBuffer>(parts), step);
    out.clear();
    if (!w) co_return w;
    written += data.size();
  }
  co_return enc.finish(out, body.trailers());
}

}  // namespace strata::http::h1
