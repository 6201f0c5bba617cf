// Fuzzes the HTTP/1.1 request head parser (strata/http/h1/parser.hpp). For every input:
//
//   - the one-shot parse completes, is incomplete, or fails with a typed error whose status is
//     400, 414, 431, 501 or 505; it never reads outside the input (ASan);
//   - a completed head satisfies the grammar it claims: views inside the head, method a token,
//     target visible ASCII, names tokens, values without OWS at either end or controls, version
//     1.0/1.1, framing facts consistent (never chunked with a Content-Length; Host in 1.1), and
//     the head ends with CRLFCRLF; `origin_form` is set exactly when Uri::parse_origin_form
//     accepts the target;
//   - feeding the same bytes in two pieces (a split derived from the input) and byte by byte on
//     a RequestParser gives exactly the one-shot result;
//   - tighter limits never accept what the default limits refuse or change what is accepted;
//   - pipelined heads after the first are parsed too, each satisfying the same checks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/http/uri.hpp"

namespace {

using namespace strata::http::h1;

using strata::fuzz::all_of;
using strata::fuzz::inside;
constexpr strata::fuzz::Check check{"h1_request"};

void check_head(const ParseResult& r, const RequestHead& h, std::string_view in) {
  using namespace strata::http::h1::detail;
  check(r.consumed >= 4 && r.consumed <= in.size(), "consumed out of range", in);
  const std::string_view head = in.substr(0, r.consumed);
  check(head.substr(head.size() - 4) == "\r\n\r\n", "head does not end with CRLFCRLF", in);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') check(i > 0 && head[i - 1] == '\r', "bare LF accepted", in);
    if (head[i] == '\r') check(i + 1 < head.size() && head[i + 1] == '\n', "bare CR accepted", in);
  }
  check(!h.method.empty() && all_of(h.method, k_tchar) && inside(h.method, head), "bad method", in);
  check(!h.target.empty() && all_of(h.target, k_target) && inside(h.target, head), "bad target",
        in);
  check(h.version_major == 1 && h.version_minor <= 1, "bad version", in);
  check(h.headers.size() <= Limits{}.max_headers, "too many fields", in);
  for (const HeaderField& f : h.headers) {
    check(!f.name.empty() && all_of(f.name, k_tchar) && inside(f.name, head), "bad name", in);
    check(all_of(f.value, k_field_vchar) && inside(f.value, head), "bad value", in);
    check(f.value.empty() || (!is(f.value.front(), k_ows) && !is(f.value.back(), k_ows)),
          "value not trimmed", in);
  }
  check(!(h.chunked && h.content_length), "chunked with Content-Length", in);
  check(h.version_minor == 0 || h.has_host, "HTTP/1.1 without Host", in);
  check(h.has_host == h.headers.find("host").has_value(), "has_host disagrees with fields", in);
  check(!h.upgrade || h.headers.find("upgrade").has_value(), "upgrade without Upgrade", in);
  check(!h.expect_continue || h.version_minor == 1, "100-continue in HTTP/1.0", in);
  // The server trusts this flag instead of parsing the target again.
  check(h.origin_form == strata::http::Uri::parse_origin_form(h.target).has_value(),
        "origin_form disagrees with Uri::parse_origin_form", in);
}

bool same(const ParseResult& a, const RequestHead& ha, const ParseResult& b,
          const RequestHead& hb) {
  if (a.status != b.status || a.error != b.error || a.consumed != b.consumed) return false;
  if (!a.is_complete()) return true;
  if (ha.method != hb.method || ha.target != hb.target || ha.headers.size() != hb.headers.size() ||
      ha.content_length != hb.content_length || ha.chunked != hb.chunked ||
      ha.keep_alive != hb.keep_alive || ha.upgrade != hb.upgrade ||
      ha.expect_continue != hb.expect_continue || ha.host != hb.host ||
      ha.origin_form != hb.origin_form) {
    return false;
  }
  for (std::size_t i = 0; i < ha.headers.size(); ++i) {
    if (ha.headers[i].name != hb.headers[i].name || ha.headers[i].value != hb.headers[i].value) {
      return false;
    }
  }
  return true;
}

void check_result(const ParseResult& r, const RequestHead& h, std::string_view in) {
  if (r.is_complete()) {
    check(r.error == ParseError::none, "complete with an error", in);
    check_head(r, h, in);
  } else if (r.is_error()) {
    const int s = status_for(r.error);
    check(r.error != ParseError::none, "error without a reason", in);
    check(s == 400 || s == 414 || s == 431 || s == 501 || s == 505, "unexpected status", in);
    check(!describe(r.error).empty(), "empty description", in);
  } else {
    check(r.error == ParseError::none && r.consumed == 0, "incomplete with data", in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  RequestHead one;
  const ParseResult r = parse_request(in, Limits{}, one);
  check_result(r, one, in);

  // Two pieces on one parser.
  const std::size_t split = strata::fuzz::split_point(in);
  {
    RequestParser p;
    RequestHead h;
    ParseResult pr = p.parse(in.substr(0, split), h);
    if (pr.is_incomplete()) pr = p.parse(in, h);
    check(same(pr, h, r, one), "split parse differs from one-shot", in);
  }
  // Byte by byte (bounded: the scan resumes, so this is linear).
  if (size <= 4096) {
    RequestParser p;
    RequestHead h;
    ParseResult pr;
    for (std::size_t len = 0; len <= size; ++len) {
      pr = p.parse(in.substr(0, len), h);
      if (!pr.is_incomplete()) break;
    }
    check(same(pr, h, r, one), "byte-by-byte parse differs from one-shot", in);
  }

  // Tighter limits accept a subset, with the same result.
  Limits tight;
  tight.max_headers = 4;
  tight.max_start_line = 64;
  tight.max_head_bytes = 256;
  tight.max_leading_empty_lines = 1;
  RequestHead th;
  const ParseResult tr = parse_request(in, tight, th);
  if (tr.is_complete()) check(same(tr, th, r, one), "tight limits changed the result", in);
  if (r.is_error()) check(tr.is_error(), "tight limits accepted what defaults refuse", in);

  // Pipelined heads.
  std::string_view rest = in;
  ParseResult pr = r;
  RequestHead h;
  for (int i = 0; i < 8 && pr.is_complete(); ++i) {
    rest.remove_prefix(pr.consumed);
    pr = parse_request(rest, Limits{}, h);
    check_result(pr, h, rest);
  }
  return 0;
}
