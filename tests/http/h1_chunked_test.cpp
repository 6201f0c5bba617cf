// The chunked decoder: RFC 9112 §7.1 examples, every split point, trailers, extensions, limits
// and one row per malformed vector.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/http/h1/chunked.hpp"

namespace {

using namespace strata::http::h1;
using namespace std::string_view_literals;

// Everything one body produced.
struct Outcome {
  std::string data;
  ChunkedStatus status = ChunkedStatus::need_more;
  ParseError error = ParseError::none;
  std::size_t consumed = 0;  // input bytes consumed in total
  std::vector<std::pair<std::string, std::string>> trailers;

  bool operator==(const Outcome&) const = default;
};

// Feeds `raw` cut at the given points (ascending) and collects the outcome.
Outcome decode_pieces(std::string_view raw, const std::vector<std::size_t>& cuts,
                      const Limits& lim = {}) {
  ChunkedDecoder dec(lim);
  Outcome out;
  std::size_t from = 0;
  for (std::size_t k = 0;
       k <= cuts.size() && out.status != ChunkedStatus::done && out.status != ChunkedStatus::error;
       ++k) {
    const std::size_t to = k < cuts.size() ? cuts[k] : raw.size();
    std::string_view in = raw.substr(from, to - from);
    // A copy in its own allocation, so ASan flags any read past the piece.
    const std::string piece(in);
    in = piece;
    while (true) {
      const ChunkedStep s = dec.decode(in);
      EXPECT_LE(s.consumed, in.size());
      out.consumed += s.consumed;
      in.remove_prefix(s.consumed);
      out.status = s.status;
      out.error = s.error;
      if (s.status == ChunkedStatus::data) {
        EXPECT_FALSE(s.data.empty());
        EXPECT_GE(s.data.data(), piece.data());
        EXPECT_LE(s.data.data() + s.data.size(), piece.data() + piece.size());
        out.data += s.data;
        continue;
      }
      break;
    }
    from = to;
  }
  if (out.status == ChunkedStatus::done) {
    EXPECT_EQ(dec.body_bytes(), out.data.size());
    for (const HeaderField& f : dec.trailers()) out.trailers.emplace_back(f.name, f.value);
  }
  return out;
}

Outcome decode_one_shot(std::string_view raw, const Limits& lim = {}) {
  return decode_pieces(raw, {}, lim);
}

TEST(H1Chunked, decodes_the_rfc_shape_with_extensions_and_trailers) {
  const std::string_view raw =
      "4\r\nWiki\r\n5;name=value\r\npedia\r\nE ; a ; b = \"q \\\" s\" ;c=d\r\n in\r\n\r\nchunks."
      "\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Sum:  abc \r\n\r\nNEXT";
  const Outcome o = decode_one_shot(raw);
  EXPECT_EQ(o.status, ChunkedStatus::done);
  EXPECT_EQ(o.data, "Wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(o.consumed, raw.size() - 4);
  ASSERT_EQ(o.trailers.size(), 2u);
  EXPECT_EQ(o.trailers[0],
            (std::pair<std::string, std::string>{"Expires", "Wed, 21 Oct 2015 07:28:00 GMT"}));
  EXPECT_EQ(o.trailers[1], (std::pair<std::string, std::string>{"X-Sum", "abc"}));
}

TEST(H1Chunked, every_split_point_and_byte_by_byte_give_the_same_outcome) {
  const std::string_view bodies[] = {
      "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\n",
      "1a;x=\"y\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
      "5\r\nhello\r\n6\r\n world\r\n0;end\r\n\r\n",
      "5\r\nhel",                  // need_more at the end
      "5\r\nhelloX\r\n0\r\n\r\n",  // an error after data
      "0\r\nA: 1\r\nB\r\n\r\n",    // an error in a trailer
  };
  for (std::string_view raw : bodies) {
    SCOPED_TRACE(raw);
    const Outcome expected = decode_one_shot(raw);
    for (std::size_t split = 0; split <= raw.size(); ++split) {
      EXPECT_EQ(decode_pieces(raw, {split}), expected) << "split " << split;
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < raw.size(); ++i) every.push_back(i);
    EXPECT_EQ(decode_pieces(raw, every), expected);
  }
}

TEST(H1Chunked, stops_at_the_end_of_the_body_and_stays_done) {
  ChunkedDecoder dec;
  const std::string_view raw = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
  std::string_view in = raw;
  ChunkedStep s = dec.decode(in);
  ASSERT_EQ(s.status, ChunkedStatus::data);
  EXPECT_EQ(s.data, "abc");
  EXPECT_EQ(s.data.data(), raw.data() + 3);  // zero-copy
  in.remove_prefix(s.consumed);
  s = dec.decode(in);
  ASSERT_EQ(s.status, ChunkedStatus::done);
  in.remove_prefix(s.consumed);
  EXPECT_EQ(in, "GET / HTTP/1.1\r\n");
  EXPECT_TRUE(dec.done());
  s = dec.decode(in);
  EXPECT_EQ(s.status, ChunkedStatus::done);
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_TRUE(dec.trailers().empty());

  dec.reset();
  EXPECT_FALSE(dec.done());
  EXPECT_EQ(decode_one_shot("1\r\nz\r\n0\r\n\r\n").data, "z");
  s = dec.decode("0\r\n\r\n");
  EXPECT_EQ(s.status, ChunkedStatus::done);
  EXPECT_EQ(dec.body_bytes(), 0u);
}

TEST(H1Chunked, large_sizes_are_exact) {
  ChunkedDecoder dec;
  ChunkedStep s = dec.decode("ffffffffffffffff\r\nab");
  ASSERT_EQ(s.status, ChunkedStatus::data);
  EXPECT_EQ(s.data, "ab");
  EXPECT_EQ(decode_one_shot("0000000000000003\r\nabc\r\n0\r\n\r\n").data, "abc");
  EXPECT_EQ(decode_one_shot("A\r\n0123456789\r\n0\r\n\r\n").data, "0123456789");
}

struct Vector {
  const char* name;
  std::string_view raw;
  ParseError expect;
};

const Vector vectors[] = {
    {"minus", "-5\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_size},
    {"plus", "+5\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_size},
    {"hex_prefix", "0x5\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_size},
    {"leading_space", " 5\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_size},
    {"empty_size", "\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_size},
    {"not_hex", "g\r\n", ParseError::invalid_chunk_size},
    {"seventeen_digits", "00000000000000005\r\nhello\r\n0\r\n\r\n",
     ParseError::chunk_size_too_long},
    {"overflow", "10000000000000000\r\n", ParseError::chunk_size_too_long},
    {"trailing_space", "5 \r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"empty_ext_name", "5;\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"ext_no_name", "5;=v\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"ext_empty_value", "5;a=\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"ext_unterminated_quote", "5;a=\"x\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"ext_space_then_cr", "5;a \r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"ext_control", "5;a\x01\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"ext_after_quote", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", ParseError::invalid_chunk_ext},
    {"bare_lf_size", "5\nhello\r\n0\r\n\r\n", ParseError::bare_lf},
    {"bare_cr_size", "5\rhello\r\n0\r\n\r\n", ParseError::bare_cr},
    {"data_too_long", "3\r\nhello\r\n0\r\n\r\n", ParseError::missing_chunk_crlf},
    {"data_lf_only", "5\r\nhello\n0\r\n\r\n", ParseError::missing_chunk_crlf},
    {"data_cr_only", "5\r\nhello\r0\r\n\r\n", ParseError::missing_chunk_crlf},
    {"last_chunk_bare_lf", "0\n\r\n", ParseError::bare_lf},
    {"final_bare_cr", "0\r\n\rX", ParseError::bare_cr},
    {"final_bare_lf", "0\r\n\n", ParseError::bare_lf},
    {"trailer_bare_lf", "0\r\nA: b\n\r\n", ParseError::bare_lf},
    {"trailer_bare_cr", "0\r\nA: b\rc\r\n\r\n", ParseError::bare_cr},
    {"trailer_obs_fold", "0\r\nA: b\r\n c\r\n\r\n", ParseError::obs_fold},
    {"trailer_no_colon", "0\r\nA\r\n\r\n", ParseError::invalid_field_name},
    {"trailer_space_before_colon", "0\r\nA : b\r\n\r\n", ParseError::whitespace_before_colon},
    {"trailer_control", "0\r\nA: \x01\r\n\r\n", ParseError::invalid_field_value},
    {"trailer_content_length", "0\r\nContent-Length: 5\r\n\r\n",
     ParseError::forbidden_trailer_field},
    {"trailer_transfer_encoding", "0\r\ntransfer-encoding: chunked\r\n\r\n",
     ParseError::forbidden_trailer_field},
    {"ok_quoted_escape", "5;a=\"\\\"\\\\\"\r\nhello\r\n0\r\n\r\n", ParseError::none},
    {"ok_bws_everywhere", "5 \t; a \t= \tb ;c\r\nhello\r\n0\r\n\r\n", ParseError::none},
    {"ok_uppercase_hex", "A\r\n0123456789\r\n0\r\n\r\n", ParseError::none},
};

class H1ChunkedVectors : public testing::TestWithParam<Vector> {};

TEST_P(H1ChunkedVectors, matches_expected_outcome) {
  const Vector& v = GetParam();
  const Outcome o = decode_one_shot(v.raw);
  if (v.expect == ParseError::none) {
    EXPECT_EQ(o.status, ChunkedStatus::done);
    EXPECT_EQ(o.consumed, v.raw.size());
  } else {
    EXPECT_EQ(o.status, ChunkedStatus::error);
    EXPECT_EQ(o.error, v.expect) << describe(o.error);
    EXPECT_EQ(status_for(o.error), 400);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < v.raw.size(); ++i) every.push_back(i);
  EXPECT_EQ(decode_pieces(v.raw, every), o);
}

INSTANTIATE_TEST_SUITE_P(Malformed, H1ChunkedVectors, testing::ValuesIn(vectors),
                         [](const testing::TestParamInfo<Vector>& i) { return i.param.name; });

TEST(H1Chunked, extension_length_is_bounded) {
  Limits lim;
  lim.max_chunk_ext_bytes = 16;
  EXPECT_EQ(decode_one_shot("5;abcdefghijklmn\r\nhello\r\n0\r\n\r\n", lim).status,
            ChunkedStatus::done);  // ";" + 14 = 15 bytes
  const Outcome o = decode_one_shot("5;abcdefghijklmnopq\r\nhello\r\n0\r\n\r\n", lim);
  EXPECT_EQ(o.error, ParseError::chunk_ext_too_long);
  // Refused before the line ends: a peer cannot stream an endless extension.
  const std::string endless = "5;" + std::string(10000, 'a');
  EXPECT_EQ(decode_one_shot(endless, lim).error, ParseError::chunk_ext_too_long);
  // Whitespace between the size and the ';' counts too.
  EXPECT_EQ(decode_one_shot("5" + std::string(10000, ' '), lim).error,
            ParseError::chunk_ext_too_long);
}

TEST(H1Chunked, trailer_section_is_bounded) {
  Limits lim;
  lim.max_trailers = 2;
  EXPECT_EQ(decode_one_shot("0\r\nA: 1\r\nB: 2\r\n\r\n", lim).trailers.size(), 2u);
  EXPECT_EQ(decode_one_shot("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim).error,
            ParseError::too_many_trailers);
  lim = {};
  lim.max_trailer_bytes = 64;
  const std::string big = "0\r\nA: " + std::string(100, 'v') + "\r\n\r\n";
  EXPECT_EQ(decode_one_shot(big, lim).error, ParseError::trailer_too_large);
  const std::string endless = "0\r\nA: " + std::string(10000, 'v');
  EXPECT_EQ(decode_one_shot(endless, lim).error, ParseError::trailer_too_large);
}

TEST(H1Chunked, errors_are_sticky) {
  ChunkedDecoder dec;
  ChunkedStep s = dec.decode("zz");
  EXPECT_EQ(s.status, ChunkedStatus::error);
  EXPECT_EQ(s.consumed, 0u);
  s = dec.decode("5\r\nhello\r\n");
  EXPECT_EQ(s.status, ChunkedStatus::error);
  EXPECT_EQ(s.error, ParseError::invalid_chunk_size);
  EXPECT_EQ(s.consumed, 0u);
}

}  // namespace
