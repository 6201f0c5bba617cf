#include "strata/web/validate.hpp"

// libstdc++ 12's <regex> trips -Wmaybe-uninitialized at -O1 with the sanitizers (a false
// positive inside std::function); the warning is off for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <charconv>
#include <regex>
#include <string>
#include <unordered_map>

namespace strata::web::detail {

bool regex_search(std::string_view re, std::string_view text) {
  // Patterns are literals from rule tables: compile each once per thread.
  thread_local std::unordered_map<std::string, std::regex> cache;
  auto it = cache.find(std::string(re));
  if (it == cache.end())
    it = cache.emplace(std::string(re), std::regex(re.begin(), re.end(), std::regex::ECMAScript))
             .first;
  return std::regex_search(text.begin(), text.end(), it->second);
}

std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string number_text(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

std::string join_path(std::string_view base, std::string_view name) {
  if (base.empty()) return std::string(name);
  std::string s;
  s.reserve(base.size() + 1 + name.size());
  s += base;
  s += '.';
  s += name;
  return s;
}

}  // namespace strata::web::detail
