// sse::Event: one server-sent event, and its encoding on the wire (text/event-stream, WHATWG
// HTML "Server-sent events").
//
//   sse::Event e;
//   e.data = "line one\nline two";
//   e.event = "update";
//   e.id = "42";
//   std::string out;
//   sse::append_event(out, e);   // "event: update\nid: 42\ndata: line one\ndata: line two\n\n"
//   sse::append_comment(out, "");                                 // ":\n" (a heartbeat)
//
// Encoding: `data` is split at every CR, LF or CRLF into one `data:` line each (an empty data
// is one empty `data:` line, so the event is still dispatched, except for an event that only
// sets fields: an id or a retry with no data and no type sends no `data:` line, and the client
// records the field without dispatching anything); `event` and `id` lose any CR
// and LF (and `id` any NUL, which a client would ignore the field for), so a value can never
// inject a field. Allocation: append_event() appends exactly encoded_size(e) bytes, reserving
// them first, so a reused `out` allocates nothing once it is large enough.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace strata::http::sse {

struct Event {
  std::string data;
  // The event type; empty means "message" (not sent).
  std::string event;
  // The event ID (the client's Last-Event-ID); nullopt sends no `id:` field, "" resets it.
  std::optional<std::string> id;
  // Tells the client to wait this long before reconnecting.
  std::optional<std::chrono::milliseconds> retry;
};

// The bytes append_event() adds for `e`.
std::size_t encoded_size(const Event& e) noexcept;
// Appends `e` as fields and the blank line that dispatches it.
void append_event(std::string& out, const Event& e);
// Appends a comment line (":" text "\n", CR and LF dropped): clients ignore it; it keeps idle
// connections (and proxies) alive.
void append_comment(std::string& out, std::string_view text);

}  // namespace strata::http::sse
