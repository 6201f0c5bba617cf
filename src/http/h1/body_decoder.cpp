#include "strata/http/h1/body_decoder.hpp"

#include <algorithm>

#include "strata/rt/error.hpp"

namespace strata::http::h1 {

void BodyDecoder::start(BodyKind kind, std::uint64_t length, std::uint64_t max_bytes) noexcept {
  kind_ = kind;
  remaining_ = length;
  total_ = 0;
  max_bytes_ = max_bytes;
  error_ = {};
  state_ = State::reading;
  if (kind == BodyKind::none || (kind == BodyKind::content_length && length == 0)) {
    state_ = State::done;
  }
  if (kind == BodyKind::chunked) chunked_.reset();
}

BodyStep BodyDecoder::fail(std::error_code e, std::size_t consumed) noexcept {
  state_ = State::failed;
  error_ = e;
  BodyStep s;
  s.status = BodyStatus::error;
  s.consumed = consumed;
  s.error = e;
  return s;
}

BodyStep BodyDecoder::deliver(std::string_view data, std::size_t consumed) noexcept {
  total_ += data.size();
  if (max_bytes_ != 0 && total_ > max_bytes_) {
    return fail(std::make_error_code(std::errc::message_size), consumed);
  }
  BodyStep s;
  s.status = BodyStatus::data;
  s.consumed = consumed;
  s.data = data;
  return s;
}

BodyStep BodyDecoder::decode(std::string_view in) noexcept {
  BodyStep s;
  if (state_ == State::done) {
    s.status = BodyStatus::done;
    return s;
  }
  if (state_ == State::failed) {
    s.status = BodyStatus::error;
    s.error = error_;
    return s;
  }
  switch (kind_) {
    case BodyKind::content_length: {
      if (in.empty()) return s;
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::done;
      return deliver(in.substr(0, n), n);
    }
    case BodyKind::chunked: {
      std::size_t consumed = 0;
      for (;;) {  // framing-only steps are skipped: return data, the end, an error or need_more
        ChunkedStep c = chunked_.decode(in.substr(consumed));
        consumed += c.consumed;
        switch (c.status) {
          case ChunkedStatus::error:
            return fail(make_error_code(c.error), consumed);
          case ChunkedStatus::done:
            state_ = State::done;
            s.status = BodyStatus::done;
            s.consumed = consumed;
            return s;
          case ChunkedStatus::data:
            if (!c.data.empty()) return deliver(c.data, consumed);
            break;
          case ChunkedStatus::need_more:
            s.consumed = consumed;
            return s;
        }
        if (consumed == in.size() || c.consumed == 0) {
          s.consumed = consumed;
          return s;
        }
      }
    }
    case BodyKind::close_delimited:
      if (in.empty()) return s;
      return deliver(in, in.size());
    case BodyKind::none:
      break;
  }
  state_ = State::done;
  s.status = BodyStatus::done;
  return s;
}

BodyStep BodyDecoder::end_of_input() noexcept {
  if (state_ == State::reading && kind_ == BodyKind::close_delimited) state_ = State::done;
  if (state_ == State::done) {
    BodyStep s;
    s.status = BodyStatus::done;
    return s;
  }
  if (state_ == State::failed) return fail(error_, 0);
  return fail(make_error_code(Errc::closed), 0);
}

std::optional<std::uint64_t> BodyDecoder::size_hint() const noexcept {
  if (state_ == State::done) return 0;
  if (kind_ == BodyKind::content_length && state_ == State::reading) return remaining_;
  return std::nullopt;
}

}  // namespace strata::http::h1
