// sse::response(): a `text/event-stream` response fed by a producer task or a channel of
// sse::Event, over HTTP/1.1 (chunked) or HTTP/2 alike.
//
//   Task<void> ticks(sse::Sink sink, std::string last_event_id) {
//     int i = last_event_id.empty() ? 0 : std::stoi(last_event_id) + 1;   // resume after it
//     for (;; ++i) {
//       sse::Event e;
//       e.data = e.id.emplace(std::to_string(i));
//       Result<void> sent = co_await sink.send(std::move(e));
//       if (!sent) co_return;                      // the client left, or the server shuts down
//       co_await strata::sleep(std::chrono::seconds(1));
//     }
//   }
//   Task<http::Response> events(http::Request& req) {
//     co_return sse::response(req, ticks);                     // or a channel's Receiver
//   }
//
// The response: 200, Content-Type text/event-stream, Cache-Control no-cache, no
// Content-Length, so HTTP/1.1 sends it chunked and HTTP/2 as DATA frames, each event written
// (flushed) as soon as it is produced. Nothing compresses it (the server has no response
// compression, and the stream sets no Content-Encoding).
// Heartbeats: a comment line (":\n") after every `heartbeat` without an event (default 15 s;
// zero = none), so that proxies keep the connection and a dead client is found by the write.
// End: the stream ends when the producer returns (or every Sender of the channel is gone),
// when the client goes away (HTTP/1.1: the connection watches the socket while the stream
// waits, so a hang-up is seen at once; HTTP/2: RST_STREAM or the connection's end), or when the
// server shuts down (Server::shutdown(): open streams end at once instead of holding the grace
// period). Then the body is dropped: the channel closes, so the producer's next send() fails
// with Errc::closed, and a producer task started by response() is aborted (its frame and its
// locals destroyed).
// Threads: the stream is polled by the connection's task; the producer may run anywhere (the
// channel is thread-safe). Allocation: each event is encoded into one buffer the stream reuses
// (sse::append_event), so an event costs its own strings and nothing per write.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/sse/event.hpp"
#include "strata/rt/sync/mpsc.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

namespace strata::http::sse {

struct StreamConfig {
  // A comment line after this long without an event; zero = no heartbeats.
  Duration heartbeat = std::chrono::seconds(15);
  // Events queued between the producer and the connection (backpressure beyond).
  std::size_t capacity = 16;
  // Sent first (`retry:`): the client's reconnection delay.
  std::optional<std::chrono::milliseconds> retry;
};

// The producer's end of a stream: send() waits while `capacity` events are queued.
class Sink {
 public:
  explicit Sink(sync::mpsc::Sender<Event> tx) noexcept : tx_(std::move(tx)) {}
  // Errors: Errc::closed once the stream ended (client gone, server shutting down).
  Task<Result<void>> send(Event e);
  // True once the stream ended.
  bool is_closed() const { return tx_.is_closed(); }
  // Completes when the stream ends (to stop a producer that waits on something else).
  auto closed() noexcept { return tx_.closed(); }

 private:
  sync::mpsc::Sender<Event> tx_;
};

// Produces the events of one stream; `last_event_id` is the request's Last-Event-ID ("" if
// none). Run as its own task on the current runtime.
using Producer = std::move_only_function<Task<void>(Sink sink, std::string last_event_id)>;

// The Last-Event-ID the client sent when reconnecting, if any.
std::optional<std::string_view> last_event_id(const Request& req);

// A stream of the events a producer task sends (spawned now; aborted when the stream ends).
Response response(const Request& req, Producer producer, StreamConfig config = {});
// A stream of the events received from `events` (it ends when every Sender is gone).
Response response(const Request& req, sync::mpsc::Receiver<Event> events, StreamConfig config = {});

}  // namespace strata::http::sse
