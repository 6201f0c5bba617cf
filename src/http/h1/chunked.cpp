// The chunked decoder: a byte-driven state machine for the framing, bulk slices for the data.
// Framing bytes are few (a size line per chunk), so a switch per byte costs little; data bytes
// are never looked at one by one.
#include "strata/http/h1/chunked.hpp"

#include <algorithm>

namespace strata::http::h1 {

namespace {

using detail::is;

// The value of a hex digit, or -1.
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::uint8_t max_size_digits = 16;  // 64 bits: no overflow check needed beyond this

}  // namespace

void ChunkedDecoder::reset() noexcept {
  state_ = State::size_first;
  error_ = ParseError::none;
  size_digits_ = 0;
  ext_bytes_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  trailer_total_ = 0;
  line_start_ = 0;
  trailer_bytes_.clear();
  trailers_.clear();
}

ChunkedStep ChunkedDecoder::fail(ParseError e, std::size_t consumed) noexcept {
  state_ = State::error;
  error_ = e;
  return {ChunkedStatus::error, e, consumed, {}};
}

// Validates the trailer line that ends at the end of trailer_bytes_.
ParseError ChunkedDecoder::end_trailer_line() noexcept {
  const std::string_view line(trailer_bytes_.data() + line_start_,
                              trailer_bytes_.size() - line_start_);
  HeaderField f;
  if (ParseError e = detail::parse_field_line(line, f); e != ParseError::none) return e;
  if (detail::iequals_lower(f.name, "content-length") ||
      detail::iequals_lower(f.name, "transfer-encoding")) {
    return ParseError::forbidden_trailer_field;
  }
  if (trailers_.size() >= limits_.max_trailers) return ParseError::too_many_trailers;
  // Record a placeholder now (counts fields); views are built at the end, when the storage no
  // longer moves.
  trailers_.push_back({});
  trailer_bytes_.push_back('\n');
  line_start_ = trailer_bytes_.size();
  return ParseError::none;
}

ChunkedStep ChunkedDecoder::decode(std::string_view in) noexcept {
  if (state_ == State::done) return {ChunkedStatus::done, ParseError::none, 0, {}};
  if (state_ == State::error) return {ChunkedStatus::error, error_, 0, {}};
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = in[i];
    switch (state_) {
      case State::size_first:
      case State::size: {
        const int v = hex_value(c);
        if (v >= 0) {
          if (++size_digits_ > max_size_digits) return fail(ParseError::chunk_size_too_long, i);
          remaining_ = (remaining_ << 4) | std::uint64_t(v);
          state_ = State::size;
          break;
        }
        if (state_ == State::size_first) return fail(ParseError::invalid_chunk_size, i);
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (is(c, detail::k_ows)) {
          state_ = State::size_ws;
        } else {
          return fail(c == '\n' ? ParseError::bare_lf : ParseError::invalid_chunk_size, i);
        }
        break;
      }
      case State::size_ws:
        if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (!is(c, detail::k_ows)) {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::size_lf:
        if (c != '\n') return fail(ParseError::bare_cr, i);
        size_digits_ = 0;
        ext_bytes_ = 0;
        state_ = remaining_ == 0 ? State::trailer_start : State::data;
        break;
      case State::data: {
        const std::size_t take = std::size_t(std::min<std::uint64_t>(remaining_, n - i));
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) state_ = State::data_cr;
        return {ChunkedStatus::data, ParseError::none, i + take, in.substr(i, take)};
      }
      case State::data_cr:
        if (c != '\r') return fail(ParseError::missing_chunk_crlf, i);
        state_ = State::data_lf;
        break;
      case State::data_lf:
        if (c != '\n') return fail(ParseError::missing_chunk_crlf, i);
        state_ = State::size_first;
        break;
      case State::trailer_start:
        if (c == '\r') {
          state_ = State::final_lf;
          break;
        }
        [[fallthrough]];
      case State::trailer_line:
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (c == '\n') {
          return fail(ParseError::bare_lf, i);
        } else {
          trailer_bytes_.push_back(c);
          state_ = State::trailer_line;
        }
        break;
      case State::trailer_lf:
        if (c != '\n') return fail(ParseError::bare_cr, i);
        if (ParseError e = end_trailer_line(); e != ParseError::none) return fail(e, i);
        state_ = State::trailer_start;
        break;
      case State::final_lf: {
        if (c != '\n') return fail(ParseError::bare_cr, i);
        state_ = State::done;
        // Build the views now that trailer_bytes_ is final.
        std::size_t pos = 0;
        for (HeaderField& f : trailers_) {
          const std::size_t lf = trailer_bytes_.find('\n', pos);
          (void)detail::parse_field_line(std::string_view(trailer_bytes_).substr(pos, lf - pos), f);
          pos = lf + 1;
        }
        return {ChunkedStatus::done, ParseError::none, i + 1, {}};
      }
      // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), skipped.
      case State::ext_pre_name:
        if (is(c, detail::k_tchar)) {
          state_ = State::ext_name;
        } else if (!is(c, detail::k_ows)) {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::ext_name:
      case State::ext_token:
        if (is(c, detail::k_tchar)) break;
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (c == '=' && state_ == State::ext_name) {
          state_ = State::ext_pre_value;
        } else if (is(c, detail::k_ows)) {
          state_ = state_ == State::ext_name ? State::ext_post_name : State::ext_post_value;
        } else {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::ext_post_name:
        if (c == '=') {
          state_ = State::ext_pre_value;
        } else if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (!is(c, detail::k_ows)) {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::ext_pre_value:
        if (is(c, detail::k_tchar)) {
          state_ = State::ext_token;
        } else if (c == '"') {
          state_ = State::ext_quoted;
        } else if (!is(c, detail::k_ows)) {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::ext_quoted:
        if (c == '"') {
          state_ = State::ext_post_quoted;
        } else if (c == '\\') {
          state_ = State::ext_escape;
        } else if (!is(c, detail::k_qdtext)) {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::ext_escape:
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (!is(c, detail::k_field_vchar)) return fail(ParseError::invalid_chunk_ext, i);
        state_ = State::ext_quoted;
        break;
      case State::ext_post_quoted:
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (is(c, detail::k_ows)) {
          state_ = State::ext_post_value;
        } else {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::ext_post_value:
        if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (!is(c, detail::k_ows)) {
          return fail(ParseError::invalid_chunk_ext, i);
        }
        break;
      case State::done:
      case State::error:
        break;  // handled before the loop
    }
    // Bounds on what the framing may hold, counted on the byte just taken: whitespace after a
    // size and the extensions count against max_chunk_ext_bytes, so no line grows unbounded.
    if (state_ >= State::size_ws && state_ <= State::ext_post_value &&
        ++ext_bytes_ > limits_.max_chunk_ext_bytes) {
      return fail(ParseError::chunk_ext_too_long, i);
    }
    if (state_ >= State::trailer_start && state_ <= State::final_lf &&
        ++trailer_total_ > limits_.max_trailer_bytes) {
      return fail(ParseError::trailer_too_large, i);
    }
    ++i;
  }
  return {ChunkedStatus::need_more, ParseError::none, n, {}};
}

}  // namespace strata::http::h1
