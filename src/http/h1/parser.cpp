// HTTP/1.1 head parsing: see include/strata/http/h1/parser.hpp for the rules.
//
// Two passes over a head, the first one cheap: (1) find the end of the head ("\r\n\r\n") with
// memchr for LF, checking on the way that every LF follows a CR and that the start line and the
// head stay within their limits; the search resumes where the previous call stopped, so feeding a
// head byte by byte costs O(n) in total; (2) once the head is complete, parse it in one pass with
// a 256-entry class table per byte for short runs (names, methods) and 16-byte SSE2 scans for
// long ones (targets, values), knowing the final CRLF exists. A 414-byte browser-like request
// takes about 100 ns (tests/http/h1_parse_timing.cpp).
#include "strata/http/h1/parser.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "strata/http/uri.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace strata::http::h1 {

namespace {

using detail::is;

constexpr ParseResult incomplete() noexcept {
  return {};
}
constexpr ParseResult error(ParseError e) noexcept {
  return {ParseStatus::error, e, 0};
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// The bulk scans below look at 16 bytes at a time where SSE2 exists (every x86-64): field values
// and targets are most of a head's bytes. They only read inside [p, end).

// The first byte in [p, end) that is not VCHAR / SP / HTAB / obs-text, or end.
const char* skip_field_value(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i ctl_max = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, ctl_max), x);  // x <= 0x1f
    const int mask = _mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(x, del)));
    if (mask == 0) {
      p += 16;
      continue;
    }
    p += __builtin_ctz(unsigned(mask));
    if (*p != '\t') return p;
    ++p;  // HTAB is allowed: keep going
  }
#endif
  while (p < end && is(*p, detail::k_field_vchar)) ++p;
  return p;
}

// The first byte in [p, end) outside 0x21-0x7e, or end.
const char* skip_target(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x);    // x <= 0x20
    const __m128i high = _mm_cmpeq_epi8(_mm_max_epu8(x, del), x);  // x >= 0x7f
    const int mask = _mm_movemask_epi8(_mm_or_si128(low, high));
    if (mask != 0) return p + __builtin_ctz(unsigned(mask));
    p += 16;
  }
#endif
  while (p < end && is(*p, detail::k_target)) ++p;
  return p;
}

// Pass 1. On Complete, `start` is the first byte of the start line and `consumed` the end of
// the head; `scan` is reset so the next call begins a new head.
ParseResult find_head(std::string_view buf, const Limits& lim, detail::HeadScan& scan, bool request,
                      std::size_t& start) noexcept {
  const char* b = buf.data();
  const std::size_t n = buf.size();
  std::size_t p = 0;
  if (request) {
    // Leading empty lines (RFC 9112 §2.2), bounded.
    std::size_t empty = 0;
    while (p < n && (b[p] == '\r' || b[p] == '\n')) {
      if (b[p] == '\n') return scan = {}, error(ParseError::bare_lf);
      if (p + 1 == n) return incomplete();
      if (b[p + 1] != '\n') return scan = {}, error(ParseError::bare_cr);
      if (++empty > lim.max_leading_empty_lines) {
        return scan = {}, error(ParseError::too_many_empty_lines);
      }
      p += 2;
    }
    if (p == n) return incomplete();
  }
  start = p;
  const ParseError line_too_long =
      request ? ParseError::uri_too_long : ParseError::start_line_too_long;
  // Each limit is crossed at a byte offset, and every check below is made in byte order, so the
  // outcome does not depend on how the input was split across calls. The start-line limit is
  // clamped so that it is crossed no later than the head limit.
  const std::size_t line_max =
      std::min(lim.max_start_line, lim.max_head_bytes > 0 ? lim.max_head_bytes - 1 : 0);
  std::size_t pos = std::max(scan.scanned, p);
  while (pos < n) {
    const void* hit = std::memchr(b + pos, '\n', n - pos);
    if (hit == nullptr) break;
    const std::size_t i = std::size_t(static_cast<const char*>(hit) - b);
    if (i == p) return scan = {}, error(ParseError::bare_lf);
    if (scan.line_end == 0 && i - 1 - p > line_max) return scan = {}, error(line_too_long);
    if (i + 1 - p > lim.max_head_bytes) return scan = {}, error(ParseError::head_too_large);
    if (b[i - 1] != '\r') return scan = {}, error(ParseError::bare_lf);
    if (scan.line_end == 0) {
      scan.line_end = i + 1;
    } else if (b[i - 2] == '\n') {
      // "\r\n\r\n": b[i - 3] is the CR of an LF checked before.
      scan = {};
      return {ParseStatus::complete, ParseError::none, i + 1};
    }
    pos = i + 1;
  }
  scan.scanned = n;
  if (scan.line_end == 0 && n - p > line_max + 1) return scan = {}, error(line_too_long);
  if (n - p > lim.max_head_bytes) return scan = {}, error(ParseError::head_too_large);
  return incomplete();
}

// Parses a field line starting at p, scanning no further than lim. On success p points at the
// byte that ended the value (CR, or lim); the caller checks it.
ParseError field_line(const char*& p, const char* lim, HeaderField& f) noexcept {
  const char* name = p;
  if (p < lim && is(*p, detail::k_ows)) return ParseError::obs_fold;
  while (p < lim && is(*p, detail::k_tchar)) ++p;
  if (p == lim || *p != ':') {
    if (p != name && p < lim && is(*p, detail::k_ows)) return ParseError::whitespace_before_colon;
    return ParseError::invalid_field_name;
  }
  if (p == name) return ParseError::invalid_field_name;
  f.name = std::string_view(name, std::size_t(p - name));
  ++p;
  while (p < lim && is(*p, detail::k_ows)) ++p;
  const char* value = p;
  p = skip_field_value(p, lim);
  const char* value_end = p;
  while (value_end > value && is(value_end[-1], detail::k_ows)) --value_end;
  f.value = std::string_view(value, std::size_t(value_end - value));
  return ParseError::none;
}

// Calls fn(element) for each non-empty element of a comma list (RFC 9110 §5.6.1), OWS trimmed.
// Stops early and returns fn's error if it returns one.
template <class Fn>
ParseError for_each_element(std::string_view list, Fn&& fn) noexcept {
  std::size_t i = 0;
  while (i <= list.size()) {
    std::size_t comma = list.find(',', i);
    if (comma == std::string_view::npos) comma = list.size();
    std::size_t a = i;
    std::size_t z = comma;
    while (a < z && is(list[a], detail::k_ows)) ++a;
    while (z > a && is(list[z - 1], detail::k_ows)) --z;
    if (a < z) {
      if (ParseError e = fn(list.substr(a, z - a)); e != ParseError::none) return e;
    }
    i = comma + 1;
  }
  return ParseError::none;
}

bool all_tchar(std::string_view s) noexcept {
  for (char c : s) {
    if (!is(c, detail::k_tchar)) return false;
  }
  return !s.empty();
}

// Framing facts gathered from the fields of one head.
struct Facts {
  std::optional<std::uint64_t> content_length;
  std::string_view host;
  std::uint32_t host_count = 0;
  std::uint32_t te_fields = 0;
  std::uint32_t te_codings = 0;
  std::uint32_t te_chunked = 0;
  bool te_last_chunked = false;
  bool te_other = false;  // a coding other than chunked (we implement only chunked)
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool upgrade_field = false;
  bool expect_continue = false;
};

ParseError parse_content_length(std::string_view v, Facts& f) noexcept {
  if (f.content_length) return ParseError::duplicate_content_length;
  if (v.empty()) return ParseError::invalid_content_length;
  std::uint64_t n = 0;
  for (char c : v) {
    if (!is_digit(c)) return ParseError::invalid_content_length;
    const auto d = std::uint64_t(c - '0');
    if (n > (UINT64_MAX - d) / 10) return ParseError::invalid_content_length;
    n = n * 10 + d;
  }
  f.content_length = n;
  return ParseError::none;
}

ParseError parse_transfer_encoding(std::string_view v, Facts& f) noexcept {
  ++f.te_fields;
  return for_each_element(v, [&f](std::string_view coding) {
    if (!all_tchar(coding)) return ParseError::invalid_transfer_encoding;  // e.g. parameters
    ++f.te_codings;
    if (detail::iequals_lower(coding, "chunked")) {
      if (++f.te_chunked > 1) return ParseError::invalid_transfer_encoding;
      f.te_last_chunked = true;
    } else {
      f.te_last_chunked = false;
      f.te_other = true;
    }
    return ParseError::none;
  });
}

ParseError parse_connection(std::string_view v, Facts& f) noexcept {
  return for_each_element(v, [&f](std::string_view opt) {
    if (detail::iequals_lower(opt, "close")) {
      f.conn_close = true;
    } else if (detail::iequals_lower(opt, "keep-alive")) {
      f.conn_keep_alive = true;
    } else if (detail::iequals_lower(opt, "upgrade")) {
      f.conn_upgrade = true;
    }
    return ParseError::none;
  });
}

// Records what a field means for framing; most fields mean nothing here.
ParseError apply_field(const HeaderField& h, Facts& f) noexcept {
  switch (h.name.size()) {
    case 4:
      if (detail::iequals_lower(h.name, "host")) {
        if (++f.host_count > 1) return ParseError::duplicate_host;
        f.host = h.value;
      }
      break;
    case 6:
      if (detail::iequals_lower(h.name, "expect") &&
          detail::iequals_lower(h.value, "100-continue")) {
        f.expect_continue = true;
      }
      break;
    case 7:
      if (detail::iequals_lower(h.name, "upgrade") && !h.value.empty()) f.upgrade_field = true;
      break;
    case 10:
      if (detail::iequals_lower(h.name, "connection")) return parse_connection(h.value, f);
      break;
    case 14:
      if (detail::iequals_lower(h.name, "content-length")) {
        return parse_content_length(h.value, f);
      }
      break;
    case 17:
      if (detail::iequals_lower(h.name, "transfer-encoding")) {
        return parse_transfer_encoding(h.value, f);
      }
      break;
    default:
      break;
  }
  return ParseError::none;
}

// Checks the Transfer-Encoding / Content-Length combination of RFC 9112 §6.1 and §6.3.
ParseError check_framing(const Facts& f, std::uint8_t minor, bool request) noexcept {
  if (f.te_fields == 0) return ParseError::none;
  if (minor == 0) return ParseError::transfer_encoding_in_http10;
  if (f.content_length) return ParseError::content_length_with_transfer_encoding;
  if (f.te_codings == 0) return ParseError::invalid_transfer_encoding;
  if (request && !f.te_last_chunked) return ParseError::chunked_not_final;
  if (f.te_other) return ParseError::unknown_transfer_coding;
  return ParseError::none;
}

// "HTTP/" DIGIT "." DIGIT, exactly 8 bytes.
ParseError parse_version(const char* v, std::uint8_t& major, std::uint8_t& minor) noexcept {
  if (std::memcmp(v, "HTTP/", 5) != 0 || !is_digit(v[5]) || v[6] != '.' || !is_digit(v[7])) {
    return ParseError::invalid_version;
  }
  major = std::uint8_t(v[5] - '0');
  minor = std::uint8_t(v[7] - '0');
  if (major != 1 || minor > 1) return ParseError::version_not_supported;
  return ParseError::none;
}

// Parses the field lines from p up to the head's final CRLF at `last` into `fields` and `facts`.
ParseError parse_fields(const char* p, const char* last, const Limits& lim, HeaderFields& fields,
                        Facts& facts) noexcept {
  const std::size_t max_fields = std::min(lim.max_headers, max_header_capacity);
  fields.clear();
  while (p < last) {
    HeaderField f;
    if (ParseError e = field_line(p, last, f); e != ParseError::none) return e;
    // The final CRLF at `last` guarantees the value scan stopped at a CR or another byte.
    if (*p != '\r') return ParseError::invalid_field_value;
    if (p[1] != '\n') return ParseError::bare_cr;
    p += 2;
    if (fields.size() == max_fields) return ParseError::too_many_fields;
    fields.push(f);
    if (ParseError e = apply_field(f, facts); e != ParseError::none) return e;
  }
  return ParseError::none;
}

ParseResult parse_request_head(std::string_view buf, const Limits& lim, detail::HeadScan& scan,
                               RequestHead& out) noexcept {
  std::size_t start = 0;
  ParseResult r = find_head(buf, lim, scan, true, start);
  if (!r.is_complete()) return r;
  const char* b = buf.data();
  const char* p = b + start;
  const char* last = b + r.consumed - 2;  // the final CRLF
  // The start line ends at the first CR LF, which find_head proved lies before `last`.
  const char* le = static_cast<const char*>(std::memchr(p, '\n', std::size_t(last - p))) - 1;

  const char* m = p;
  while (p < le && is(*p, detail::k_tchar)) ++p;
  if (p == m || *p != ' ') return error(ParseError::invalid_method);
  out.method = std::string_view(m, std::size_t(p - m));
  const char* t = ++p;
  // An origin-form target is checked against the URI grammar by the scan that finds its end, so
  // the server does not scan it again; any other target only for visible ASCII here.
  const std::size_t origin = Uri::origin_form_length(std::string_view(t, std::size_t(le - t)));
  out.origin_form = origin != 0;
  p = origin != 0 ? t + origin : skip_target(t, le);
  if (p == t || *p != ' ') return error(ParseError::invalid_target);
  out.target = std::string_view(t, std::size_t(p - t));
  ++p;
  ParseError ve = le - p == 8 ? parse_version(p, out.version_major, out.version_minor)
                              : ParseError::invalid_version;
  if (ve != ParseError::none) {
    // "GET /a b HTTP/1.1": name the space inside the target, not the version it displaced.
    if (ve == ParseError::invalid_version && le - p > 9 && le[-9] == ' ' &&
        std::memcmp(le - 8, "HTTP/", 5) == 0) {
      ve = ParseError::invalid_target;
    }
    return error(ve);
  }

  Facts facts;
  if (ParseError e = parse_fields(le + 2, last, lim, out.headers, facts); e != ParseError::none) {
    return error(e);
  }
  if (ParseError e = check_framing(facts, out.version_minor, true); e != ParseError::none) {
    return error(e);
  }
  if (facts.host_count == 0 && out.version_minor == 1) return error(ParseError::missing_host);

  out.host = facts.host;
  out.has_host = facts.host_count != 0;
  out.content_length = facts.content_length;
  out.chunked = facts.te_fields != 0;
  out.keep_alive = !facts.conn_close && (out.version_minor == 1 || facts.conn_keep_alive);
  out.expect_continue = facts.expect_continue && out.version_minor == 1;
  out.upgrade = facts.conn_upgrade && facts.upgrade_field;
  return r;
}

ParseResult parse_response_head(std::string_view buf, const Limits& lim, detail::HeadScan& scan,
                                ResponseHead& out, ResponseContext ctx) noexcept {
  std::size_t start = 0;
  ParseResult r = find_head(buf, lim, scan, false, start);
  if (!r.is_complete()) return r;
  const char* b = buf.data();
  const char* p = b + start;
  const char* last = b + r.consumed - 2;
  const char* le = static_cast<const char*>(std::memchr(p, '\n', std::size_t(last - p))) - 1;

  // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]; "200" CRLF without the second
  // SP is accepted too (servers send it; the reason phrase carries no meaning).
  if (le - p < 12) return error(ParseError::invalid_status_line);
  if (ParseError e = parse_version(p, out.version_major, out.version_minor);
      e != ParseError::none) {
    return error(e);
  }
  p += 8;
  if (*p++ != ' ' || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2])) {
    return error(ParseError::invalid_status_line);
  }
  out.status = std::uint16_t((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
  if (out.status < 100 || out.status > 599) return error(ParseError::invalid_status_line);
  p += 3;
  out.reason = {};
  if (p < le) {
    if (*p++ != ' ') return error(ParseError::invalid_status_line);
    const char* reason = p;
    p = skip_field_value(p, le);
    if (p != le) return error(ParseError::invalid_status_line);
    out.reason = std::string_view(reason, std::size_t(le - reason));
  }

  Facts facts;
  if (ParseError e = parse_fields(le + 2, last, lim, out.headers, facts); e != ParseError::none) {
    return error(e);
  }
  if (ParseError e = check_framing(facts, out.version_minor, false); e != ParseError::none) {
    return error(e);
  }
  out.content_length = facts.content_length;
  out.chunked = facts.te_fields != 0;
  out.upgrade = facts.conn_upgrade && facts.upgrade_field;
  const std::uint16_t s = out.status;
  if (ctx.head_request || s < 200 || s == 204 || s == 304 || (ctx.connect_request && s < 300)) {
    out.body = BodyKind::none;
  } else if (out.chunked) {
    out.body = BodyKind::chunked;
  } else if (out.content_length) {
    out.body = BodyKind::content_length;
  } else {
    out.body = BodyKind::close_delimited;
  }
  out.keep_alive = !facts.conn_close && (out.version_minor == 1 || facts.conn_keep_alive) &&
                   out.body != BodyKind::close_delimited;
  return r;
}

}  // namespace

int status_for(ParseError e) noexcept {
  switch (e) {
    case ParseError::uri_too_long:
      return 414;
    case ParseError::too_many_fields:
    case ParseError::head_too_large:
    case ParseError::trailer_too_large:  // trailers are fields too (RFC 9110 §6.5)
    case ParseError::too_many_trailers:
      return 431;
    case ParseError::unknown_transfer_coding:
      return 501;
    case ParseError::version_not_supported:
      return 505;
    default:
      return 400;
  }
}

std::string_view describe(ParseError e) noexcept {
  switch (e) {
    case ParseError::none:
      return "no error";
    case ParseError::invalid_method:
      return "invalid method";
    case ParseError::invalid_target:
      return "invalid request-target";
    case ParseError::uri_too_long:
      return "request-line too long";
    case ParseError::invalid_version:
      return "invalid HTTP version";
    case ParseError::version_not_supported:
      return "HTTP version not supported";
    case ParseError::invalid_status_line:
      return "invalid status-line";
    case ParseError::start_line_too_long:
      return "status-line too long";
    case ParseError::too_many_empty_lines:
      return "too many empty lines before the request-line";
    case ParseError::bare_cr:
      return "bare CR";
    case ParseError::bare_lf:
      return "bare LF";
    case ParseError::obs_fold:
      return "obsolete line folding";
    case ParseError::whitespace_before_colon:
      return "whitespace between field name and colon";
    case ParseError::invalid_field_name:
      return "invalid field name";
    case ParseError::invalid_field_value:
      return "invalid character in field value";
    case ParseError::too_many_fields:
      return "too many header fields";
    case ParseError::head_too_large:
      return "header section too large";
    case ParseError::missing_host:
      return "HTTP/1.1 request without Host";
    case ParseError::duplicate_host:
      return "more than one Host field";
    case ParseError::invalid_content_length:
      return "invalid Content-Length";
    case ParseError::duplicate_content_length:
      return "more than one Content-Length field";
    case ParseError::content_length_with_transfer_encoding:
      return "Content-Length together with Transfer-Encoding";
    case ParseError::invalid_transfer_encoding:
      return "invalid Transfer-Encoding";
    case ParseError::chunked_not_final:
      return "chunked is not the final transfer coding";
    case ParseError::unknown_transfer_coding:
      return "transfer coding not implemented";
    case ParseError::transfer_encoding_in_http10:
      return "Transfer-Encoding in HTTP/1.0";
    case ParseError::invalid_chunk_size:
      return "invalid chunk size";
    case ParseError::chunk_size_too_long:
      return "chunk size has too many digits";
    case ParseError::invalid_chunk_ext:
      return "invalid chunk extension";
    case ParseError::chunk_ext_too_long:
      return "chunk extension too long";
    case ParseError::missing_chunk_crlf:
      return "chunk data not followed by CRLF";
    case ParseError::trailer_too_large:
      return "trailer section too large";
    case ParseError::too_many_trailers:
      return "too many trailer fields";
    case ParseError::forbidden_trailer_field:
      return "framing field in trailer section";
  }
  return "unknown HTTP/1 parse error";
}

const std::error_category& h1_category() noexcept {
  struct Category final : std::error_category {
    const char* name() const noexcept override { return "strata.http.h1"; }
    std::string message(int ev) const override {
      return std::string(describe(static_cast<ParseError>(ev)));
    }
  };
  static const Category category;
  return category;
}

std::optional<std::string_view> HeaderFields::find(std::string_view name) const noexcept {
  for (const HeaderField& f : *this) {
    if (f.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; };
      same = lower(f.name[i]) == lower(name[i]);
    }
    if (same) return f.value;
  }
  return std::nullopt;
}

ParseResult RequestParser::parse(std::string_view buf, RequestHead& out) noexcept {
  return parse_request_head(buf, limits_, scan_, out);
}

ParseResult ResponseParser::parse(std::string_view buf, ResponseHead& out,
                                  ResponseContext ctx) noexcept {
  return parse_response_head(buf, limits_, scan_, out, ctx);
}

ParseResult parse_request(std::string_view buf, const Limits& limits, RequestHead& out) noexcept {
  detail::HeadScan scan;
  return parse_request_head(buf, limits, scan, out);
}

ParseResult parse_response(std::string_view buf, const Limits& limits, ResponseHead& out,
                           ResponseContext ctx) noexcept {
  detail::HeadScan scan;
  return parse_response_head(buf, limits, scan, out, ctx);
}

namespace detail {

ParseError parse_field_line(std::string_view line, HeaderField& out) noexcept {
  const char* p = line.data();
  const char* end = p + line.size();
  if (ParseError e = field_line(p, end, out); e != ParseError::none) return e;
  if (p != end) return *p == '\r' ? ParseError::bare_cr : ParseError::invalid_field_value;
  return ParseError::none;
}

}  // namespace detail
}  // namespace strata::http::h1
