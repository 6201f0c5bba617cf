// Fuzzes the WebSocket frame parser and masking (strata/http/ws/frame.hpp). The input is a
// stream of frames (its first byte picks the role and the limits); for each frame header:
//
//   - every shorter prefix of the bytes the parser needed is need_more (it never decides on
//     bytes it was not given), and a copy of the parser fed the header byte by byte reaches the
//     same status, header and error;
//   - an ok header re-encodes with encode_header to exactly the input bytes (one wire form per
//     header), control frames are final and at most 125 bytes, masking matches the role, the
//     length respects the limit, RSV1 only where allowed;
//   - apply_mask over the payload, in pieces cut by the input, equals a byte-wise XOR.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "strata/http/ws/frame.hpp"

namespace {

using namespace strata::http::ws;

constexpr strata::fuzz::Check check{"ws_frame"};

bool same(const FrameParse& a, const FrameParse& b) {
  if (a.status != b.status || a.consumed != b.consumed) return false;
  if (a.status == FrameStatus::error) return a.error == b.error;
  if (a.status == FrameStatus::need_more) return true;
  const FrameHeader &x = a.header, &y = b.header;
  return x.opcode == y.opcode && x.fin == y.fin && x.rsv1 == y.rsv1 && x.masked == y.masked &&
         x.mask == y.mask && x.length == y.length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const Role role = (data[0] & 1) ? Role::server : Role::client;
  FrameLimits lim;
  lim.allow_rsv1 = (data[0] & 2) != 0;
  lim.max_frame_size = (data[0] & 4) ? 1000 : (std::uint64_t{1} << 62);
  FrameParser parser(role, lim);
  std::vector<std::byte> bytes;
  for (std::size_t i = 1; i < size; ++i) bytes.push_back(std::byte(data[i]));
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::span<const std::byte> rest = std::span(bytes).subspan(at);
    FrameParser before = parser;
    const FrameParse r = parser.parse(rest);
    if (r.status == FrameStatus::need_more) {
      check(r.consumed == 0, "need_more consumed bytes", in);
      check(rest.size() < max_header_size, "need_more with a full header available", in);
      break;
    }
    // The shortest prefix that decides: every shorter one is need_more.
    std::size_t decided = 0;
    for (std::size_t n = 0; n <= rest.size(); ++n) {
      FrameParser probe = before;
      const FrameParse q = probe.parse(rest.first(n));
      if (q.status == FrameStatus::need_more) continue;
      check(same(q, r), "a prefix decides differently than the whole input", in);
      decided = n;
      break;
    }
    check(decided >= 2, "decided on fewer than two bytes", in);
    if (r.status == FrameStatus::error) {
      check(r.error == CloseCode::protocol_error || r.error == CloseCode::message_too_big,
            "unexpected close code", in);
      check(!parser.in_message() || before.in_message(), "an error changed the state", in);
      break;
    }
    check(r.consumed == decided, "ok decided before the whole header", in);
    const FrameHeader& h = r.header;
    std::array<std::byte, max_header_size> head;
    const std::size_t n =
        encode_header(head, h.opcode, h.fin, h.rsv1, h.length, h.masked ? &h.mask : nullptr);
    check(n == r.consumed && std::equal(head.begin(), head.begin() + n, rest.begin()),
          "re-encoded header differs from the input", in);
    check(h.masked == (role == Role::server), "masking does not match the role", in);
    check(h.length <= lim.max_frame_size, "length over the limit", in);
    check(!h.rsv1 || (lim.allow_rsv1 && !is_control(h.opcode) && h.opcode != Opcode::continuation),
          "RSV1 where not allowed", in);
    if (is_control(h.opcode)) check(h.fin && h.length <= 125, "bad control frame accepted", in);
    const std::size_t payload =
        static_cast<std::size_t>(std::min<std::uint64_t>(h.length, rest.size() - r.consumed));
    if (h.masked && payload > 0) {
      std::vector<std::byte> masked(rest.begin() + std::ptrdiff_t(r.consumed),
                                    rest.begin() + std::ptrdiff_t(r.consumed + payload));
      std::vector<std::byte> ref = masked;
      for (std::size_t i = 0; i < ref.size(); ++i) ref[i] ^= std::byte(h.mask[i % 4]);
      const std::size_t cut = strata::fuzz::split_point(in) % (payload + 1);
      apply_mask(std::span(masked).first(cut), h.mask, 0);
      apply_mask(std::span(masked).subspan(cut), h.mask, cut);
      check(masked == ref, "apply_mask differs from byte-wise XOR", in);
    }
    at += r.consumed + payload;
  }
  return 0;
}
