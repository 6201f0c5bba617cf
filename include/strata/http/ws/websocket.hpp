// ws::WebSocket: one WebSocket connection (RFC 6455), server or client side, with whole or
// streamed messages, automatic ping/pong, keep-alive, the close handshake and backpressure.
//
//   Task<void> echo(ws::WebSocket& ws) {                 // a server session (see server.hpp)
//     for (;;) {
//       Result<ws::Message> m = co_await ws.receive();
//       if (!m) co_return;                               // closed, or failed (see below)
//       Result<void> sent = co_await ws.send(m->type, m->bytes());
//       if (!sent) co_return;
//     }
//   }
//
// Receiving: receive() returns a whole message (up to Options::max_message_size, default
// 16 MiB; over it the connection fails with 1009). receive_chunk() streams a message in pieces
// as its bytes arrive (Chunk::last marks its end), for messages that should not be held whole;
// the limit still applies. Text is validated as UTF-8 as it arrives: the connection fails with
// 1007 at the first invalid byte. Pings are answered while receiving; pongs are absorbed.
// Keep-alive: while a receive is waiting and nothing arrives for Options::ping_interval (30 s),
// a ping goes out; if nothing at all arrives in the following Options::dead_peer_timeout (30 s)
// the connection fails with Errc::timed_out. (Keep-alive runs inside receive(): a connection
// nobody receives on sends no pings.)
//
// Sending: send_text/send_binary/send write one frame and complete once the transport took all
// of it, so a slow reader slows the sender (backpressure), and memory stays bounded by one
// pooled 16 KiB block per send in flight (none for a server's small messages beyond the frame).
// A write that makes no progress for Options::write_timeout (30 s) fails with Errc::timed_out.
// Sends from several tasks are serialised (FIFO, an async mutex), and so are the pongs and the
// close frame the receive side writes.
//
// Closing: close(code, reason) sends a close frame and, unless another task is receiving, waits
// up to Options::close_timeout (5 s) for the peer's close, then shuts the transport down. A
// close from the peer is answered with the same code; receive() then returns Errc::closed and
// peer_close() tells the code and reason. A protocol violation by the peer fails the
// connection: a close frame with the code (1002, 1007, 1009), then the transport is shut down;
// the call returns an Error whose code is the ws::CloseCode (err == ws::CloseCode::...).
//
// Threads: one task may receive while others send, on any workers. Cancel safety: dropping a
// receive between messages is safe; dropping one mid-message or a send mid-frame leaves the
// connection unusable (fail it with close()). Allocation: the read buffer is a pooled block,
// returned to its pool whenever it holds no unread bytes at the end of a message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "strata/http/ws/deflate.hpp"
#include "strata/http/ws/frame.hpp"
#include "strata/io/buffer.hpp"
#include "strata/io/dyn_stream.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::ws {

enum class MessageType : std::uint8_t { text, binary };

// A whole message.
struct Message {
  MessageType type = MessageType::binary;
  std::string data;
  bool is_text() const noexcept { return type == MessageType::text; }
  std::span<const std::byte> bytes() const noexcept { return std::as_bytes(std::span(data)); }
};

// A piece of a message (receive_chunk). `data` is borrowed: valid until the next call that
// receives on this WebSocket.
struct Chunk {
  MessageType type = MessageType::binary;
  std::span<const std::byte> data;
  bool last = false;  // the message's final piece
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

// What the peer's close frame said (1005 when it carried no code).
struct CloseInfo {
  std::uint16_t code = static_cast<std::uint16_t>(CloseCode::no_status);
  std::string reason;
};

struct Options {
  std::size_t max_message_size = 16u << 20;               // over it: 1009
  std::uint64_t max_frame_size = 16u << 20;               // one frame's payload; over it: 1009
  Duration ping_interval = std::chrono::seconds(30);      // zero: no keep-alive pings
  Duration dead_peer_timeout = std::chrono::seconds(30);  // silence after a ping: failed
  Duration close_timeout = std::chrono::seconds(5);       // waiting for the close reply
  Duration write_timeout = std::chrono::seconds(30);      // a write without progress: failed
  std::size_t compression_threshold = 64;  // permessage-deflate: smaller messages go plain
};

// A frame encoded once and written as is to many server-side connections (see room.hpp).
// Only for unmasked (server) frames without per-connection compression.
struct EncodedFrame {
  std::shared_ptr<const std::string> bytes;
};
// Encodes one unfragmented, unmasked data message.
EncodedFrame encode_message(MessageType type, std::span<const std::byte> payload);

namespace detail {
struct Core;
}  // namespace detail

class WebSocket {
 public:
  // A connection over `transport` whose handshake is done; `leftover` holds bytes already read
  // past the handshake. Made by ws::accept and ws::connect.
  WebSocket(std::unique_ptr<io::DynStream> transport, Role role, Options options,
            std::string subprotocol, DeflateParams deflate, io::Buffer leftover = {});
  WebSocket(WebSocket&&) noexcept;
  WebSocket& operator=(WebSocket&&) noexcept;
  ~WebSocket();

  [[nodiscard]] Task<Result<Message>> receive();
  [[nodiscard]] Task<Result<Chunk>> receive_chunk();

  [[nodiscard]] Task<Result<void>> send(MessageType type, std::span<const std::byte> payload);
  [[nodiscard]] Task<Result<void>> send_text(std::string_view text);
  [[nodiscard]] Task<Result<void>> send_binary(std::span<const std::byte> payload);
  // Writes a frame made by encode_message (server side).
  [[nodiscard]] Task<Result<void>> send_encoded(EncodedFrame frame);
  // Sends a ping (at most 125 bytes of payload).
  [[nodiscard]] Task<Result<void>> ping(std::span<const std::byte> payload);
  // Starts (or completes) the close handshake; see the top of this file.
  [[nodiscard]] Task<Result<void>> close(CloseCode code, std::string_view reason);
  [[nodiscard]] Task<Result<void>> close() { return close(CloseCode::normal, {}); }

  Role role() const noexcept;
  // The subprotocol the handshake agreed on ("" for none).
  const std::string& subprotocol() const noexcept;
  // The permessage-deflate parameters in force (enabled == false: no compression).
  const DeflateParams& deflate() const noexcept;
  // The peer's close frame, once received.
  std::optional<CloseInfo> peer_close() const;
  // Whether this side has sent its close frame (no more messages can be sent).
  bool close_sent() const noexcept;
  // Server side: once `*draining` is true, a receive sends close 1001 ("server shutting
  // down") and waits up to close_timeout for the reply, so a graceful shutdown ends sessions
  // with a close handshake. ws::accept passes the accepting server's flag
  // (Request::server_draining); null turns it off.
  void close_on_drain(const std::atomic<bool>* draining) noexcept;

 private:
  std::unique_ptr<detail::Core> core_;
};

}  // namespace strata::http::ws
