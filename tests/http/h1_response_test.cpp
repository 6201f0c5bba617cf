// Response heads: status line, framing rules of RFC 9112 §6.3 from the client's side.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "strata/http/h1/parser.hpp"

namespace {

using namespace strata::http::h1;
using namespace std::string_view_literals;

TEST(H1Response, parses_status_line_and_fields) {
  const std::string raw =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
  ResponseHead h;
  const ParseResult r = parse_response(raw, {}, h);
  ASSERT_TRUE(r.is_complete()) << describe(r.error);
  EXPECT_EQ(r.consumed, raw.size() - 13);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.content_length, 13u);
  EXPECT_EQ(h.body, BodyKind::content_length);
  EXPECT_TRUE(h.keep_alive);
}

struct Row {
  const char* name;
  std::string_view raw;
  ResponseContext ctx;
  ParseError error;
  BodyKind body;
  bool keep_alive;
};

const Row rows[] = {
    {"reason_with_spaces",
     "HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::content_length,
     true},
    {"empty_reason",
     "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::content_length,
     true},
    {"no_reason_no_space",
     "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::content_length,
     true},
    {"chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::chunked,
     true},
    {"close_delimited",
     "HTTP/1.1 200 OK\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::close_delimited,
     false},
    {"http10_close_delimited",
     "HTTP/1.0 200 OK\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::close_delimited,
     false},
    {"http10_keep_alive",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::content_length,
     true},
    {"connection_close",
     "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::content_length,
     false},
    {"status_100", "HTTP/1.1 100 Continue\r\n\r\n", {}, ParseError::none, BodyKind::none, true},
    {"status_101",
     "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::none,
     true},
    {"status_204_ignores_cl",
     "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::none,
     true},
    {"status_304",
     "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::none,
     true},
    {"head_response",
     "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
     {.head_request = true},
     ParseError::none,
     BodyKind::none,
     true},
    {"head_response_chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     {.head_request = true},
     ParseError::none,
     BodyKind::none,
     true},
    {"connect_2xx_tunnel",
     "HTTP/1.1 200 Connection established\r\n\r\n",
     {.connect_request = true},
     ParseError::none,
     BodyKind::none,
     true},
    {"connect_407_has_body",
     "HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\n",
     {.connect_request = true},
     ParseError::none,
     BodyKind::content_length,
     true},
    {"cl_and_te",
     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     {},
     ParseError::content_length_with_transfer_encoding,
     BodyKind::none,
     false},
    {"duplicate_cl",
     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
     {},
     ParseError::duplicate_content_length,
     BodyKind::none,
     false},
    {"te_gzip",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
     {},
     ParseError::unknown_transfer_coding,
     BodyKind::none,
     false},
    {"te_http10",
     "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     {},
     ParseError::transfer_encoding_in_http10,
     BodyKind::none,
     false},
    {"status_two_digits",
     "HTTP/1.1 20 OK\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"status_four_digits",
     "HTTP/1.1 2000 OK\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"status_099",
     "HTTP/1.1 099 Low\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"status_600",
     "HTTP/1.1 600 High\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"status_letters",
     "HTTP/1.1 2x0 OK\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"reason_control",
     "HTTP/1.1 200 O\x01K\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"reason_obs_text",
     "HTTP/1.1 200 \xc3\x89tat\r\nContent-Length: 0\r\n\r\n",
     {},
     ParseError::none,
     BodyKind::content_length,
     true},
    {"double_space",
     "HTTP/1.1  200 OK\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"version_2",
     "HTTP/2.0 200 OK\r\n\r\n",
     {},
     ParseError::version_not_supported,
     BodyKind::none,
     false},
    {"version_garbage",
     "HTTX/1.1 200 OK\r\n\r\n",
     {},
     ParseError::invalid_version,
     BodyKind::none,
     false},
    {"leading_crlf",
     "\r\nHTTP/1.1 200 OK\r\n\r\n",
     {},
     ParseError::invalid_status_line,
     BodyKind::none,
     false},
    {"bare_lf",
     "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
     {},
     ParseError::bare_lf,
     BodyKind::none,
     false},
    {"obs_fold",
     "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
     {},
     ParseError::obs_fold,
     BodyKind::none,
     false},
};

class H1ResponseVectors : public testing::TestWithParam<Row> {};

TEST_P(H1ResponseVectors, matches_expected_outcome) {
  const Row& row = GetParam();
  ResponseHead h;
  const ParseResult r = parse_response(row.raw, {}, h, row.ctx);
  if (row.error != ParseError::none) {
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error, row.error) << describe(r.error);
    return;
  }
  ASSERT_TRUE(r.is_complete()) << describe(r.error);
  EXPECT_EQ(r.consumed, row.raw.size());
  EXPECT_EQ(h.body, row.body);
  EXPECT_EQ(h.keep_alive, row.keep_alive);
}

INSTANTIATE_TEST_SUITE_P(Framing, H1ResponseVectors, testing::ValuesIn(rows),
                         [](const testing::TestParamInfo<Row>& i) { return i.param.name; });

TEST(H1Response, upgrade_needs_connection_token_and_field) {
  ResponseHead h;
  ASSERT_TRUE(parse_response(rows[9].raw, {}, h).is_complete());
  EXPECT_EQ(h.status, 101);
  EXPECT_TRUE(h.upgrade);
}

TEST(H1Response, every_split_point_gives_the_same_result) {
  const std::string_view raw =
      "HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\nContent-Length: 0\r\n\r\nHTTP/1.1";
  ResponseHead whole;
  const ParseResult expected = parse_response(raw, {}, whole);
  ASSERT_TRUE(expected.is_complete());
  for (std::size_t split = 0; split <= raw.size(); ++split) {
    ResponseParser p;
    ResponseHead h;
    ParseResult r = p.parse(raw.substr(0, split), h);
    if (split < expected.consumed) {
      ASSERT_TRUE(r.is_incomplete()) << split;
      r = p.parse(raw, h);
    }
    ASSERT_TRUE(r.is_complete()) << split;
    EXPECT_EQ(r.consumed, expected.consumed);
    EXPECT_EQ(h.status, 301);
    EXPECT_EQ(h.headers.find("location"), "/new");
  }
}

TEST(H1Response, status_line_limit) {
  Limits lim;
  lim.max_start_line = 32;
  ResponseHead h;
  const std::string raw = "HTTP/1.1 200 " + std::string(40, 'x') + "\r\n\r\n";
  EXPECT_EQ(parse_response(raw, lim, h).error, ParseError::start_line_too_long);
  EXPECT_EQ(parse_response(std::string_view(raw).substr(0, 40), lim, h).error,
            ParseError::start_line_too_long);
}

}  // namespace
