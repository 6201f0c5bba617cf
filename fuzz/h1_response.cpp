// Fuzzes the HTTP/1.1 response head parser (strata/http/h1/parser.hpp). For every input and each
// request context (plain, HEAD, CONNECT):
//
//   - the parse completes, is incomplete, or fails with a typed error; ASan catches any read
//     outside the input;
//   - a completed head is well-formed: status 100-599, reason and fields inside the head and free
//     of controls, the head ends with CRLFCRLF, never chunked with a Content-Length;
//   - the body framing follows RFC 9112 §6.3: none for HEAD, 1xx, 204, 304 and CONNECT 2xx;
//     otherwise chunked, then Content-Length, then close-delimited (which is never keep-alive);
//   - the context changes only the body framing, never whether or where the head parses;
//   - two pieces (a split derived from the input) give exactly the one-shot result.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.hpp"
#include "strata/http/h1/parser.hpp"

namespace {

using namespace strata::http::h1;

using strata::fuzz::all_of;
using strata::fuzz::inside;
constexpr strata::fuzz::Check check{"h1_response"};

void check_head(const ParseResult& r, const ResponseHead& h, ResponseContext ctx,
                std::string_view in) {
  using namespace strata::http::h1::detail;
  check(r.consumed >= 4 && r.consumed <= in.size(), "consumed out of range", in);
  const std::string_view head = in.substr(0, r.consumed);
  check(head.substr(head.size() - 4) == "\r\n\r\n", "head does not end with CRLFCRLF", in);
  check(h.status >= 100 && h.status <= 599, "status out of range", in);
  check(h.version_major == 1 && h.version_minor <= 1, "bad version", in);
  check(inside(h.reason, head) && all_of(h.reason, k_field_vchar), "bad reason", in);
  for (const HeaderField& f : h.headers) {
    check(!f.name.empty() && all_of(f.name, k_tchar) && inside(f.name, head), "bad name", in);
    check(all_of(f.value, k_field_vchar) && inside(f.value, head), "bad value", in);
  }
  check(!(h.chunked && h.content_length), "chunked with Content-Length", in);
  const bool no_body = ctx.head_request || h.status < 200 || h.status == 204 || h.status == 304 ||
                       (ctx.connect_request && h.status < 300);
  BodyKind want = BodyKind::close_delimited;
  if (no_body) {
    want = BodyKind::none;
  } else if (h.chunked) {
    want = BodyKind::chunked;
  } else if (h.content_length) {
    want = BodyKind::content_length;
  }
  check(h.body == want, "body framing differs from RFC 9112 §6.3", in);
  check(h.body != BodyKind::close_delimited || !h.keep_alive, "close-delimited keep-alive", in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const ResponseContext contexts[] = {{}, {.head_request = true}, {.connect_request = true}};
  ResponseHead first;
  const ParseResult r0 = parse_response(in, Limits{}, first);
  for (const ResponseContext ctx : contexts) {
    ResponseHead h;
    const ParseResult r = parse_response(in, Limits{}, h, ctx);
    check(r.status == r0.status && r.error == r0.error && r.consumed == r0.consumed,
          "context changed the parse", in);
    if (r.is_complete()) {
      check_head(r, h, ctx, in);
    } else if (r.is_error()) {
      check(r.error != ParseError::none && !describe(r.error).empty(), "bad error", in);
    } else {
      check(r.error == ParseError::none && r.consumed == 0, "incomplete with data", in);
    }
  }
  const std::size_t split = strata::fuzz::split_point(in);
  ResponseParser p;
  ResponseHead h;
  ParseResult r = p.parse(in.substr(0, split), h);
  if (r.is_incomplete()) r = p.parse(in, h);
  check(r.status == r0.status && r.error == r0.error && r.consumed == r0.consumed,
        "split parse differs from one-shot", in);
  if (r.is_complete()) {
    check(h.status == first.status && h.reason == first.reason &&
              h.headers.size() == first.headers.size() && h.body == first.body,
          "split parse produced a different head", in);
  }
  return 0;
}
