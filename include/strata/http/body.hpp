// http::Body: the payload of a request or response — empty, whole bytes, or a stream of chunks
// (either direction), with optional trailers.
//
//   // a handler answering with whole bytes (no copy for static text):
//   co_return http::Response(http::StatusCode::ok, http::Body::from_static("Hello, World!"));
//
//   // a handler reading a streamed request body chunk by chunk:
//   for (;;) {
//     Result<io::BufferView> chunk = co_await req.body.next();   // valid until the next call
//     if (!chunk) co_return http::Response::error(http::StatusCode::bad_request);
//     if (chunk->empty()) break;                                   // end of body
//     use(*chunk);
//   }
//
//   // or all of it, refusing more than 1 MiB (std::errc::message_size):
//   Result<std::string> text = co_await req.body.text(1 << 20);
//
//   // a streamed response: the handler keeps the sender and writes as it goes
//   Task<void> produce(http::BodySender tx) {
//     for (int i = 0; i < 3; ++i) co_await tx.send("chunk\n");   // waits while the peer is slow
//   }                                                              // dropping tx ends the body
//   auto [tx, body] = http::Body::channel();
//   spawn(produce(std::move(tx)));
//   co_return http::Response(http::StatusCode::ok, std::move(body));
//
// Why one type with three shapes: the plaintext hot path (whole bytes, often static) must cost
// nothing beyond a pointer and a length, while streaming needs a poll interface. A stream is a
// BodyStream (pull, poll style, like hyper's http_body::Body): the HTTP/1.1 connection
// implements it for request bodies straight over its read buffer (zero-copy), and
// Body::channel() implements it over an mpsc channel for handlers that push.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "strata/io/buffer.hpp"
#include "strata/io/buffer_view.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/sync/mpsc.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/waker.hpp"

namespace strata::http {

class Headers;

// A pull-style body stream. Implementations: the HTTP/1.1 request body reader, channel bodies.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next chunk: Ready(non-empty view) = data, valid until the next call or destruction;
  // Ready(empty view) = end of body (trailers, if any, are available from then on); Ready(error)
  // = the body is broken (peer reset, malformed chunk, timeout); Pending = the waker in cx will
  // be woken.
  virtual Poll<Result<io::BufferView>> poll_data(Context& cx) = 0;
  // Bytes left if known exactly (Content-Length minus what was read), else nullopt.
  virtual std::optional<std::uint64_t> size_hint() const { return std::nullopt; }
  // Trailer fields received after the last chunk (null if none, or before the end).
  virtual const Headers* trailers() const { return nullptr; }
};

class Body;

namespace detail {
// One chunk of a channel body: text or a pooled buffer; `error` ends the body abnormally.
struct BodyChunk {
  std::string text;
  io::Buffer buffer;
  io::BufferView view() const noexcept {
    return buffer ? buffer.view() : io::BufferView(std::string_view(text));
  }
};
}  // namespace detail

// The sending half of Body::channel(): each send() is one chunk; dropping it ends the body.
// abort() ends it with an error instead (the peer sees a truncated body, never a clean end).
class BodySender {
 public:
  BodySender() = default;
  // Waits for room (backpressure: the channel holds `capacity` chunks), then queues the chunk.
  // Fails with Errc::closed if the body was dropped (the client went away).
  Task<Result<void>> send(std::string chunk);
  Task<Result<void>> send(io::Buffer chunk);
  // Ends the body with an error.
  void abort();
  bool is_closed() const;

 private:
  friend class Body;
  BodySender(sync::mpsc::Sender<detail::BodyChunk> tx, std::shared_ptr<std::atomic<bool>> aborted)
      : tx_(std::move(tx)), aborted_(std::move(aborted)) {}
  std::optional<sync::mpsc::Sender<detail::BodyChunk>> tx_;
  std::shared_ptr<std::atomic<bool>> aborted_;  // shared with the reading side
};

class Body {
 public:
  enum class Kind : std::uint8_t { empty, bytes, stream, file };

  // An empty body.
  Body() noexcept = default;
  // Whole bytes, owned.
  static Body from(std::string bytes);
  // Whole bytes from a pooled buffer (shared, no copy).
  static Body from(io::Buffer bytes);
  // Whole bytes that outlive every use of the body (string literals, static tables): no copy.
  static Body from_static(std::string_view bytes) noexcept;
  // A stream the body owns.
  static Body from_stream(std::unique_ptr<BodyStream> stream) noexcept;
  // A stream owned by someone else (the connection); it must outlive the body's use.
  static Body borrow_stream(BodyStream& stream) noexcept;
  // `length` bytes of an open file from `offset`; the body owns (and closes) `fd`. A server
  // sends it with sendfile(2) where the transport allows it (zero-copy), else reads it.
  static Body from_file(int fd, std::uint64_t offset, std::uint64_t length) noexcept;
  // A stream fed by a sender, holding at most `capacity` chunks.
  static std::pair<BodySender, Body> channel(std::size_t capacity = 8);

  Body(Body&& o) noexcept;
  Body& operator=(Body&& o) noexcept;
  Body(const Body&) = delete;
  Body& operator=(const Body&) = delete;
  ~Body();

  Kind kind() const noexcept { return kind_; }
  bool is_empty() const noexcept { return kind_ == Kind::empty; }
  // For whole bytes: the bytes (empty otherwise).
  std::string_view bytes() const noexcept;
  // Exact length if known: whole bytes, empty, or a stream that knows its size.
  std::optional<std::uint64_t> size_hint() const;
  // The stream (null unless kind() == stream).
  BodyStream* stream() const noexcept { return stream_; }
  // For a file body: its descriptor and the range still to send (-1 / 0 otherwise).
  int file_fd() const noexcept { return kind_ == Kind::file ? fd_ : -1; }
  std::uint64_t file_offset() const noexcept { return offset_; }
  std::uint64_t file_length() const noexcept { return kind_ == Kind::file ? length_ : 0; }
  // Trailer fields after the end of a streamed body, if any.
  const Headers* trailers() const { return stream_ ? stream_->trailers() : nullptr; }

  // Reading, any kind: the next chunk (empty view = end). Whole bytes come as one chunk.
  Poll<Result<io::BufferView>> poll_data(Context& cx);
  auto next() noexcept { return NextFuture(this); }
  // Collects the whole body; fails with std::errc::message_size beyond `limit` bytes.
  Task<Result<std::string>> text(std::size_t limit);
  // Reads and discards the rest of the body.
  Task<Result<void>> discard();

  // Drops the contents (an empty body again).
  void reset() noexcept;
  // For a file body sent by other means (sendfile): marks `n` more bytes as sent.
  void advance_file(std::uint64_t n) noexcept;

 private:
  class NextFuture {
   public:
    explicit NextFuture(Body* b) noexcept : b_(b) {}
    Poll<Result<io::BufferView>> poll(Context& cx) { return b_->poll_data(cx); }

   private:
    Body* b_;
  };

  Result<io::BufferView> read_file_chunk();

  enum class Store : std::uint8_t { none, view, owned, buffer };

  Kind kind_ = Kind::empty;
  Store store_ = Store::none;
  bool owns_stream_ = false;
  bool bytes_taken_ = false;  // whole bytes already returned by poll_data
  std::string_view view_;     // Store::view
  std::string owned_;         // Store::owned
  io::Buffer buffer_;         // Store::buffer
  BodyStream* stream_ = nullptr;
  int fd_ = -1;  // Kind::file
  std::uint64_t offset_ = 0, length_ = 0;
};

}  // namespace strata::http
