// Handler parameters, injected by type: each is extracted from the request, converted and
// checked before the handler runs; every conversion or constraint failure of one request is
// listed in a single 400.
//
//   class Handlers {                                       // a controller's handlers
//     Task<Todo> find(web::Param<"id", std::int64_t, web::Min{1}> id);         // /todos/:id
//     Task<std::vector<Todo>> list(web::Query<"done", std::optional<bool>> done,
//                                  web::Query<"limit", int, web::Default{20}, web::Min{1},
//                                             web::Max{100}> limit);
//     Task<Todo> create(web::Body<CreateTodo> dto, web::Header<"authorization"> auth);
//     Task<void> touch(web::Cookie<"sid", std::optional<std::string>> sid);
//     // and: http::Request&, web::Context&, std::shared_ptr<P> (a provider, DI),
//     // or any type E with `static E extract(web::Context&, web::Violations&)`.
//   };
//
// Values are read with `*p`, `p->` or `p.value`. Path parameters are percent-decoded; a
// parameter that is not std::optional and has no Default is required. Body<T>: T = std::string
// (raw text), json::value (any JSON), web::Form (application/x-www-form-urlencoded) or a
// described struct (JSON object, whitelisted and validated, validate.hpp). The body is read
// up to the route's body limit (App config; 413 beyond).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/http/request.hpp"
#include "strata/web/context.hpp"
#include "strata/web/detail/fixed_string.hpp"
#include "strata/web/openapi.hpp"
#include "strata/web/validate.hpp"

namespace strata::web {

namespace detail {

template <auto C>
constexpr bool is_default_v = requires {
  C.value;
};

template <class T, auto... Checks>
std::optional<T> default_of() {
  std::optional<T> r;
  (
      [&] {
        if constexpr (is_default_v<Checks>) r = T(Checks.value);
      }(),
      ...);
  return r;
}

// A text parameter (path, query, header, cookie) as T with its checks; `raw` is nullopt when
// absent.
template <class T, auto... Checks>
T text_param(std::optional<std::string_view> raw, std::string_view name, Violations& out) {
  if constexpr (IsOptional<T>::value) {
    using U = typename T::value_type;
    if (!raw) return std::nullopt;
    std::optional<U> v = decode_text<U>(*raw, name, out);
    if (v) check_all(*v, name, out, Checks...);
    return v;
  } else {
    if (!raw) {
      if (std::optional<T> d = default_of<T, Checks...>()) return std::move(*d);
      out.add(std::string(name) + " should not be empty");
      return T{};
    }
    std::optional<T> v = decode_text<T>(*raw, name, out);
    if (!v) return T{};
    check_all(*v, name, out, Checks...);
    return std::move(*v);
  }
}

std::optional<std::string> path_param(const http::Request& req, std::string_view name);
std::optional<std::string_view> cookie(const http::Request& req, std::string_view name);
json::value parse_json_body(std::string_view text);  // throws BadRequestException

// The value holder shared by the named extractors.
template <class T, auto... Checks>
struct ParamDoc {
  using Inner = typename std::conditional_t<IsOptional<T>::value, T, std::optional<T>>::value_type;
  static json::object openapi_schema() { return param_schema<Inner, Checks...>(); }
  static constexpr bool openapi_required = !IsOptional<T>::value && !(is_default_v<Checks> || ...);
};

template <class T>
struct Holder {
  T value{};
  const T& operator*() const noexcept { return value; }
  T& operator*() noexcept { return value; }
  const T* operator->() const noexcept { return &value; }
  T* operator->() noexcept { return &value; }
};

}  // namespace detail

// A path parameter (`:name` in the route pattern; checked at compile time).
template <detail::FixedString Name, class T = std::string, auto... Checks>
struct Param : detail::Holder<T>, detail::ParamDoc<T, Checks...> {
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view openapi_in = "path";
  static Param extract(Context& ctx, Violations& out) {
    std::optional<std::string> raw = detail::path_param(ctx.request, name);
    std::optional<std::string_view> view;
    if (raw) view = *raw;
    return {{detail::text_param<T, Checks...>(view, name, out)}, {}};
  }
};

// A query parameter (first occurrence, decoded).
template <detail::FixedString Name, class T = std::string, auto... Checks>
struct Query : detail::Holder<T>, detail::ParamDoc<T, Checks...> {
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view openapi_in = "query";
  static Query extract(Context& ctx, Violations& out) {
    std::optional<std::string> raw = ctx.request.query_param(name);
    std::optional<std::string_view> view;
    if (raw) view = *raw;
    return {{detail::text_param<T, Checks...>(view, name, out)}, {}};
  }
};

// A request header field (the first, by case-insensitive name).
template <detail::FixedString Name, class T = std::string, auto... Checks>
struct Header : detail::Holder<T>, detail::ParamDoc<T, Checks...> {
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view openapi_in = "header";
  static Header extract(Context& ctx, Violations& out) {
    return {{detail::text_param<T, Checks...>(ctx.request.headers.get(name), name, out)}, {}};
  }
};

// A cookie from the Cookie header.
template <detail::FixedString Name, class T = std::string, auto... Checks>
struct Cookie : detail::Holder<T>, detail::ParamDoc<T, Checks...> {
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view openapi_in = "cookie";
  static Cookie extract(Context& ctx, Violations& out) {
    return {{detail::text_param<T, Checks...>(detail::cookie(ctx.request, name), name, out)}, {}};
  }
};

// An application/x-www-form-urlencoded body: the decoded pairs in order.
struct Form {
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::string_view> get(std::string_view key) const noexcept {
    for (const auto& [k, v] : fields)
      if (k == key) return v;
    return std::nullopt;
  }
};
Form parse_form(std::string_view text);  // throws BadRequestException on a bad escape

// The request body as T (see the top of this file).
template <class T>
struct Body : detail::Holder<T> {
  static Body extract(Context& ctx, Violations& out) {
    const std::string& text = *ctx.body_text;
    if constexpr (std::is_same_v<T, std::string>) {
      return {{text}};
    } else if constexpr (std::is_same_v<T, Form>) {
      return {{parse_form(text)}};
    } else {
      json::value v = detail::parse_json_body(text);
      return {{decode<T>(v, out)}};
    }
  }
};

namespace detail {
template <class T>
struct IsBody : std::false_type {};
template <class T>
struct IsBody<Body<T>> : std::true_type {};
template <class T>
struct IsParam : std::false_type {};
template <FixedString N, class T, auto... C>
struct IsParam<Param<N, T, C...>> : std::true_type {};
template <class T>
struct IsSharedPtr : std::false_type {};
template <class T>
struct IsSharedPtr<std::shared_ptr<T>> : std::true_type {};

// What a handler parameter may be.
template <class A>
concept HasExtract = requires(Context& c, Violations& v) {
  { std::remove_cvref_t<A>::extract(c, v) } -> std::same_as<std::remove_cvref_t<A>>;
};
template <class A>
concept Extractable = std::is_same_v<A, http::Request&> ||
    std::is_same_v<A, const http::Request&> || std::is_same_v<A, Context&> ||
    IsSharedPtr<std::remove_cvref_t<A>>::value ||
    ((!std::is_reference_v<A> || std::is_const_v<std::remove_reference_t<A>>)&&HasExtract<A>);
}  // namespace detail

}  // namespace strata::web
