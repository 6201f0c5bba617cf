// HTTP request methods (RFC 9110 §9): the nine standard methods and extension methods.
//
// A Method is a 24-byte trivially copyable value. The standard methods are named constants
// (Method::get, Method::post, ...) compared by a one-byte kind; an extension method (any RFC 9110
// token, e.g. PROPFIND) keeps its name inline, so copying or comparing a Method never allocates
// and a Method never dangles. Method names are case-sensitive (RFC 9110 §9.1): "get" is an
// extension method, not GET.
//
//   auto m = strata::http::Method::parse("PATCH");          // Result<Method>
//   if (m && *m == strata::http::Method::patch) use(*m);
//   m->as_str();          // "PATCH"
//   m->is_idempotent();   // false
//
// parse() rejects an empty name, a non-token byte and an extension name longer than
// max_extension_len with Errc::invalid_input. A parser that has already checked the token
// (strata/http/h1/parser.hpp) calls from_validated(), which skips that byte-by-byte check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "strata/rt/error.hpp"

namespace strata::http {

// An HTTP request method: a standard method or an extension token stored inline.
class Method {
 public:
  // Which standard method this is; `extension` for any other token.
  enum class Kind : std::uint8_t {
    get,
    head,
    post,
    put,
    delete_,
    connect,
    options,
    trace,
    patch,
    extension,
  };

  // Longest extension method name kept inline (WebDAV's longest, UPDATEREDIRECTREF, has 17).
  static constexpr std::size_t max_extension_len = 22;

  static const Method get, head, post, put, delete_, connect, options, trace, patch;

  // GET, the default request method.
  constexpr Method() noexcept : Method(Kind::get) {}

  // Case-sensitive: a standard name gives its standard method, any other token an extension.
  static Result<Method> parse(std::string_view name) noexcept;
  // parse() for a name already known to be a non-empty token: the same result, without
  // re-checking its bytes. Fails only for an extension longer than max_extension_len.
  static Result<Method> from_validated(std::string_view token) noexcept;

  constexpr Kind kind() const noexcept { return kind_; }
  constexpr bool is_extension() const noexcept { return kind_ == Kind::extension; }
  // The method's name; for an extension a view into this Method (valid while it lives).
  std::string_view as_str() const noexcept;

  // Safe methods are read-only by definition (RFC 9110 §9.2.1): GET, HEAD, OPTIONS, TRACE.
  constexpr bool is_safe() const noexcept {
    return kind_ == Kind::get || kind_ == Kind::head || kind_ == Kind::options ||
           kind_ == Kind::trace;
  }
  // Safe methods plus PUT and DELETE (RFC 9110 §9.2.2); extension methods are not assumed to be.
  constexpr bool is_idempotent() const noexcept {
    return is_safe() || kind_ == Kind::put || kind_ == Kind::delete_;
  }

  friend bool operator==(const Method& a, const Method& b) noexcept {
    if (a.kind_ != b.kind_) return false;
    if (a.kind_ != Kind::extension) return true;
    return a.as_str() == b.as_str();
  }

  std::size_t hash() const noexcept;

 private:
  explicit constexpr Method(Kind k) noexcept : len_(0), kind_(k) {}

  char name_[max_extension_len]{};
  std::uint8_t len_;
  Kind kind_;
};

inline constexpr Method Method::get{Method::Kind::get};
inline constexpr Method Method::head{Method::Kind::head};
inline constexpr Method Method::post{Method::Kind::post};
inline constexpr Method Method::put{Method::Kind::put};
inline constexpr Method Method::delete_{Method::Kind::delete_};
inline constexpr Method Method::connect{Method::Kind::connect};
inline constexpr Method Method::options{Method::Kind::options};
inline constexpr Method Method::trace{Method::Kind::trace};
inline constexpr Method Method::patch{Method::Kind::patch};

}  // namespace strata::http

template <>
struct std::hash<strata::http::Method> {
  std::size_t operator()(const strata::http::Method& m) const noexcept { return m.hash(); }
};
