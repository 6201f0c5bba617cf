// Helpers shared by the fuzz drivers (fuzz/*.cpp): a checker that aborts with the
// failing input, view and character-class predicates, and a split point derived from the input.
// Not a target itself: fuzz/CMakeLists.txt builds only fuzz/*.cpp.
//
//   constexpr strata::fuzz::Check check{"h1_request"};
//   check(r.consumed <= in.size(), "consumed out of range", in);   // aborts, printing `in`
//   check(strata::fuzz::inside(h.target, head), "target outside the head", in);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "strata/http/h1/parser.hpp"

namespace strata::fuzz {

// An invariant check that prints the target's name, what failed and the input, then aborts (so
// libFuzzer saves the input as a crash).
class Check {
 public:
  explicit constexpr Check(const char* target) noexcept : target_(target) {}

  void operator()(bool ok, const char* what, std::string_view input) const {
    if (!ok) die(what, input);
  }

 private:
  [[noreturn]] void die(const char* what, std::string_view input) const {
    std::fprintf(stderr, "%s fuzz: %s; input (%zu bytes): \"%.*s\"\n", target_, what, input.size(),
                 int(input.size()), input.data());
    std::abort();
  }

  const char* target_;
};

// Whether the view `v` lies inside `buf` (an empty view lies anywhere).
inline bool inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

// Whether every character of `s` is in the h1 character class `cls` (h1::detail::k_*).
inline bool all_of(std::string_view s, std::uint8_t cls) {
  for (char c : s) {
    if (!http::h1::detail::is(c, cls)) return false;
  }
  return true;
}

// A point in [0, in.size()] derived from the bytes (FNV-1a), so that a crash reproduces from the
// saved input alone.
inline std::size_t split_point(std::string_view in) {
  std::size_t hash = 14695981039346656037ull;
  for (char c : in) hash = (hash ^ std::uint8_t(c)) * 1099511628211ull;
  return in.empty() ? 0 : hash % (in.size() + 1);
}

}  // namespace strata::fuzz
