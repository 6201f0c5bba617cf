// FixedString<N>: a string literal usable as a template argument (`Param<"id", int>`).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace strata::web::detail {

template <std::size_t N>
struct FixedString {
  char chars[N]{};
  constexpr FixedString(const char (&s)[N]) noexcept { std::copy_n(s, N, chars); }  // NOLINT
  constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
  constexpr operator std::string_view() const noexcept { return view(); }  // NOLINT
};

// The name of a type for messages, without its namespaces ("TodoService"), from the
// compiler's signature text.
template <class T>
constexpr std::string_view type_name() noexcept {
  std::string_view s = __PRETTY_FUNCTION__;
  auto start = s.find("T = ") + 4;
  auto end = s.find_first_of(";]", start);
  s = s.substr(start, end - start);
  auto scope = s.substr(0, s.find('<')).rfind("::");
  return scope == std::string_view::npos ? s : s.substr(scope + 2);
}

}  // namespace strata::web::detail
