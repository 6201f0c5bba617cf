// The WebSocket frame codec and UTF-8 validator (strata/http/ws/frame.hpp, utf8.hpp): RFC 6455
// §5.7's examples, every rejection rule with its close code, masking in pieces, and UTF-8
// across arbitrary splits.
#include "strata/http/ws/frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/http/ws/utf8.hpp"

namespace strata::http::ws {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(std::byte(b));
  return out;
}

std::string text(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST(WsFrame, ParsesRfcUnmaskedTextExample) {
  auto in = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  FrameParser p(Role::client);
  FrameParse r = p.parse(in);
  ASSERT_EQ(r.status, FrameStatus::ok);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(r.header.opcode, Opcode::text);
  EXPECT_TRUE(r.header.fin);
  EXPECT_FALSE(r.header.masked);
  EXPECT_EQ(r.header.length, 5u);
  EXPECT_EQ(text(std::span(in).subspan(2)), "Hello");
}

TEST(WsFrame, ParsesAndUnmasksRfcMaskedTextExample) {
  auto in = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  FrameParser p(Role::server);
  FrameParse r = p.parse(in);
  ASSERT_EQ(r.status, FrameStatus::ok);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_TRUE(r.header.masked);
  EXPECT_EQ(r.header.mask, (MaskKey{0x37, 0xfa, 0x21, 0x3d}));
  std::span<std::byte> payload = std::span(in).subspan(6);
  apply_mask(payload, r.header.mask, 0);
  EXPECT_EQ(text(payload), "Hello");
  // Encoding the same frame gives the same bytes.
  std::array<std::byte, max_header_size> head;
  std::size_t n = encode_header(head, Opcode::text, true, false, 5, &r.header.mask);
  EXPECT_EQ(std::vector<std::byte>(head.begin(), head.begin() + n),
            std::vector<std::byte>(in.begin(), in.begin() + 6));
}

TEST(WsFrame, TracksRfcFragmentedTextExample) {
  auto first = bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
  auto ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});  // allowed in between
  auto last = bytes({0x80, 0x02, 0x6c, 0x6f});
  FrameParser p(Role::client);
  FrameParse a = p.parse(first);
  ASSERT_EQ(a.status, FrameStatus::ok);
  EXPECT_FALSE(a.header.fin);
  EXPECT_TRUE(p.in_message());
  FrameParse b = p.parse(ping);
  ASSERT_EQ(b.status, FrameStatus::ok);
  EXPECT_EQ(b.header.opcode, Opcode::ping);
  EXPECT_TRUE(p.in_message());
  FrameParse c = p.parse(last);
  ASSERT_EQ(c.status, FrameStatus::ok);
  EXPECT_EQ(c.header.opcode, Opcode::continuation);
  EXPECT_TRUE(c.header.fin);
  EXPECT_FALSE(p.in_message());
  EXPECT_EQ(p.message_opcode(), Opcode::text);
}

TEST(WsFrame, ParsesRfcMaskedPongAnd16And64BitLengths) {
  FrameParser server(Role::server);
  auto pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  FrameParse r = server.parse(pong);
  ASSERT_EQ(r.status, FrameStatus::ok);
  EXPECT_EQ(r.header.opcode, Opcode::pong);

  FrameParser client(Role::client);
  FrameParse r16 = client.parse(bytes({0x82, 0x7E, 0x01, 0x00}));
  ASSERT_EQ(r16.status, FrameStatus::ok);
  EXPECT_EQ(r16.header.length, 256u);
  EXPECT_EQ(r16.consumed, 4u);
  FrameParse r64 = client.parse(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  ASSERT_EQ(r64.status, FrameStatus::ok);
  EXPECT_EQ(r64.header.length, 65536u);
  EXPECT_EQ(r64.consumed, 10u);
}

TEST(WsFrame, NeedsMoreForEveryPrefixAndConsumesNothing) {
  auto in = bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 1, 2, 3, 4});
  FrameParser p(Role::server);
  for (std::size_t n = 0; n < in.size(); ++n) {
    FrameParse r = p.parse(std::span(in).first(n));
    EXPECT_EQ(r.status, FrameStatus::need_more) << n;
    EXPECT_EQ(r.consumed, 0u);
  }
  FrameParse r = p.parse(in);
  ASSERT_EQ(r.status, FrameStatus::ok);
  EXPECT_EQ(r.consumed, 14u);
  EXPECT_EQ(r.header.mask, (MaskKey{1, 2, 3, 4}));
}

struct Bad {
  Role role;
  std::vector<std::byte> in;
  CloseCode code;
};

TEST(WsFrame, RejectsEveryRuleWithItsCloseCode) {
  FrameLimits small;
  small.max_frame_size = 1000;
  const std::vector<Bad> cases = {
      {Role::client, bytes({0xC1, 0x00}), CloseCode::protocol_error},  // RSV1, no extension
      {Role::client, bytes({0xA1, 0x00}), CloseCode::protocol_error},  // RSV2
      {Role::client, bytes({0x91, 0x00}), CloseCode::protocol_error},  // RSV3
      {Role::client, bytes({0x83, 0x00}), CloseCode::protocol_error},  // reserved data opcode
      {Role::client, bytes({0x8B, 0x00}), CloseCode::protocol_error},  // reserved control
      {Role::client, bytes({0x80, 0x00}), CloseCode::protocol_error},  // continuation alone
      {Role::client, bytes({0x09, 0x00}), CloseCode::protocol_error},  // fragmented ping
      {Role::client, bytes({0x89, 0x7E, 0x00, 0x7E}), CloseCode::protocol_error},  // ping 126
      {Role::server, bytes({0x81, 0x00}), CloseCode::protocol_error},  // unmasked at server
      {Role::client, bytes({0x81, 0x80, 1, 2, 3, 4}), CloseCode::protocol_error},  // masked
      {Role::client, bytes({0x82, 0x7E, 0x00, 0x7D}), CloseCode::protocol_error},  // not shortest
      {Role::client, bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}),
       CloseCode::protocol_error},  // 64-bit form for a 16-bit length
      {Role::client, bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
       CloseCode::protocol_error},                                                  // top bit set
      {Role::client, bytes({0x82, 0x7E, 0x03, 0xE9}), CloseCode::message_too_big},  // 1001
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    FrameParser p(cases[i].role, small);
    FrameParse r = p.parse(cases[i].in);
    EXPECT_EQ(r.status, FrameStatus::error) << i;
    EXPECT_EQ(r.error, cases[i].code) << i << " " << r.what;
  }
}

TEST(WsFrame, RejectsDataFrameInsideMessageAndRsv1OnContinuation) {
  FrameLimits deflate;
  deflate.allow_rsv1 = true;
  FrameParser p(Role::client, deflate);
  ASSERT_EQ(p.parse(bytes({0x41, 0x00})).status, FrameStatus::ok);  // RSV1 text, not fin
  FrameParse again = p.parse(bytes({0x82, 0x00}));
  EXPECT_EQ(again.status, FrameStatus::error);
  EXPECT_EQ(again.error, CloseCode::protocol_error);
  FrameParse rsv1 = p.parse(bytes({0xC0, 0x00}));
  EXPECT_EQ(rsv1.status, FrameStatus::error);
  FrameParse ping = p.parse(bytes({0xC9, 0x00}));  // RSV1 on a control frame
  EXPECT_EQ(ping.status, FrameStatus::error);
  EXPECT_EQ(p.parse(bytes({0x80, 0x00})).status, FrameStatus::ok);
  EXPECT_FALSE(p.in_message());
}

TEST(WsFrame, EncodesEachLengthFormAndRoundTrips) {
  const std::uint64_t lengths[] = {0, 125, 126, 65535, 65536, 1ull << 40};
  MaskKey key{9, 8, 7, 6};
  for (std::uint64_t len : lengths) {
    for (bool masked : {false, true}) {
      std::array<std::byte, max_header_size> head;
      std::size_t n =
          encode_header(head, Opcode::binary, false, true, len, masked ? &key : nullptr);
      FrameLimits lim;
      lim.max_frame_size = ~0ull >> 1;
      lim.allow_rsv1 = true;
      FrameParser p(masked ? Role::server : Role::client, lim);
      FrameParse r = p.parse(std::span(head).first(n));
      ASSERT_EQ(r.status, FrameStatus::ok) << len << r.what;
      EXPECT_EQ(r.consumed, n);
      EXPECT_EQ(r.header.length, len);
      EXPECT_FALSE(r.header.fin);
      EXPECT_TRUE(r.header.rsv1);
      EXPECT_EQ(r.header.masked, masked);
    }
  }
}

TEST(WsFrame, MaskingInPiecesEqualsMaskingAtOnce) {
  std::vector<std::byte> data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 7 + 3);
  MaskKey key{0xde, 0xad, 0xbe, 0xef};
  auto whole = data;
  apply_mask(whole, key, 0);
  for (std::size_t i = 0; i < data.size(); ++i)
    ASSERT_EQ(whole[i], data[i] ^ std::byte(key[i % 4])) << i;
  auto pieces = data;
  for (std::size_t at = 0, step = 1; at < pieces.size(); at += step, step = step % 13 + 1) {
    const std::size_t n = std::min(step, pieces.size() - at);
    apply_mask(std::span(pieces).subspan(at, n), key, at);
  }
  EXPECT_EQ(pieces, whole);
}

TEST(WsCloseCode, IsAnErrorCodeWithValidWireCodes) {
  std::error_code ec = CloseCode::message_too_big;
  EXPECT_EQ(ec.value(), 1009);
  EXPECT_EQ(ec.message(), "message too big");
  EXPECT_TRUE(is_valid_close_code(1000));
  EXPECT_TRUE(is_valid_close_code(3000));
  EXPECT_TRUE(is_valid_close_code(4999));
  EXPECT_FALSE(is_valid_close_code(1005));
  EXPECT_FALSE(is_valid_close_code(1006));
  EXPECT_FALSE(is_valid_close_code(1016));
  EXPECT_FALSE(is_valid_close_code(999));
  EXPECT_FALSE(is_valid_close_code(5000));
}

TEST(WsUtf8, AcceptsValidTextSplitAnywhere) {
  const std::string s = "plain ascii text, then κόσμε, 日本語, 𝄞 and U+10FFFF \xF4\x8F\xBF\xBF.";
  EXPECT_TRUE(is_valid_utf8(s));
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(std::string_view(s).substr(0, cut)));
    EXPECT_TRUE(v.feed(std::string_view(s).substr(cut)));
    EXPECT_TRUE(v.complete()) << cut;
  }
}

TEST(WsUtf8, FailsAtTheFirstBadByte) {
  // Each: valid prefix, then the byte at which no valid continuation exists.
  const std::pair<std::string, std::size_t> cases[] = {
      {"ab\x80", 2},            // stray continuation
      {"\xC0\xAF", 0},          // overlong lead
      {"\xE0\x80\xAF", 1},      // overlong 3-byte
      {"\xED\xA0\x80", 1},      // surrogate
      {"\xF0\x80\x80\x80", 1},  // overlong 4-byte
      {"\xF4\x90\x80\x80", 1},  // > U+10FFFF
      {"\xF5", 0},              // invalid lead
      {"\xCE\xBA\xE1\xBD", 4},  // (incomplete: fails only at complete())
      {"\xE1\xBD\x41", 2},      // ASCII inside a sequence
  };
  for (const auto& [s, bad] : cases) {
    Utf8Validator v;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
      if (!v.feed(std::string_view(s).substr(i, 1))) break;
    }
    EXPECT_EQ(i, bad) << s;
    EXPECT_FALSE(v.complete());
  }
}

}  // namespace
}  // namespace strata::http::ws
