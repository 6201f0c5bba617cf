// ws::Room: fan-out of messages to many server-side WebSockets, each message encoded into one
// frame once and the same bytes written to every member (not N encodings), on the runtime's
// broadcast channel (strata/rt/sync/broadcast.hpp).
//
//   ws::Room room;                                            // shared by the handlers
//   Task<void> member(ws::WebSocket& ws, ws::Room& room) {    // a server session
//     JoinHandle<Result<void>> fwd = spawn(room.forward(ws));  // frames out, in its own task
//     for (;;) {                                               // messages in (and pongs, close)
//       Result<ws::Message> m = co_await ws.receive();
//       if (!m) break;
//     }
//     fwd.abort();
//     (void)co_await fwd;
//   }
//   room.publish_text("price: 42");                           // any thread; never waits
//
// A member that falls more than `capacity` frames behind (a slow reader) is closed with 1008
// "too slow", so one stalled client never holds memory for the others; the room keeps at most
// `capacity` frames. Frames are plain (no per-connection compression) and unmasked: members
// must be server-side sockets. Threads: publish() from any thread; forward() runs in the
// member's task. The Room may be destroyed while members forward: they then return ok.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "strata/http/ws/websocket.hpp"
#include "strata/rt/sync/broadcast.hpp"

namespace strata::http::ws {

class Room {
 public:
  explicit Room(std::size_t capacity = 256);

  // Encodes one message and queues it for every member; returns how many members get it.
  std::size_t publish(MessageType type, std::span<const std::byte> payload);
  std::size_t publish_text(std::string_view text) {
    return publish(MessageType::text, std::as_bytes(std::span(text)));
  }
  // Members forwarding now.
  std::size_t members() const { return tx_.receiver_count(); }

  // Writes the room's frames published from now on to `ws` until the room is gone (ok) or a
  // write fails (its error). The subscription starts when forward() is called.
  [[nodiscard]] Task<Result<void>> forward(WebSocket& ws);

 private:
  sync::broadcast::Sender<EncodedFrame> tx_;
};

}  // namespace strata::http::ws
