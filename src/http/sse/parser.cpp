#include "strata/http/sse/parser.hpp"

#include <cstring>

namespace strata::http::sse {

namespace {
constexpr char bom[3] = {'\xEF', '\xBB', '\xBF'};
}

Parser::Step Parser::step(std::string_view& bytes) {
  if (failed_) return Step::error;
  // A leading BOM (possibly split across feeds) is dropped; a partial match that fails is data.
  while (bom_seen_ < 3 && !bytes.empty()) {
    if (bytes.front() == bom[bom_seen_]) {
      ++bom_seen_;
      bytes.remove_prefix(1);
      continue;
    }
    line_.append(bom, bom_seen_);
    bom_seen_ = 3;
  }
  if (bytes.empty()) return Step::more;
  if (skip_lf_) {
    skip_lf_ = false;
    if (bytes.front() == '\n') {
      bytes.remove_prefix(1);
      return Step::more;
    }
  }
  const char* p = bytes.data();
  const void* cr = std::memchr(p, '\r', bytes.size());
  const void* lf = std::memchr(p, '\n', bytes.size());
  const char* eol = static_cast<const char*>(cr);
  if (!eol || (lf && static_cast<const char*>(lf) < eol)) eol = static_cast<const char*>(lf);
  if (!eol) {  // no line end yet: keep the partial line
    if (line_.size() + bytes.size() > limits_.max_line) {
      failed_ = true;
      return Step::error;
    }
    line_.append(bytes);
    bytes = {};
    return Step::more;
  }
  const std::size_t n = static_cast<std::size_t>(eol - p);
  if (line_.size() + n > limits_.max_line) {
    failed_ = true;
    return Step::error;
  }
  std::string_view line(p, n);
  if (!line_.empty()) {
    line_.append(line);
    line = line_;
  }
  if (*eol == '\r') skip_lf_ = true;
  bytes.remove_prefix(n + 1);
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }
  const bool dispatched = process_line(line);
  line_.clear();
  if (failed_) return Step::error;
  return dispatched ? Step::event : Step::more;
}

bool Parser::process_line(std::string_view line) {
  if (line.empty()) {  // dispatch, unless no data came: then only the type is reset
    if (!data_.empty()) return true;
    type_.clear();
    return false;
  }
  if (line.front() == ':') return false;  // a comment
  std::string_view field = line, value;
  if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > limits_.max_data) {
      failed_ = true;
      return false;
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  } else if (field == "retry") {
    if (value.empty() || value.size() > 18) return false;  // (18 digits cannot overflow)
    long long ms = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return false;
      ms = ms * 10 + (c - '0');
    }
    retry_ = std::chrono::milliseconds(ms);
  }
  return false;
}

Event Parser::take_event() {
  Event e;
  data_.pop_back();  // the LF after the last data line
  e.data = std::move(data_);
  e.event = type_.empty() ? std::string("message") : std::move(type_);
  if (!last_id_.empty()) e.id = last_id_;
  data_.clear();
  type_.clear();
  return e;
}

void Parser::end() noexcept {
  line_.clear();
  data_.clear();
  type_.clear();
  skip_lf_ = false;
}

void Parser::restart() noexcept {
  end();
  bom_seen_ = 0;
  failed_ = false;
}

}  // namespace strata::http::sse
