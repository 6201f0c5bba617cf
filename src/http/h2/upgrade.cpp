#include "strata/http/h2/upgrade.hpp"

#include <array>
#include <cstdint>

#include "strata/http/headers.hpp"

namespace strata::http::h2 {

namespace {

// True if the comma-separated list `list` holds `token` (optional whitespace around items).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (ascii_iequals(item, token)) return true;
  }
  return false;
}

constexpr std::array<std::int8_t, 256> base64url_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 26; ++i) {
    t[static_cast<std::size_t>('A' + i)] = static_cast<std::int8_t>(i);
    t[static_cast<std::size_t>('a' + i)] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i)
    t[static_cast<std::size_t>('0' + i)] = static_cast<std::int8_t>(52 + i);
  t['-'] = 62;
  t['_'] = 63;
  return t;
}

}  // namespace

std::optional<std::string> decode_http2_settings(std::string_view field) {
  static constexpr auto table = base64url_table();
  // token68 without padding (RFC 7540 §3.2.1); trailing '=' is tolerated, as nghttp2 does.
  while (!field.empty() && field.back() == '=') field.remove_suffix(1);
  if (field.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(field.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : field) {
    const std::int8_t v = table[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (out.size() % 6 != 0) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); i += 6) {
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(std::uint8_t(out[i + k])); };
    const std::uint32_t id = byte(0) << 8 | byte(1);
    const std::uint32_t value = byte(2) << 24 | byte(3) << 16 | byte(4) << 8 | byte(5);
    switch (id) {
      case 0x2:  // ENABLE_PUSH
        if (value > 1) return std::nullopt;
        break;
      case 0x4:  // INITIAL_WINDOW_SIZE
        if (value > 0x7fffffffu) return std::nullopt;
        break;
      case 0x5:  // MAX_FRAME_SIZE
        if (value < (1u << 14) || value > (1u << 24) - 1) return std::nullopt;
        break;
      case 0x8:  // ENABLE_CONNECT_PROTOCOL
      case 0x9:  // NO_RFC7540_PRIORITIES
        if (value > 1) return std::nullopt;
        break;
      default:
        break;  // unknown settings are ignored (§6.5.2)
    }
  }
  return out;
}

bool wants_h2c(std::string_view upgrade, std::string_view connection) {
  return has_token(upgrade, "h2c") && has_token(connection, "upgrade") &&
         has_token(connection, "http2-settings");
}

}  // namespace strata::http::h2
