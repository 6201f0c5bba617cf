// Incremental UTF-8 validation (strata/http/ws/utf8.hpp).
//
// A byte-at-a-time automaton over RFC 3629's table: after a lead byte it expects `need_`
// continuation bytes, the first of which must lie in [lo_, hi_] (that range excludes overlong
// forms after E0/F0, surrogates after ED and code points past U+10FFFF after F4); later ones in
// [80, BF]. Between characters, eight-byte words without a high bit are skipped at once.
#include "strata/http/ws/utf8.hpp"

#include <cstring>

namespace strata::http::ws {

bool Utf8Validator::feed(std::span<const std::byte> bytes) noexcept {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::uint8_t* const end = p + bytes.size();
  while (p < end) {
    if (need_ == 0) {
      while (end - p >= 8) {  // the ASCII fast path
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & 0x8080808080808080ull) break;
        p += 8;
      }
      if (p == end) break;
      const std::uint8_t b = *p++;
      if (b < 0x80) continue;
      lo_ = 0x80;
      hi_ = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        need_ = 2;
        if (b == 0xE0) lo_ = 0xA0;  // overlong
        if (b == 0xED) hi_ = 0x9F;  // surrogates
      } else if (b >= 0xF0 && b <= 0xF4) {
        need_ = 3;
        if (b == 0xF0) lo_ = 0x90;  // overlong
        if (b == 0xF4) hi_ = 0x8F;  // > U+10FFFF
      } else {
        failed_ = true;  // continuation byte, C0/C1 (overlong), F5-FF
        return false;
      }
      continue;
    }
    const std::uint8_t b = *p++;
    if (b < lo_ || b > hi_) {
      failed_ = true;
      return false;
    }
    --need_;
    lo_ = 0x80;
    hi_ = 0xBF;
  }
  return true;
}

}  // namespace strata::http::ws
