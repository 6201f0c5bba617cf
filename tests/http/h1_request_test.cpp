// Request heads: the smuggling and strictness vectors (one row each), incremental feeding at
// every split point, pipelining, limits and the derived framing facts; the origin-form check the
// parser makes for the server, and the server's verdict on methods and targets that relies on it.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "strata/http.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/io/duplex.hpp"
#include "strata/rt.hpp"

namespace {

using namespace strata::http::h1;
using namespace std::string_view_literals;

ParseResult parse(std::string_view raw, RequestHead& head, const Limits& lim = {}) {
  return parse_request(raw, lim, head);
}

TEST(H1Request, parses_a_simple_get_into_views_of_the_buffer) {
  const std::string raw =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  curl/8.0 \t\r\n"
      "Accept: */*\r\n\r\n";
  RequestHead h;
  const ParseResult r = parse(raw, h);
  ASSERT_TRUE(r.is_complete()) << describe(r.error);
  EXPECT_EQ(r.consumed, raw.size());
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/index.html?q=1");
  EXPECT_EQ(h.version_major, 1);
  EXPECT_EQ(h.version_minor, 1);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[1].name, "User-Agent");
  EXPECT_EQ(h.headers[1].value, "curl/8.0");  // OWS trimmed both sides
  EXPECT_EQ(h.headers.find("user-agent"), "curl/8.0");
  EXPECT_FALSE(h.headers.find("cookie").has_value());
  EXPECT_EQ(h.host, "example.com");
  EXPECT_TRUE(h.has_host);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.chunked);
  EXPECT_FALSE(h.content_length.has_value());
  EXPECT_EQ(h.body(), BodyKind::none);
  // Zero-copy: the views point into `raw`.
  EXPECT_EQ(h.method.data(), raw.data());
  EXPECT_GE(h.headers[2].value.data(), raw.data());
  EXPECT_LT(h.headers[2].value.data(), raw.data() + raw.size());
}

TEST(H1Request, empty_field_value_and_obs_text_are_accepted) {
  RequestHead h;
  const std::string raw = "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Utf8: caf\xc3\xa9\tx\r\n\r\n";
  ASSERT_TRUE(parse(raw, h).is_complete());
  EXPECT_EQ(h.headers.find("x-empty"), "");
  EXPECT_EQ(h.headers.find("X-UTF8"), "caf\xc3\xa9\tx");
}

// One row per vector: raw bytes -> expected error (none = complete).
struct Vector {
  const char* name;
  std::string_view raw;
  ParseError expect;
};

const Vector vectors[] = {
    // framing: the request smuggling vectors
    {"cl_and_te",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     ParseError::content_length_with_transfer_encoding},
    {"te_and_cl",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
     ParseError::content_length_with_transfer_encoding},
    {"duplicate_cl_equal",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
     ParseError::duplicate_content_length},
    {"duplicate_cl_differ",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n",
     ParseError::duplicate_content_length},
    {"cl_list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_plus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_minus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_inner_space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_overflow", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n",
     ParseError::invalid_content_length},
    {"cl_max", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n",
     ParseError::none},
    {"te_not_final", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
     ParseError::chunked_not_final},
    {"te_gzip_only", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
     ParseError::chunked_not_final},
    {"te_unknown_then_chunked",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo, chunked\r\n\r\n",
     ParseError::unknown_transfer_coding},
    {"te_gzip_then_chunked",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
     ParseError::unknown_transfer_coding},
    {"te_chunked_twice",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
     ParseError::invalid_transfer_encoding},
    {"te_chunked_twice_fields",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     ParseError::invalid_transfer_encoding},
    {"te_params", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
     ParseError::invalid_transfer_encoding},
    {"te_empty", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n",
     ParseError::invalid_transfer_encoding},
    {"te_only_commas", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , ,\r\n\r\n",
     ParseError::invalid_transfer_encoding},
    {"te_vertical_tab",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \x0b"
     "chunked\r\n\r\n",
     ParseError::invalid_field_value},
    {"te_chunked_case", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , CHUNKED\r\n\r\n",
     ParseError::none},
    {"te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
     ParseError::transfer_encoding_in_http10},
    {"te_space_before_colon", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n",
     ParseError::whitespace_before_colon},
    {"obs_fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", ParseError::obs_fold},
    {"obs_fold_tab", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n", ParseError::obs_fold},
    {"space_before_first_field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", ParseError::obs_fold},
    // line endings
    {"bare_lf_request_line", "GET / HTTP/1.1\nHost: h\r\n\r\n", ParseError::bare_lf},
    {"bare_lf_field", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", ParseError::bare_lf},
    {"bare_lf_end", "GET / HTTP/1.1\r\nHost: h\r\n\n", ParseError::bare_lf},
    {"lf_only", "GET / HTTP/1.1\nHost: h\n\n", ParseError::bare_lf},
    {"bare_cr_field_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", ParseError::bare_cr},
    {"bare_cr_end_of_value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n", ParseError::bare_cr},
    {"bare_cr_field_name", "GET / HTTP/1.1\r\nHost: h\r\nX\r: a\r\n\r\n",
     ParseError::invalid_field_name},
    {"bare_cr_request_line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_target},
    {"bare_cr_leading", "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bare_cr},
    // field names and values
    {"space_before_colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
     ParseError::whitespace_before_colon},
    {"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n",
     ParseError::whitespace_before_colon},
    {"empty_name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", ParseError::invalid_field_name},
    {"no_colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", ParseError::invalid_field_name},
    {"name_with_slash", "GET / HTTP/1.1\r\nHost: h\r\nX/Y: v\r\n\r\n",
     ParseError::invalid_field_name},
    {"name_with_obs_text", "GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: v\r\n\r\n",
     ParseError::invalid_field_name},
    {"value_nul", "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"sv,
     ParseError::invalid_field_value},
    {"value_del", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", ParseError::invalid_field_value},
    {"value_esc", "GET / HTTP/1.1\r\nHost: h\r\nX: \x1b[1m\r\n\r\n",
     ParseError::invalid_field_value},
    // request line
    {"method_lowercase_ok", "get / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::none},
    {"method_with_slash", "GE/T / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_method},
    {"method_empty", " / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_method},
    {"method_tab", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_method},
    {"two_spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_target},
    {"target_with_nul", "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"sv, ParseError::invalid_target},
    {"target_with_obs_text", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
     ParseError::invalid_target},
    {"target_with_space", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_target},
    {"target_with_spaces", "GET /a b c HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_target},
    {"space_after_version", "GET / HTTP/1.1 x\r\nHost: h\r\n\r\n", ParseError::invalid_version},
    {"no_version", "GET /\r\nHost: h\r\n\r\n", ParseError::invalid_target},
    {"version_lowercase", "GET / http/1.1\r\nHost: h\r\n\r\n", ParseError::invalid_version},
    {"version_garbage", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", ParseError::invalid_version},
    {"version_long", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", ParseError::invalid_version},
    {"version_trailing_space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", ParseError::invalid_version},
    {"version_2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", ParseError::version_not_supported},
    {"version_1_2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", ParseError::version_not_supported},
    {"version_0_9", "GET / HTTP/0.9\r\n\r\n", ParseError::version_not_supported},
    {"asterisk_target", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::none},
    {"authority_target", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", ParseError::none},
    // Host
    {"missing_host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", ParseError::missing_host},
    {"no_fields_http11", "GET / HTTP/1.1\r\n\r\n", ParseError::missing_host},
    {"no_fields_http10", "GET / HTTP/1.0\r\n\r\n", ParseError::none},
    {"duplicate_host", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", ParseError::duplicate_host},
    {"empty_host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", ParseError::none},
    // leading empty lines
    {"one_leading_crlf", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::none},
    {"four_leading_crlf", "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::none},
    {"five_leading_crlf", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
     ParseError::too_many_empty_lines},
    {"leading_lf", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", ParseError::bare_lf},
};

class H1RequestVectors : public testing::TestWithParam<Vector> {};

TEST_P(H1RequestVectors, matches_expected_outcome) {
  const Vector& v = GetParam();
  RequestHead h;
  const ParseResult r = parse(v.raw, h);
  if (v.expect == ParseError::none) {
    ASSERT_TRUE(r.is_complete()) << describe(r.error);
    EXPECT_EQ(r.consumed, v.raw.size());
  } else {
    ASSERT_TRUE(r.is_error()) << "status " << int(r.status);
    EXPECT_EQ(r.error, v.expect) << describe(r.error);
    EXPECT_EQ(status_for(r.error), v.expect == ParseError::unknown_transfer_coding ? 501
                                   : v.expect == ParseError::version_not_supported ? 505
                                                                                   : 400);
  }
}

INSTANTIATE_TEST_SUITE_P(Smuggling, H1RequestVectors, testing::ValuesIn(vectors),
                         [](const testing::TestParamInfo<Vector>& i) { return i.param.name; });

// Feeds `raw` in two pieces at every split point through one RequestParser, and byte by byte:
// every prefix is Incomplete (or fails with the same error), the whole gives the one-shot result.
void expect_same_at_every_split(std::string_view raw, const Limits& lim = {}) {
  RequestHead whole;
  const ParseResult expected = parse_request(raw, lim, whole);
  for (std::size_t split = 0; split <= raw.size(); ++split) {
    RequestParser p(lim);
    RequestHead h;
    ParseResult r = p.parse(raw.substr(0, split), h);
    if (r.is_error()) {
      EXPECT_EQ(r.error, expected.error) << "split " << split;
      continue;
    }
    ASSERT_FALSE(r.is_complete() && split < expected.consumed) << "split " << split;
    if (r.is_incomplete()) r = p.parse(raw, h);
    EXPECT_EQ(r.status, expected.status) << "split " << split;
    EXPECT_EQ(r.error, expected.error) << "split " << split;
    EXPECT_EQ(r.consumed, expected.consumed) << "split " << split;
    if (r.is_complete()) {
      EXPECT_EQ(h.method, whole.method);
      EXPECT_EQ(h.target, whole.target);
      ASSERT_EQ(h.headers.size(), whole.headers.size());
      for (std::size_t i = 0; i < h.headers.size(); ++i) {
        EXPECT_EQ(h.headers[i].name, whole.headers[i].name);
        EXPECT_EQ(h.headers[i].value, whole.headers[i].value);
      }
      EXPECT_EQ(h.content_length, whole.content_length);
      EXPECT_EQ(h.origin_form, whole.origin_form);
    }
  }
  // Byte by byte with one parser, as a slow client would send.
  RequestParser p(lim);
  RequestHead h;
  ParseResult r;
  for (std::size_t len = 0; len <= raw.size(); ++len) {
    r = p.parse(raw.substr(0, len), h);
    if (!r.is_incomplete()) break;
  }
  EXPECT_EQ(r.status, expected.status);
  EXPECT_EQ(r.error, expected.error);
  EXPECT_EQ(r.consumed, expected.consumed);
}

TEST(H1Request, every_split_point_gives_the_same_result) {
  expect_same_at_every_split(
      "\r\nPOST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n"
      "Connection: keep-alive\r\nExpect: 100-continue\r\n\r\nhello world");
  expect_same_at_every_split("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n");
  expect_same_at_every_split(
      "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
  expect_same_at_every_split("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n");
}

TEST(H1Request, every_vector_gives_the_same_result_at_every_split) {
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.name);
    expect_same_at_every_split(v.raw);
  }
}

// A limit is crossed at a byte offset and checked in byte order, so a limit error and a later
// bare LF give the same verdict however the bytes arrive.
TEST(H1Request, limit_errors_do_not_depend_on_the_split) {
  Limits lim;
  lim.max_start_line = 16;
  lim.max_head_bytes = 48;
  expect_same_at_every_split("GET /aaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\nHost: h\r\n\r\n", lim);
  expect_same_at_every_split("GET /aaaaa HTTP/1.1\r\nHost: h\r\nX: vvvvvvvvvvvvvvvvvvvvvv\n\r\n",
                             lim);
  RequestHead h;
  EXPECT_TRUE(parse_request("GET /ab HTTP/1.1\r\nHost: h\r\n\r\n", lim, h).is_complete());  // 16
  EXPECT_EQ(parse_request("GET /abc HTTP/1.1\r\nHost: h\r\n\r\n", lim, h).error,            // 17
            ParseError::uri_too_long);
  expect_same_at_every_split("GET /ab HTTP/1.1\r\nHost: h\r\n\r\n", lim);
  expect_same_at_every_split("GET /abc HTTP/1.1\r\nHost: h\r\n\r\n", lim);
  lim.max_start_line = 1000;  // clamped below the head limit
  expect_same_at_every_split("GET /" + std::string(60, 'a') + "\n", lim);
  EXPECT_EQ(parse_request("GET /" + std::string(60, 'a') + " HTTP/1.1\r\n", lim, h).error,
            ParseError::uri_too_long);
}

TEST(H1Request, resumed_parse_works_when_the_buffer_moves) {
  const std::string full =
      "GET /moved HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(300, 'x') + "\r\n\r\n";
  RequestParser p;
  RequestHead h;
  std::string first = full.substr(0, 100);
  EXPECT_TRUE(p.parse(first, h).is_incomplete());
  std::string second = full;  // a different allocation holding the same bytes and more
  first.clear();
  first.shrink_to_fit();
  const ParseResult r = p.parse(second, h);
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed, full.size());
  EXPECT_EQ(h.target, "/moved");
  EXPECT_EQ(h.headers.find("x-long")->size(), 300u);
  EXPECT_EQ(h.target.data(), second.data() + 4);
}

TEST(H1Request, pipelined_requests_are_consumed_one_at_a_time) {
  const std::string raw =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string_view rest = raw;
  RequestParser p;
  RequestHead h;
  std::vector<std::string> targets;
  while (!rest.empty()) {
    const ParseResult r = p.parse(rest, h);
    ASSERT_TRUE(r.is_complete()) << describe(r.error);
    targets.emplace_back(h.target);
    rest.remove_prefix(r.consumed);
    if (h.content_length) rest.remove_prefix(*h.content_length);
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3"}));
  EXPECT_FALSE(h.keep_alive);
}

TEST(H1Request, connection_and_version_decide_keep_alive) {
  struct Row {
    std::string_view raw;
    bool keep_alive;
    bool upgrade;
  };
  const Row rows[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n", false, false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false,
       false},
      {"GET / HTTP/1.0\r\n\r\n", false, false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false, false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", true,
       true},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", true, false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n", true, false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: ,, keep-alive ,upgrade\r\nUpgrade: h2c\r\n\r\n",
       true, true},
  };
  for (const Row& row : rows) {
    RequestHead h;
    ASSERT_TRUE(parse(row.raw, h).is_complete()) << row.raw;
    EXPECT_EQ(h.keep_alive, row.keep_alive) << row.raw;
    EXPECT_EQ(h.upgrade, row.upgrade) << row.raw;
  }
}

TEST(H1Request, framing_facts_are_derived) {
  RequestHead h;
  ASSERT_TRUE(parse("PUT /x HTTP/1.1\r\nHost: h\r\ncontent-length: 0042\r\n"
                    "Expect: 100-Continue\r\n\r\n",
                    h)
                  .is_complete());
  EXPECT_EQ(h.content_length, 42u);
  EXPECT_EQ(h.body(), BodyKind::content_length);
  EXPECT_TRUE(h.expect_continue);

  ASSERT_TRUE(
      parse("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", h).is_complete());
  EXPECT_TRUE(h.chunked);
  EXPECT_EQ(h.body(), BodyKind::chunked);
  EXPECT_FALSE(h.expect_continue);

  // Expect: 100-continue means nothing in HTTP/1.0 (RFC 9110 §10.1.1).
  ASSERT_TRUE(parse("PUT /x HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", h).is_complete());
  EXPECT_FALSE(h.expect_continue);
  EXPECT_FALSE(h.has_host);
  ASSERT_TRUE(
      parse("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue-ish\r\n\r\n", h).is_complete());
  EXPECT_FALSE(h.expect_continue);
}

TEST(H1Request, request_line_limit_gives_414_even_before_the_line_ends) {
  Limits lim;
  lim.max_start_line = 64;
  const std::string target(100, 'a');
  const std::string raw = "GET /" + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead h;
  ParseResult r = parse_request(raw, lim, h);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error, ParseError::uri_too_long);
  EXPECT_EQ(status_for(r.error), 414);
  // Incomplete: refused as soon as more than the limit is buffered without a line end.
  r = parse_request(std::string_view(raw).substr(0, 70), lim, h);
  EXPECT_EQ(r.error, ParseError::uri_too_long);
  r = parse_request(std::string_view(raw).substr(0, 60), lim, h);
  EXPECT_TRUE(r.is_incomplete());
  // Exactly at the limit is fine.
  const std::string fits = "GET /" + std::string(64 - 14, 'b') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_TRUE(parse_request(fits, lim, h).is_complete());
}

TEST(H1Request, field_count_limit_gives_431) {
  Limits lim;
  lim.max_headers = 3;
  RequestHead h;
  EXPECT_TRUE(
      parse_request("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", lim, h).is_complete());
  const ParseResult r =
      parse_request("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim, h);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error, ParseError::too_many_fields);
  EXPECT_EQ(status_for(r.error), 431);
}

TEST(H1Request, default_field_count_limit_is_100) {
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 99; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
  RequestHead h;
  EXPECT_TRUE(parse(raw + "\r\n", h).is_complete());
  EXPECT_EQ(h.headers.size(), 100u);
  EXPECT_EQ(parse(raw + "One-More: v\r\n\r\n", h).error, ParseError::too_many_fields);
  // A limit above the inline capacity is clamped to it.
  Limits big;
  big.max_headers = 100000;
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 0; i < max_header_capacity; ++i) many += "X: v\r\n";
  EXPECT_EQ(parse_request(many + "\r\n", big, h).error, ParseError::too_many_fields);
}

TEST(H1Request, head_size_limit_gives_431_complete_or_not) {
  Limits lim;
  lim.max_head_bytes = 128;
  const std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(200, 'v') + "\r\n\r\n";
  RequestHead h;
  EXPECT_EQ(parse_request(big, lim, h).error, ParseError::head_too_large);
  EXPECT_EQ(parse_request(std::string_view(big).substr(0, 150), lim, h).error,
            ParseError::head_too_large);
  EXPECT_TRUE(parse_request(std::string_view(big).substr(0, 100), lim, h).is_incomplete());
  EXPECT_EQ(status_for(ParseError::head_too_large), 431);
}

TEST(H1Request, error_converts_to_error_code) {
  const std::error_code ec = ParseError::bare_lf;
  EXPECT_EQ(ec.category().name(), std::string("strata.http.h1"));
  EXPECT_EQ(ec.message(), "bare LF");
  EXPECT_FALSE(std::error_code(ParseError::none));
}

TEST(H1Request, every_error_has_its_own_description_and_a_client_error_status) {
  std::set<std::string_view> seen;
  for (int e = 0; e <= int(ParseError::forbidden_trailer_field); ++e) {
    const auto pe = static_cast<ParseError>(e);
    const std::string_view d = describe(pe);
    EXPECT_NE(d, "unknown HTTP/1 parse error") << e;
    EXPECT_TRUE(seen.insert(d).second) << "duplicate description: " << d;
    const int s = status_for(pe);
    EXPECT_TRUE(s == 400 || s == 414 || s == 431 || s == 501 || s == 505) << e;
  }
  EXPECT_EQ(status_for(ParseError::uri_too_long), 414);
  EXPECT_EQ(status_for(ParseError::too_many_fields), 431);
}

TEST(H1Request, empty_and_partial_inputs_are_incomplete) {
  RequestHead h;
  for (std::string_view s :
       {""sv, "\r"sv, "\r\n"sv, "G"sv, "GET / HTTP/1.1\r"sv, "GET / HTTP/1.1\r\nHost: h\r\n"sv,
        "GET / HTTP/1.1\r\nHost: h\r\n\r"sv}) {
    EXPECT_TRUE(parse(s, h).is_incomplete()) << s;
  }
}

// The parser checks an origin-form target against the URI grammar while it scans it, and says
// so; every other target it accepts as before (visible ASCII) and leaves to Uri::parse_target().
TEST(H1Request, marks_targets_that_are_valid_origin_form) {
  const std::pair<std::string_view, bool> cases[] = {
      {"/", true},           {"*", false},           {"/a?b?c", true},
      {"http://h/a", false}, {"/%41/x?y=%7e", true}, {"h:443", false},
      {"/a", true},          {"/a<b", false},        {"/q?", true},
      {"/a%zz", false},      {"//x", true},          {"/a#f", false},
      {"/a|b", false},       {"/[::1]", false},      {"/a%4", false},
  };
  RequestHead h;  // reused, as a server does: the flag must be set again for every head
  for (const auto& [target, origin] : cases) {
    const std::string raw = "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    ASSERT_TRUE(parse(raw, h).is_complete()) << target;
    EXPECT_EQ(h.target, target);
    EXPECT_EQ(h.origin_form, origin) << target;
    EXPECT_EQ(h.origin_form, strata::http::Uri::parse_origin_form(target).has_value()) << target;
    expect_same_at_every_split(raw);
  }
  // The start-line errors are those of the visible-ASCII scan, whichever way the target went.
  EXPECT_EQ(parse("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", h).error, ParseError::invalid_target);
  EXPECT_EQ(parse("GET /a<b c HTTP/1.1\r\nHost: h\r\n\r\n", h).error, ParseError::invalid_target);
  EXPECT_EQ(parse("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", h).error, ParseError::invalid_target);
  EXPECT_EQ(parse("GET /a%\x01 HTTP/1.1\r\nHost: h\r\n\r\n", h).error, ParseError::invalid_target);
  EXPECT_EQ(parse("GET /a\r\nHost: h\r\n\r\n", h).error, ParseError::invalid_target);
}

namespace server {

using namespace strata;

// Answers 200 to whatever reaches it.
class Ok final : public http::Service {
 public:
  Task<http::Response> handle(http::Request&) override {
    co_return http::Response::text_static("ok");
  }
};

Task<void> serve(io::DuplexStream s, const ConnectionContext* ctx) {
  ServerConnection<io::DuplexStream> conn(s, *ctx, net::SocketAddr());
  co_await conn.run();
}

// Sends `request` and reads up to the end of the status line.
Task<void> ask(io::DuplexStream c, std::string request, std::string* status_line) {
  (void)co_await io::write_all(c, io::as_bytes(std::string_view(request)));
  std::string buf(4096, '\0');
  std::string got;
  while (got.find("\r\n") == std::string::npos) {
    auto n = co_await io::read(c, as_writable_bytes(std::span(buf)));
    if (!n || *n == 0) break;
    got.append(buf.data(), *n);
  }
  *status_line = got.substr(0, got.find("\r\n"));
}

// The status code the server answers `request_line` with (a Host field is added).
int status_of(std::string_view request_line) {
  http::ServerConfig config;
  Ok service;
  sync::Notify shutdown;
  std::atomic<bool> draining{false};
  ConnectionContext ctx;
  ctx.config = &config;
  ctx.service = &service;
  ctx.shutdown = &shutdown;
  ctx.draining = &draining;
  std::string line;
  Runtime rt = Runtime::current_thread();
  auto [client, srv] = io::duplex(64 * 1024);
  rt.block_on(
      [](io::DuplexStream c, io::DuplexStream s, const ConnectionContext* cx, std::string req,
         std::string* out) -> Task<void> {
        auto serving = spawn(serve(std::move(s), cx));
        co_await ask(std::move(c), std::move(req), out);
        co_await serving;
      }(std::move(client), std::move(srv), &ctx,
                           std::string(request_line) + "\r\nHost: h\r\nConnection: close\r\n\r\n",
                           &line));
  // "HTTP/1.1 200 OK"
  return line.size() >= 12 ? std::stoi(line.substr(9, 3)) : -1;
}

// The server no longer re-parses a target the parser found to be origin-form, nor re-checks the
// method's bytes: the form rules of RFC 9112 §3.2 and the method limits must hold all the same.
TEST(H1Server, target_form_and_method_rules_hold_on_the_fast_path) {
  EXPECT_EQ(status_of("GET /a?b HTTP/1.1"), 200);
  EXPECT_EQ(status_of("GET /%41?x=%7E HTTP/1.1"), 200);
  EXPECT_EQ(status_of("PROPFIND /a HTTP/1.1"), 200);
  EXPECT_EQ(status_of("OPTIONS * HTTP/1.1"), 200);
  EXPECT_EQ(status_of("GET http://h/a?b HTTP/1.1"), 200);
  EXPECT_EQ(status_of("GET * HTTP/1.1"), 400);       // "*" is for OPTIONS only
  EXPECT_EQ(status_of("CONNECT /a HTTP/1.1"), 400);  // CONNECT takes authority-form only
  EXPECT_EQ(status_of("CONNECT http://h/ HTTP/1.1"), 400);
  EXPECT_EQ(status_of("GET 1h:/ HTTP/1.1"), 400);   // not a URI: a scheme starts with a letter
  EXPECT_EQ(status_of("GET /a<b HTTP/1.1"), 400);   // outside the URI grammar
  EXPECT_EQ(status_of("GET /a%zz HTTP/1.1"), 400);  // bad percent-encoding
  EXPECT_EQ(status_of("GET /a#f HTTP/1.1"), 400);   // no fragment in a request target
  EXPECT_EQ(status_of("GET http://u@h/ HTTP/1.1"), 400);  // no userinfo in a request target
  EXPECT_EQ(status_of("GET http:/a HTTP/1.1"), 400);      // an http URI needs a host
  const std::string longest(strata::http::Method::max_extension_len, 'X');
  EXPECT_EQ(status_of(longest + " /a HTTP/1.1"), 200);
  EXPECT_EQ(status_of(longest + "X /a HTTP/1.1"), 400);  // an extension method too long to keep
}

}  // namespace server

}  // namespace
