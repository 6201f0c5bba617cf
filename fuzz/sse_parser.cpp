// Fuzzes the text/event-stream parser (strata/http/sse/parser.hpp). For every input:
//
//   - fed whole, byte by byte, and cut at a point the input chooses, the parser dispatches the
//     same events and ends with the same last event ID and retry (incremental = whole);
//   - no dispatched event's data exceeds the limit, and an event's type is never empty;
//   - every dispatched event, encoded again (sse::append_event), parses back to itself (data,
//     type and ID), so the encoder can carry whatever the parser delivers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "strata/http/sse/event.hpp"
#include "strata/http/sse/parser.hpp"

namespace {

namespace sse = strata::http::sse;

constexpr strata::fuzz::Check check{"sse_parser"};
constexpr sse::ParserLimits limits{.max_line = 4096, .max_data = 8192};

struct Outcome {
  std::vector<sse::Event> events;
  std::string last_id;
  std::optional<std::chrono::milliseconds> retry;
  bool failed = false;
};

Outcome parse(std::string_view in, std::size_t piece) {
  sse::Parser p(limits);
  Outcome o;
  while (!in.empty() && !o.failed) {
    const std::size_t n = std::min(piece, in.size());
    auto fed = p.feed(in.substr(0, n), [&](sse::Event&& e) { o.events.push_back(std::move(e)); });
    if (!fed) o.failed = true;
    in.remove_prefix(n);
  }
  o.last_id = p.last_event_id();
  o.retry = p.retry();
  return o;
}

bool same_event(const sse::Event& a, const sse::Event& b) {
  return a.data == b.data && a.event == b.event && a.id == b.id;
}

void compare(const Outcome& a, const Outcome& b, std::string_view in) {
  check(a.failed == b.failed, "incremental verdict differs", in);
  if (a.failed) return;  // after a failure the events before it may differ in count: no more
  check(a.events.size() == b.events.size(), "incremental event count differs", in);
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    check(same_event(a.events[i], b.events[i]), "incremental event differs", in);
  }
  check(a.last_id == b.last_id, "incremental last id differs", in);
  check(a.retry == b.retry, "incremental retry differs", in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = parse(in, in.size() + 1);
  compare(whole, parse(in, 1), in);
  compare(whole, parse(in, 1 + data[0] % 16), in);
  for (const sse::Event& e : whole.events) {
    check(e.data.size() <= limits.max_data, "data over the limit", in);
    check(!e.event.empty(), "empty event type", in);
    std::string wire;
    sse::append_event(wire, e);
    check(wire.size() == sse::encoded_size(e), "encoded_size disagrees", in);
    sse::Parser again;
    std::vector<sse::Event> back;
    auto fed = again.feed(wire, [&](sse::Event&& b) { back.push_back(std::move(b)); });
    check(fed.has_value() && back.size() == 1, "re-encoded event does not parse as one", in);
    check(same_event(back[0], e), "re-encoded event differs", in);
  }
  return 0;
}
