#include "strata/http/method.hpp"

#include <cstring>

#include "strata/http/headers.hpp"

namespace strata::http {

namespace {
constexpr std::string_view standard_names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                               "CONNECT", "OPTIONS", "TRACE", "PATCH"};
}  // namespace

Result<Method> Method::parse(std::string_view name) noexcept {
  // Standard names first: they are the common case and need no token check.
  for (std::size_t i = 0; i < std::size(standard_names); ++i) {
    if (name == standard_names[i]) return Method(static_cast<Kind>(i));
  }
  if (name.size() > max_extension_len) return fail(Errc::invalid_input, "method: too long");
  if (!is_valid_name(name)) return fail(Errc::invalid_input, "method");
  Method m(Kind::extension);
  std::memcpy(m.name_, name.data(), name.size());
  m.len_ = static_cast<std::uint8_t>(name.size());
  return m;
}

std::string_view Method::as_str() const noexcept {
  if (kind_ != Kind::extension) return standard_names[static_cast<std::size_t>(kind_)];
  return {name_, len_};
}

std::size_t Method::hash() const noexcept {
  // FNV-1a over the name: standard and extension methods hash alike by text.
  std::size_t h = 14695981039346656037ull;
  for (char c : as_str()) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace strata::http
