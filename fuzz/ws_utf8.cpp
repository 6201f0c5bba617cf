// Fuzzes the incremental UTF-8 validator (strata/http/ws/utf8.hpp) against a reference decoder
// written differently: it decodes whole sequences to code points and checks ranges, and decides
// whether a trailing partial sequence can still be completed from the smallest and largest code
// points its completions could have. For every input:
//
//   - fed byte by byte, the validator fails exactly at the first byte after which no valid
//     UTF-8 text starts with the input (the reference's answer), and complete() agrees with the
//     reference on the whole input;
//   - fed in one piece or in pieces cut by the input, it gives the same verdict.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.hpp"
#include "strata/http/ws/utf8.hpp"

namespace {

using strata::http::ws::Utf8Validator;

constexpr strata::fuzz::Check check{"ws_utf8"};

// Whether some valid sequence starts with s[0..n) (n <= the sequence's length).
bool completable(const std::uint8_t* s, std::size_t n) {
  const std::uint8_t lead = s[0];
  std::size_t len;
  std::uint32_t cp;
  if (lead < 0x80) return true;
  if (lead >= 0xC0 && lead < 0xE0) {
    len = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead < 0xF0) {
    len = 3, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead < 0xF8) {
    len = 4, cp = lead & 0x07;
  } else {
    return false;
  }
  std::uint32_t lo = cp, hi = cp;
  for (std::size_t i = 1; i < len; ++i) {
    if (i < n) {
      if ((s[i] & 0xC0) != 0x80) return false;
      lo = (lo << 6) | (s[i] & 0x3F);
      hi = (hi << 6) | (s[i] & 0x3F);
    } else {
      lo = lo << 6;
      hi = (hi << 6) | 0x3F;
    }
  }
  const std::uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  const std::uint32_t max_cp = len == 2 ? 0x7FF : len == 3 ? 0xFFFF : 0x10FFFF;
  if (hi < min_cp || lo > max_cp) return false;
  if (lo >= 0xD800 && hi <= 0xDFFF) return false;  // surrogates only
  return true;
}

// The reference: the index of the first byte at which the input stops being a prefix of valid
// UTF-8 (size if none), and whether the whole input is valid.
std::size_t reference(const std::uint8_t* s, std::size_t size, bool& valid) {
  std::size_t start = 0;  // start of the current sequence
  while (start < size) {
    const std::uint8_t lead = s[start];
    const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    for (std::size_t n = 1; n <= len; ++n) {
      if (start + n > size) {
        valid = false;
        return size;
      }
      if (!completable(s + start, n)) {
        valid = false;
        return start + n - 1;
      }
    }
    start += len;
  }
  valid = true;
  return size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bool ref_valid = false;
  const std::size_t ref_bad = reference(data, size, ref_valid);

  Utf8Validator bytewise;
  std::size_t bad = size;
  for (std::size_t i = 0; i < size; ++i) {
    if (!bytewise.feed(in.substr(i, 1))) {
      bad = i;
      break;
    }
  }
  check(bad == ref_bad, "fails at a different byte than the reference", in);
  check(bytewise.complete() == ref_valid, "complete() differs from the reference", in);

  Utf8Validator whole;
  const bool ok = whole.feed(in);
  check(ok == (ref_bad == size), "one-shot feed verdict differs", in);
  check(whole.complete() == ref_valid, "one-shot complete() differs", in);

  Utf8Validator split;
  const std::size_t cut = strata::fuzz::split_point(in);
  const bool a = split.feed(in.substr(0, cut));
  const bool b = split.feed(in.substr(cut));
  check((a && b) == ok, "split feed verdict differs", in);
  check(split.complete() == ref_valid, "split complete() differs", in);
  return 0;
}
