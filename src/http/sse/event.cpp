#include "strata/http/sse/event.hpp"

#include <charconv>

namespace strata::http::sse {

namespace {

constexpr std::string_view data_prefix = "data: ";

// The length of `v` without the characters in `drop`.
std::size_t kept_size(std::string_view v, std::string_view drop) noexcept {
  std::size_t n = v.size();
  for (char c : v) n -= drop.find(c) != std::string_view::npos;
  return n;
}

void append_kept(std::string& out, std::string_view v, std::string_view drop) {
  for (std::size_t pos = 0; pos < v.size();) {
    const std::size_t bad = v.find_first_of(drop, pos);
    const std::size_t end = bad == std::string_view::npos ? v.size() : bad;
    out.append(v.substr(pos, end - pos));
    pos = end + 1;
  }
}

constexpr std::string_view line_ends("\r\n", 2);
constexpr std::string_view id_drop("\r\n\0", 3);

// Calls f(line) for each line of `data` (split at CR, LF, CRLF; at least one line).
template <class F>
void for_each_line(std::string_view data, F&& f) {
  for (;;) {
    const std::size_t eol = data.find_first_of(line_ends);
    if (eol == std::string_view::npos) {
      f(data);
      return;
    }
    f(data.substr(0, eol));
    std::size_t skip = 1;
    if (data[eol] == '\r' && eol + 1 < data.size() && data[eol + 1] == '\n') skip = 2;
    data.remove_prefix(eol + skip);
  }
}

std::size_t digits(long long v) noexcept {
  std::size_t n = 1;
  while (v >= 10) v /= 10, ++n;
  return n;
}

// Data lines are sent unless the event only sets fields (an id or a retry, no data, no type):
// a client then updates its last event ID or delay and dispatches nothing.
bool has_data_lines(const Event& e) noexcept {
  return !e.data.empty() || !e.event.empty() || (!e.id && !e.retry);
}

}  // namespace

std::size_t encoded_size(const Event& e) noexcept {
  std::size_t n = 1;                                                       // the blank line
  if (!e.event.empty()) n += 8 + kept_size(e.event, line_ends);            // "event: " ... "\n"
  if (e.id) n += 5 + kept_size(*e.id, id_drop);                            // "id: " ... "\n"
  if (e.retry) n += 8 + digits(std::max<long long>(0, e.retry->count()));  // "retry: " "\n"
  if (has_data_lines(e)) {
    for_each_line(e.data,
                  [&](std::string_view line) { n += data_prefix.size() + line.size() + 1; });
  }
  return n;
}

void append_event(std::string& out, const Event& e) {
  out.reserve(out.size() + encoded_size(e));
  if (!e.event.empty()) {
    out.append("event: ");
    append_kept(out, e.event, line_ends);
    out.push_back('\n');
  }
  if (e.id) {
    out.append("id: ");
    append_kept(out, *e.id, id_drop);
    out.push_back('\n');
  }
  if (e.retry) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::max<long long>(0, e.retry->count()));
    (void)ec;
    out.append("retry: ");
    out.append(buf, end);
    out.push_back('\n');
  }
  if (has_data_lines(e)) {
    for_each_line(e.data, [&](std::string_view line) {
      out.append(data_prefix);
      out.append(line);
      out.push_back('\n');
    });
  }
  out.push_back('\n');
}

void append_comment(std::string& out, std::string_view text) {
  out.push_back(':');
  append_kept(out, text, line_ends);
  out.push_back('\n');
}

}  // namespace strata::http::sse
