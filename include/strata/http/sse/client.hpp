// sse::EventSource: reads a text/event-stream over http::Client, reconnecting like a browser's
// EventSource (WHATWG HTML): with Last-Event-ID after a drop, after the server's `retry` delay.
//
//   http::Client client;
//   sse::EventSource source(client, "http://127.0.0.1:8080/sse?count=3&interval_ms=10");
//   for (;;) {
//     Result<sse::Event> e = co_await source.next();
//     if (!e) break;                   // a fatal answer (not 200 text/event-stream), or gave up
//     use(e->id.value_or(""), e->data);
//   }
//
// Reconnection: when the response ends or breaks (EOF, reset, timeout) or a connection fails,
// next() waits the reconnection delay (the last `retry` the server sent, else
// EventSourceConfig::retry) and requests again with `Last-Event-ID: <the last event ID>` if
// there is one, at most max_reconnects times in a row without an event in between. A response
// that is not 200 with Content-Type text/event-stream fails next() without a retry
// (EventSourceErrc::bad_status / bad_content_type), as a browser's EventSource does.
// Threads: one task at a time uses an EventSource. Cancel safety: dropping a next() loses at
// most the events parsed from the chunk it was reading. Limits: the parser's (sse::Parser).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <system_error>

#include "strata/http/client.hpp"
#include "strata/http/sse/event.hpp"
#include "strata/http/sse/parser.hpp"
#include "strata/rt/task.hpp"

namespace strata::http::sse {

enum class EventSourceErrc {
  bad_status = 1,       // the server answered with a status other than 200
  bad_content_type,     // ... or not with text/event-stream
  too_many_reconnects,  // max_reconnects attempts in a row failed
  closed,               // close() was called
};
const std::error_category& event_source_category() noexcept;
std::error_code make_error_code(EventSourceErrc e) noexcept;

struct EventSourceConfig {
  // The reconnection delay until the server sends `retry`.
  std::chrono::milliseconds retry{3000};
  // Reconnections in a row (no event received between them) before next() gives up.
  std::size_t max_reconnects = 16;
  // The ID to resume after on the first request (as if the stream had sent it).
  std::string last_event_id;
  ParserLimits limits{};
};

class EventSource {
 public:
  EventSource(Client client, std::string url, EventSourceConfig config = {});

  // The next event, connecting or reconnecting as needed.
  Task<Result<Event>> next();
  // Drops the connection; next() then fails with EventSourceErrc::closed.
  void close();

  const std::string& last_event_id() const noexcept { return parser_.last_event_id(); }
  // The delay before the next reconnection.
  std::chrono::milliseconds retry() const noexcept {
    return parser_.retry().value_or(config_.retry);
  }
  // Responses received (the first connection and every reconnection that succeeded).
  std::size_t connections() const noexcept { return connections_; }

 private:
  Task<Result<void>> connect();

  Client client_;
  std::string url_;
  EventSourceConfig config_;
  Parser parser_;
  std::optional<Response> response_;
  std::deque<Event> ready_;
  std::size_t connections_ = 0;
  std::size_t failures_ = 0;  // attempts in a row without an event
  bool closed_ = false;
};

}  // namespace strata::http::sse

template <>
struct std::is_error_code_enum<strata::http::sse::EventSourceErrc> : std::true_type {};
