// The WebSocket frame codec (strata/http/ws/frame.hpp).
#include "strata/http/ws/frame.hpp"

#include <cstring>
#include <string>

namespace strata::http::ws {

namespace {

class CloseCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.ws"; }
  std::string message(int c) const override {
    switch (static_cast<CloseCode>(c)) {
      case CloseCode::normal:
        return "normal closure";
      case CloseCode::going_away:
        return "going away";
      case CloseCode::protocol_error:
        return "protocol error";
      case CloseCode::unsupported_data:
        return "unsupported data";
      case CloseCode::no_status:
        return "no status code";
      case CloseCode::abnormal:
        return "abnormal closure";
      case CloseCode::invalid_payload:
        return "invalid frame payload data";
      case CloseCode::policy_violation:
        return "policy violation";
      case CloseCode::message_too_big:
        return "message too big";
      case CloseCode::mandatory_extension:
        return "mandatory extension";
      case CloseCode::internal_error:
        return "internal error";
    }
    return "close code " + std::to_string(c);
  }
};

FrameParse error(CloseCode code, const char* what) noexcept {
  FrameParse p;
  p.status = FrameStatus::error;
  p.error = code;
  p.what = what;
  return p;
}

std::uint8_t byte_at(std::span<const std::byte> in, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(in[i]);
}

}  // namespace

const std::error_category& close_category() noexcept {
  static const CloseCategory c;
  return c;
}

FrameParse FrameParser::parse(std::span<const std::byte> in) noexcept {
  if (in.size() < 2) return {};
  const std::uint8_t b0 = byte_at(in, 0);
  const std::uint8_t b1 = byte_at(in, 1);
  FrameParse p;
  FrameHeader& h = p.header;
  h.fin = (b0 & 0x80) != 0;
  h.rsv1 = (b0 & 0x40) != 0;
  h.opcode = static_cast<Opcode>(b0 & 0x0F);
  h.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;

  // Everything the first two bytes decide, before waiting for more.
  if ((b0 & 0x30) != 0) return error(CloseCode::protocol_error, "RSV2/RSV3 set");
  switch (h.opcode) {
    case Opcode::continuation:
      if (!in_message_) return error(CloseCode::protocol_error, "continuation without a message");
      if (h.rsv1) return error(CloseCode::protocol_error, "RSV1 on a continuation frame");
      break;
    case Opcode::text:
    case Opcode::binary:
      if (in_message_) return error(CloseCode::protocol_error, "new message inside a message");
      if (h.rsv1 && !limits_.allow_rsv1) return error(CloseCode::protocol_error, "RSV1 set");
      break;
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
      if (h.rsv1) return error(CloseCode::protocol_error, "RSV1 on a control frame");
      if (!h.fin) return error(CloseCode::protocol_error, "fragmented control frame");
      if (len7 > max_control_payload)
        return error(CloseCode::protocol_error, "control frame > 125");
      break;
    default:
      return error(CloseCode::protocol_error, "reserved opcode");
  }
  if (h.masked != (role_ == Role::server)) {
    return error(CloseCode::protocol_error,
                 role_ == Role::server ? "unmasked client frame" : "masked server frame");
  }

  std::size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h.masked ? 4 : 0);
  if (in.size() < need) return {};
  std::size_t at = 2;
  if (len7 == 126) {
    h.length = (std::uint64_t{byte_at(in, 2)} << 8) | byte_at(in, 3);
    at = 4;
    if (h.length < 126) return error(CloseCode::protocol_error, "length not in shortest form");
  } else if (len7 == 127) {
    h.length = 0;
    for (std::size_t i = 0; i < 8; ++i) h.length = (h.length << 8) | byte_at(in, 2 + i);
    at = 10;
    if (h.length >> 63) return error(CloseCode::protocol_error, "64-bit length with top bit set");
    if (h.length <= 0xFFFF) return error(CloseCode::protocol_error, "length not in shortest form");
  } else {
    h.length = len7;
  }
  if (h.length > limits_.max_frame_size) return error(CloseCode::message_too_big, "frame too big");
  if (h.masked) {
    for (std::size_t i = 0; i < 4; ++i) h.mask[i] = byte_at(in, at + i);
    at += 4;
  }
  if (h.opcode == Opcode::text || h.opcode == Opcode::binary) {
    message_opcode_ = h.opcode;
    in_message_ = !h.fin;
  } else if (h.opcode == Opcode::continuation && h.fin) {
    in_message_ = false;
  }
  p.status = FrameStatus::ok;
  p.consumed = at;
  return p;
}

std::size_t encode_header(std::span<std::byte, max_header_size> out, Opcode op, bool fin, bool rsv1,
                          std::uint64_t length, const MaskKey* mask) noexcept {
  out[0] = std::byte((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<std::uint8_t>(op));
  const std::uint8_t m = mask ? 0x80 : 0;
  std::size_t at = 2;
  if (length < 126) {
    out[1] = std::byte(m | length);
  } else if (length <= 0xFFFF) {
    out[1] = std::byte(m | 126);
    out[2] = std::byte(length >> 8);
    out[3] = std::byte(length & 0xFF);
    at = 4;
  } else {
    out[1] = std::byte(m | 127);
    for (std::size_t i = 0; i < 8; ++i) out[2 + i] = std::byte((length >> (56 - 8 * i)) & 0xFF);
    at = 10;
  }
  if (mask) {
    for (std::size_t i = 0; i < 4; ++i) out[at + i] = std::byte((*mask)[i]);
    at += 4;
  }
  return at;
}

void apply_mask(std::span<std::byte> data, const MaskKey& key, std::uint64_t offset) noexcept {
  // The key rotated so that its first byte lines up with data[0], repeated to 8 bytes.
  std::array<std::uint8_t, 8> k8;
  for (std::size_t i = 0; i < 8; ++i) k8[i] = key[(offset + i) & 3];
  std::uint64_t k;
  std::memcpy(&k, k8.data(), 8);
  std::byte* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= k;
    std::memcpy(p, &w, 8);
    p += 8;
    n -= 8;
  }
  for (std::size_t i = 0; i < n; ++i) p[i] ^= std::byte(k8[i]);
}

}  // namespace strata::http::ws
