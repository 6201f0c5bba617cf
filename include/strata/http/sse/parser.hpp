// sse::Parser: an incremental text/event-stream parser per the WHATWG HTML standard
// ("Interpreting an event stream"), for clients.
//
//   sse::Parser parser;
//   auto on_event = [](sse::Event&& e) { use(e.event, e.data); };
//   Result<void> r = parser.feed("data: hello\n\n", on_event);   // bytes as they arrive
//   std::string_view id = parser.last_event_id();                // for Last-Event-ID
//
// What it does: strips one leading UTF-8 BOM; ends lines at CR, LF or CRLF (a CRLF split across
// two feeds counts once); ignores comment lines (":..."); splits "field: value" at the first
// colon, dropping one space after it; `data` lines are joined with LF; `event` sets the type
// ("message" by default); `id` sets the last event ID unless its value contains NUL; `retry`
// sets the reconnection time when it is ASCII digits only; unknown fields are ignored. A blank
// line dispatches the event if any data arrived (the trailing LF removed), then the data and
// type are reset (the last event ID stays). A partial event at the end of the stream is dropped
// (end() does that).
//
// Dispatched events have `event` set ("message" if none) and `id` set to the last event ID when
// it is non-empty; `retry` is left empty (read retry() instead).
// Limits: a line longer than max_line, or an event's data beyond max_data, fails feed() with
// std::errc::message_size (the stream is then unusable; reset() it). Defaults: 64 KiB, 1 MiB.
// Allocation: an event's strings (moved out to the callback); the partial-line buffer keeps its
// capacity.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "strata/http/sse/event.hpp"
#include "strata/rt/error.hpp"

namespace strata::http::sse {

struct ParserLimits {
  std::size_t max_line = 64 * 1024;
  std::size_t max_data = 1024 * 1024;
};

class Parser {
 public:
  explicit Parser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses `bytes`, calling on_event(Event&&) for each dispatched event.
  template <class F>
  Result<void> feed(std::string_view bytes, F&& on_event) {
    while (!bytes.empty()) {
      Step s = step(bytes);
      if (s == Step::error)
        return fail(Error(std::make_error_code(std::errc::message_size), "sse"));
      if (s == Step::event) on_event(take_event());
    }
    return Result<void>{};
  }
  // The end of the stream: drops an incomplete event and the partial line.
  void end() noexcept;
  // For a new connection (reconnect): like end(), and a BOM is expected again. The last event
  // ID and the retry time stay.
  void restart() noexcept;

  const std::string& last_event_id() const noexcept { return last_id_; }
  // Sets the last event ID as an `id` field would (a client resuming from a stored ID).
  void set_last_event_id(std::string id) { last_id_ = std::move(id); }
  // The last valid `retry` field's value, if any came.
  std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }

 private:
  enum class Step : unsigned char { more, event, error };
  // Consumes some of `bytes` (at least one byte, or the whole line): more, an event ready
  // (take_event()), or error.
  Step step(std::string_view& bytes);
  // Handles one complete line; true when it dispatched an event.
  bool process_line(std::string_view line);
  Event take_event();

  ParserLimits limits_;
  std::string line_;     // a line not yet complete
  std::string data_;     // the data buffer
  std::string type_;     // the event type buffer
  std::string last_id_;  // the last event ID buffer
  std::optional<std::chrono::milliseconds> retry_;
  unsigned char bom_seen_ = 0;  // bytes of a leading BOM matched (3 = done looking)
  bool skip_lf_ = false;        // the last line ended with CR: a LF next belongs to it
  bool failed_ = false;
};

}  // namespace strata::http::sse
