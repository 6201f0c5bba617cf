// ws::FrameParser and ws::encode_header: the WebSocket frame codec (RFC 6455 §5), strict and
// bounded, with the XOR masking both directions need.
//
//   ws::FrameParser parser(ws::Role::server, {});
//   ws::FrameParse p = parser.parse(bytes);            // one frame header at the front
//   if (p.status == ws::FrameStatus::error) fail_connection(p.error);   // 1002, 1009
//   if (p.status == ws::FrameStatus::ok) {
//     // p.consumed header bytes; then p.header.length payload bytes follow
//     ws::apply_mask(payload, p.header.mask, 0);     // unmask in place (client frames)
//   }
//
//   std::array<std::byte, ws::max_header_size> head;
//   std::size_t n = ws::encode_header(head, ws::Opcode::text, true, false, 5, nullptr);
//
// The parser reads headers only: payload bytes never go through it, so a caller can read a
// large frame in pieces straight into its own buffers. It keeps the fragmentation state (whether
// a message is open) and rejects, with the close code RFC 6455 asks for:
// - RSV2/RSV3, and RSV1 unless an extension allows it on a message's first frame: 1002;
// - unknown opcodes, a continuation with no open message, a new data frame inside one: 1002;
// - control frames that are fragmented or longer than 125 bytes: 1002;
// - an unmasked frame at a server, a masked one at a client: 1002;
// - a 64-bit length with the top bit set, or a length not in its shortest form: 1002;
// - a frame longer than FrameLimits::max_frame_size (default 16 MiB): 1009.
// Incomplete input is FrameStatus::need_more with nothing consumed. No allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace strata::http::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close, ping and pong: at most 125 bytes, never fragmented.
constexpr bool is_control(Opcode op) noexcept {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

// Close status codes (RFC 6455 §7.4.1). Also an error-code enum: a connection the WebSocket
// layer fails reports its close code as the Error's code (err == ws::CloseCode::protocol_error).
enum class CloseCode : std::uint16_t {
  normal = 1000,               // the purpose of the connection was fulfilled
  going_away = 1001,           // server shutting down, page navigated away, peer timed out
  protocol_error = 1002,       // a frame broke RFC 6455
  unsupported_data = 1003,     // a message type the endpoint cannot accept
  no_status = 1005,            // (never sent) a close frame without a code
  abnormal = 1006,             // (never sent) the connection ended without a close frame
  invalid_payload = 1007,      // text that is not UTF-8, a bad compressed payload
  policy_violation = 1008,     // a generic "refused"
  message_too_big = 1009,      // a frame or message over the configured limit
  mandatory_extension = 1010,  // (client) the server did not negotiate a needed extension
  internal_error = 1011,       // the server hit an unexpected condition
};

const std::error_category& close_category() noexcept;
inline std::error_code make_error_code(CloseCode c) noexcept {
  return {static_cast<int>(c), close_category()};
}

// Whether `code` may travel in a close frame (RFC 6455 §7.4): 1000-1003, 1007-1011, 3000-4999.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

enum class Role : std::uint8_t { server, client };

// 2 bytes of flags and length, 8 of extended length, 4 of masking key.
inline constexpr std::size_t max_header_size = 14;
inline constexpr std::size_t max_control_payload = 125;

using MaskKey = std::array<std::uint8_t, 4>;

struct FrameHeader {
  Opcode opcode = Opcode::continuation;
  bool fin = true;
  bool rsv1 = false;  // permessage-deflate: "this message is compressed" (first frame only)
  bool masked = false;
  MaskKey mask{};
  std::uint64_t length = 0;
};

struct FrameLimits {
  std::uint64_t max_frame_size = 16u << 20;  // payload bytes of one frame; over it: 1009
  bool allow_rsv1 = false;                   // an extension (permessage-deflate) uses RSV1
};

enum class FrameStatus : std::uint8_t { need_more, ok, error };

struct FrameParse {
  FrameStatus status = FrameStatus::need_more;
  std::size_t consumed = 0;  // header bytes (ok only)
  FrameHeader header;
  CloseCode error = CloseCode::normal;  // error only: the code to close with
  const char* what = "";                // error only: which rule the frame broke
};

class FrameParser {
 public:
  explicit FrameParser(Role role, FrameLimits limits = {}) noexcept
      : role_(role), limits_(limits) {}

  // Parses the frame header at the front of `in`. On ok the parser has moved past the frame
  // (its fragmentation state counts it); on need_more or error nothing changed.
  FrameParse parse(std::span<const std::byte> in) noexcept;

  // Whether a fragmented data message is open (its next data frame must be a continuation).
  bool in_message() const noexcept { return in_message_; }
  // The opcode (text/binary) of the open or last data message.
  Opcode message_opcode() const noexcept { return message_opcode_; }
  Role role() const noexcept { return role_; }
  const FrameLimits& limits() const noexcept { return limits_; }
  void set_limits(const FrameLimits& l) noexcept { limits_ = l; }

 private:
  Role role_;
  FrameLimits limits_;
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::binary;
};

// Writes a frame header into `out` and returns its size (2 to 14 bytes). `mask` is null for an
// unmasked frame (server to client).
std::size_t encode_header(std::span<std::byte, max_header_size> out, Opcode op, bool fin, bool rsv1,
                          std::uint64_t length, const MaskKey* mask) noexcept;

// XORs `data` with `key`, where data[0] is payload byte `offset` of its frame (so a payload can
// be (un)masked in pieces). Eight bytes per step.
void apply_mask(std::span<std::byte> data, const MaskKey& key, std::uint64_t offset) noexcept;

}  // namespace strata::http::ws

template <>
struct std::is_error_code_enum<strata::http::ws::CloseCode> : std::true_type {};
