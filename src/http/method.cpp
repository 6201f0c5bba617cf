#include "strata/http/method.hpp"

#include <cstring>

#include "strata/http/headers.hpp"

namespace strata::http {

namespace {
constexpr std::string_view standard_names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                               "CONNECT", "OPTIONS", "TRACE", "PATCH"};

// The standard method named `name`, or Kind::extension. One length switch and at most two
// compares: this runs once per request on a server.
Method::Kind standard_kind(std::string_view name) noexcept {
  using K = Method::Kind;
  const auto is = [name](K k) { return name == standard_names[static_cast<std::size_t>(k)]; };
  switch (name.size()) {
    case 3:
      return is(K::get) ? K::get : is(K::put) ? K::put : K::extension;
    case 4:
      return is(K::post) ? K::post : is(K::head) ? K::head : K::extension;
    case 5:
      return is(K::patch) ? K::patch : is(K::trace) ? K::trace : K::extension;
    case 6:
      return is(K::delete_) ? K::delete_ : K::extension;
    case 7:
      return is(K::options) ? K::options : is(K::connect) ? K::connect : K::extension;
    default:
      return K::extension;
  }
}
}  // namespace

Result<Method> Method::parse(std::string_view name) noexcept {
  // from_validated() settles the standard names and the length; only an extension's bytes are
  // left to check.
  if (name.size() <= max_extension_len && standard_kind(name) == Kind::extension &&
      !is_valid_name(name)) {
    return fail(Errc::invalid_input, "method");
  }
  return from_validated(name);
}

Result<Method> Method::from_validated(std::string_view token) noexcept {
  const Kind k = standard_kind(token);
  if (k != Kind::extension) return Method(k);
  if (token.size() > max_extension_len) return fail(Errc::invalid_input, "method: too long");
  Method m(Kind::extension);
  std::memcpy(m.name_, token.data(), token.size());
  m.len_ = static_cast<std::uint8_t>(token.size());
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
