// Fuzzes the URI layer of strata/http (uri.hpp), plus the list helpers of headers.hpp. For every
// input:
//
//   - each parser (the four request-target forms, parse_target for GET/CONNECT/OPTIONS, and
//     Uri::parse) either fails with a UriErrc code or succeeds; on success to_string() equals
//     the input, re-parses to an equal Uri, the components satisfy their grammar's structure
//     (no '?'/'#' in a path, port text matches the number, request targets have no fragment or
//     userinfo, an IPv6 host is bracketed), and parse_owned() agrees with the borrowed parse;
//   - parse_target agrees with the form parser its method selects, and origin_form_length (the
//     h1 parser's target scan) agrees with parse_origin_form;
//   - percent_decode never reads or writes out of bounds, never grows the text, honours
//     reject_encoded_slash/reject_nul, and decode(encode(x)) == x for every encode set;
//   - normalize_path never grows the text, never leaves a "." or ".." segment, is idempotent,
//     and keeps an absolute path absolute;
//   - QueryParams and split_list yield sub-views of the input with the documented shape.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "strata/http/headers.hpp"
#include "strata/http/uri.hpp"

namespace {

using namespace strata::http;

[[noreturn]] void die(const char* what, std::string_view input) {
  std::fprintf(stderr, "uri fuzz: %s; input (%zu bytes): \"%.*s\"\n", what, input.size(),
               int(input.size()), input.data());
  std::abort();
}

void check(bool ok, const char* what, std::string_view input) {
  if (!ok) die(what, input);
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

template <class Parse>
strata::Result<Uri> parse_and_check(std::string_view text, Parse parse, bool request_target) {
  strata::Result<Uri> r = parse(text);
  if (!r) {
    check(r.error().code().category() == uri_category(), "error is not a UriErrc", text);
    check(r.error().code().value() != 0, "error code is 0", text);
    return r;
  }
  const Uri& u = *r;
  check(u.as_str() == text, "as_str differs from the input", text);
  const std::string s = u.to_string();
  check(s == text, "to_string differs from the input", text);
  strata::Result<Uri> again = parse(s);
  check(again.has_value(), "to_string output does not parse", s);
  check(*again == u, "to_string output parses to a different Uri", s);
  for (std::string_view part : {u.scheme(), u.authority(), u.userinfo(), u.host(), u.port_str(),
                                u.path(), u.query(), u.fragment(), u.path_and_query()}) {
    check(inside(part, text), "a component is not a view into the input", text);
  }
  check(u.path().find_first_of("?#") == std::string_view::npos, "path holds '?' or '#'", text);
  check(u.query().find('#') == std::string_view::npos, "query holds '#'", text);
  check(u.has_query() || u.query().empty(), "query without has_query", text);
  check(u.has_fragment() || u.fragment().empty(), "fragment without has_fragment", text);
  if (u.port()) {
    check(std::to_string(*u.port()) == std::to_string(std::stoul(std::string(u.port_str()))),
          "port number differs from its text", text);
  } else {
    check(u.port_str().empty(), "port text without port", text);
  }
  if (u.host_kind() == HostKind::ipv6) {
    check(u.host().size() >= 2 && u.host().front() == '[' && u.host().back() == ']',
          "IPv6 host not bracketed", text);
  }
  if (request_target) {
    check(!u.has_fragment(), "request target with a fragment", text);
    check(!u.has_userinfo(), "request target with userinfo", text);
  }
  if (u.form() == UriForm::origin) check(u.path_and_query() == text, "origin-form text", text);
  auto owned = Uri::parse_owned(std::string(text));
  if (u.form() == UriForm::absolute && !request_target) {
    check(owned.has_value() && *owned == u && owned->is_owned(), "parse_owned differs", text);
  }
  Uri copy = u;
  copy.make_owned();
  check(copy == u, "make_owned changed the Uri", text);
  return r;
}

void check_targets(std::string_view text) {
  const auto origin = parse_and_check(text, Uri::parse_origin_form, true);
  const auto absolute = parse_and_check(text, Uri::parse_absolute_form, true);
  const auto authority = parse_and_check(text, Uri::parse_authority_form, true);
  const auto asterisk = parse_and_check(text, Uri::parse_asterisk_form, true);
  const auto full = parse_and_check(text, Uri::parse, false);
  check(!(origin && absolute), "origin-form and absolute-form both accept", text);
  if (absolute) check(full && *full == *absolute, "parse rejects an absolute-form target", text);

  const auto get = parse_and_check(
      text, [](std::string_view t) { return Uri::parse_target(t, Method::get); }, true);
  const auto connect = parse_and_check(
      text, [](std::string_view t) { return Uri::parse_target(t, Method::connect); }, true);
  const auto options = parse_and_check(
      text, [](std::string_view t) { return Uri::parse_target(t, Method::options); }, true);
  check(connect.has_value() == authority.has_value(), "CONNECT disagrees with authority-form",
        text);
  check(get.has_value() == (origin || absolute), "GET disagrees with origin/absolute-form", text);
  check(options.has_value() == (origin || absolute || asterisk), "OPTIONS disagrees", text);
  if (get) check(*get == (origin ? *origin : *absolute), "GET value differs", text);
}

void check_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  for (int flags = 0; flags < 8; ++flags) {
    const DecodeOptions o{.plus_as_space = (flags & 1) != 0,
                          .reject_encoded_slash = (flags & 2) != 0,
                          .reject_nul = (flags & 4) != 0};
    auto n = percent_decode(text, std::span<char>(out), o);
    if (!n) {
      check(n.error().code().category() == uri_category(), "decode error is not a UriErrc", text);
      continue;
    }
    check(*n <= text.size(), "decoding grew the text", text);
    const std::string_view d(out.data(), *n);
    if (o.reject_nul) check(d.find('\0') == std::string_view::npos, "NUL passed", text);
    if (o.reject_encoded_slash) {
      // Every '%' of a text that decodes starts an escape, so no "%2f" may be in it.
      check(
          text.find("%2f") == std::string_view::npos && text.find("%2F") == std::string_view::npos,
          "%2F passed", text);
    }
    if (flags == 0) {
      for (EncodeSet set :
           {EncodeSet::unreserved, EncodeSet::path_segment, EncodeSet::path, EncodeSet::form}) {
        std::string enc;
        percent_encode(d, enc, set);
        std::string back;
        auto r = percent_decode(enc, back, {.plus_as_space = set == EncodeSet::form});
        check(r.has_value() && back == d, "decode(encode(x)) != x", text);
      }
    }
  }
}

void check_normalize(std::string_view path) {
  std::string out;
  auto r = normalize_path(path, out);
  if (!r) {
    check(r.error().code() == UriErrc::path_escapes_root, "unexpected normalize error", path);
    return;
  }
  check(out.size() <= path.size(), "normalize grew the path", path);
  check(!path.starts_with('/') || out.starts_with('/'), "absolute path lost its root", path);
  std::string_view rest = out;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    check(seg != "." && seg != "..", "dot segment left", path);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string twice;
  check(normalize_path(out, twice).has_value() && twice == out, "normalize not idempotent", path);
}

void check_lists(std::string_view text) {
  for (const QueryParam& p : QueryParams(text)) {
    check(inside(p.raw_key(), text) && inside(p.raw_value(), text), "query view outside", text);
    check(p.raw_key().find('&') == std::string_view::npos, "'&' in a key", text);
    check(p.raw_value().find('&') == std::string_view::npos, "'&' in a value", text);
    check(!p.raw_key().empty() || p.has_value(), "empty pair yielded", text);
    (void)p.key();
    (void)p.value();
  }
  auto first = QueryParams(text).begin();
  if (first != QueryParams(text).end()) {
    check(QueryParams(text).get_raw(first->raw_key()) == first->raw_value(), "get_raw", text);
    (void)QueryParams(text, true).get(first->raw_key());
  }
  for (std::string_view e : split_list(text)) {
    check(!e.empty() && inside(e, text), "bad list element", text);
    check(e.front() != ' ' && e.front() != '\t' && e.back() != ' ' && e.back() != '\t',
          "untrimmed list element", text);
  }
}

}  // namespace

// origin_form_length (the h1 parser's one-pass target scan) agrees with parse_origin_form on the
// text before the first SP.
void check_origin_form_length(std::string_view text) {
  const std::string_view target = text.substr(0, text.find(' '));
  const std::size_t expected = Uri::parse_origin_form(target).has_value() ? target.size() : 0;
  check(Uri::origin_form_length(text) == expected,
        "origin_form_length disagrees with parse_origin_form", text);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_targets(text);
  check_origin_form_length(text);
  check_decode(text);
  check_normalize(text);
  std::string decoded;
  if (percent_decode(text, decoded, {.reject_encoded_slash = true, .reject_nul = true})) {
    check_normalize(decoded);
  }
  check_lists(text);
  return 0;
}
