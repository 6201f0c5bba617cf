// web::decode and constraints: JSON (or text) into typed values, listing every violation in
// class-validator's words, so one 400 tells the client everything that is wrong.
//
//   struct CreateTodo {
//     std::string title;
//     std::optional<bool> done;
//     static constexpr auto constraints() {                  // next to the members it checks
//       return web::rules(web::rule<&CreateTodo::title>(web::Length{1, 200}));
//     }
//   };
//   BOOST_DESCRIBE_STRUCT(CreateTodo, (), (title, done))
//
//   web::Violations v;
//   CreateTodo dto = web::decode<CreateTodo>(web::json::parse(R"({"title":""})"), v);
//   // v.messages(): {"title must be longer than or equal to 1 characters"}
//
// A type you cannot change gets its rules from a function found by argument-dependent lookup:
// `constexpr auto constraints(web::Tag<Dto>) { return web::rules(...); }` in Dto's namespace.
//
// Rules: described structs are JSON objects whose unknown properties are violations ("property
// x should not exist": a whitelist); a member that is not std::optional is required; nested
// structs and std::vector recurse with dotted paths ("items.0.name must be a string"). Scalars
// from text (path and query parameters) go through decode_text: integers, floating point, bool
// ("true"/"false"), strings and described enums.
#pragma once

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "strata/web/detail/fixed_string.hpp"
#include "strata/web/json.hpp"

namespace strata::web {

// The violations found in one input, in order.
class Violations {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }
  bool empty() const noexcept { return messages_.empty(); }
  const std::vector<std::string>& messages() const noexcept { return messages_; }
  std::vector<std::string> take() noexcept { return std::move(messages_); }

 private:
  std::vector<std::string> messages_;
};

// Constraints: values usable both in a rules table and as template arguments
// (`Query<"limit", int, Min{1}, Max{100}>`).
struct Min {  // numbers: value >= v
  double v;
};
struct Max {  // numbers: value <= v
  double v;
};
struct Length {  // strings (code points) and arrays (elements): min <= size <= max
  std::size_t min = 0;
  std::size_t max = std::numeric_limits<std::size_t>::max();
};
struct NotEmpty {};  // strings and arrays: size > 0
template <std::size_t N>
struct Pattern {  // strings: an ECMAScript regular expression that must match somewhere
  detail::FixedString<N> re;
  constexpr Pattern(const char (&s)[N]) noexcept : re(s) {}  // NOLINT
};
template <class T>
struct Default {  // path/query/header parameters: the value when absent
  T value;
};
// `Default{"text"}`: a string default, kept as a FixedString (string_view is not structural).
template <class T>
Default(T) -> Default<T>;
template <std::size_t N>
Default(const char (&)[N]) -> Default<detail::FixedString<N>>;

namespace detail {
bool regex_search(std::string_view re, std::string_view text);
std::size_t utf8_length(std::string_view s) noexcept;
std::string number_text(double v);
std::string join_path(std::string_view base, std::string_view name);

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};

template <class T>
concept Described = boost::describe::has_describe_members<T>::value;
template <class T>
concept DescribedEnum = boost::describe::has_describe_enumerators<T>::value;

template <class C, class V>
void check_one(const C& c, const V& value, std::string_view path, Violations& out) {
  using D = std::decay_t<V>;
  if constexpr (std::is_same_v<C, Min>) {
    if constexpr (std::is_arithmetic_v<D>) {
      if (static_cast<double>(value) < c.v)
        out.add(std::string(path) + " must not be less than " + number_text(c.v));
    }
  } else if constexpr (std::is_same_v<C, Max>) {
    if constexpr (std::is_arithmetic_v<D>) {
      if (static_cast<double>(value) > c.v)
        out.add(std::string(path) + " must not be greater than " + number_text(c.v));
    }
  } else if constexpr (std::is_same_v<C, Length>) {
    std::size_t n = 0;
    if constexpr (std::is_convertible_v<const D&, std::string_view>) {
      n = utf8_length(value);
    } else if constexpr (IsVector<D>::value) {
      n = value.size();
    } else {
      static_assert(!sizeof(C*), "web::Length applies to strings and std::vector members");
    }
    if (n < c.min) {
      if constexpr (IsVector<D>::value)
        out.add(std::string(path) + " must contain at least " + std::to_string(c.min) +
                " elements");
      else
        out.add(std::string(path) + " must be longer than or equal to " + std::to_string(c.min) +
                " characters");
    } else if (n > c.max) {
      if constexpr (IsVector<D>::value)
        out.add(std::string(path) + " must contain no more than " + std::to_string(c.max) +
                " elements");
      else
        out.add(std::string(path) + " must be shorter than or equal to " + std::to_string(c.max) +
                " characters");
    }
  } else if constexpr (std::is_same_v<C, NotEmpty>) {
    if (value.empty()) out.add(std::string(path) + " should not be empty");
  } else if constexpr (requires { c.re.view(); }) {
    if constexpr (std::is_convertible_v<const D&, std::string_view>) {
      if (!regex_search(c.re.view(), value))
        out.add(std::string(path) + " must match /" + std::string(c.re.view()) +
                "/ regular expression");
    }
  } else if constexpr (requires { c.value; }) {
    // Default<T>: not a check.
  } else {
    static_assert(!sizeof(C*), "unknown constraint type");
  }
}

template <class V, class... C>
void check_all([[maybe_unused]] const V& value, [[maybe_unused]] std::string_view path,
               [[maybe_unused]] Violations& out, const C&... cs) {
  (check_one(cs, value, path, out), ...);
}
}  // namespace detail

// A rule table entry: the constraints of one member (`rule<&Dto::title>(Length{1, 200})`).
template <auto Member, class... C>
struct Rule {
  static constexpr auto member_pointer = Member;
  std::tuple<C...> checks;
};
template <auto Member, class... C>
constexpr Rule<Member, C...> rule(C... checks) {
  return {{checks...}};
}
template <class... R>
constexpr std::tuple<R...> rules(R... r) {
  return {r...};
}

// Names a type for the constraints(Tag<T>) lookup.
template <class T>
struct Tag {};

namespace detail {
// The rule table of T: T::constraints(), else constraints(Tag<T>) by ADL, else none.
template <class T>
constexpr auto constraints_of() {
  if constexpr (requires { T::constraints(); })
    return T::constraints();
  else if constexpr (requires { constraints(Tag<T>{}); })
    return constraints(Tag<T>{});
  else
    return std::tuple<>{};
}
}  // namespace detail

template <class T>
T decode(const json::value& v, Violations& out, std::string_view path = {});

namespace detail {
template <class T>
std::string_view type_phrase() {
  if constexpr (std::is_same_v<T, bool>)
    return "a boolean value";
  else if constexpr (std::is_integral_v<T>)
    return "an integer number";
  else if constexpr (std::is_floating_point_v<T>)
    return "a number conforming to the specified constraints";
  else if constexpr (std::is_convertible_v<T, std::string_view>)
    return "a string";
  else if constexpr (IsVector<T>::value)
    return "an array";
  else
    return "an object";
}

template <class T>
std::string must_be(std::string_view path) {
  return std::string(path.empty() ? "value" : path) + " must be " + std::string(type_phrase<T>());
}

template <DescribedEnum E>
std::string enum_values() {
  std::string s;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!s.empty()) s += ", ";
    s += d.name;
  });
  return s;
}

template <DescribedEnum E>
std::optional<E> enum_from(std::string_view name) {
  std::optional<E> r;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!r && name == d.name) r = d.value;
  });
  return r;
}

template <class T>
bool integer_from(const json::value& v, T& out) {
  if (v.is_int64()) {
    auto x = v.get_int64();
    if (!std::in_range<T>(x)) return false;
    out = static_cast<T>(x);
    return true;
  }
  if (v.is_uint64()) {
    auto x = v.get_uint64();
    if (!std::in_range<T>(x)) return false;
    out = static_cast<T>(x);
    return true;
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (std::trunc(d) != d || d < static_cast<double>(std::numeric_limits<T>::min()) ||
        d > static_cast<double>(std::numeric_limits<T>::max()))
      return false;
    out = static_cast<T>(d);
    return true;
  }
  return false;
}

// Runs the rules of member `Member` of T on its decoded value.
template <class T, auto Member, class V>
void apply_member_rules(const V& value, Violations& out, std::string_view path) {
  std::apply(
      [&](const auto&... rs) {
        (
            [&](const auto& r) {
              using R = std::remove_cvref_t<decltype(r)>;
              if constexpr (std::is_same_v<std::remove_cv_t<decltype(R::member_pointer)>,
                                           std::remove_cv_t<decltype(Member)>>) {
                if (R::member_pointer != Member) return;
                if constexpr (IsOptional<V>::value) {
                  if (value)
                    std::apply([&](const auto&... c) { check_all(*value, path, out, c...); },
                               r.checks);
                } else {
                  std::apply([&](const auto&... c) { check_all(value, path, out, c...); },
                             r.checks);
                }
              }
            }(rs),
            ...);
      },
      constraints_of<T>());
}
}  // namespace detail

// Decodes `v` as T; on a violation, records it in `out` and returns a default T.
template <class T>
T decode(const json::value& v, Violations& out, std::string_view path) {
  using detail::must_be;
  if constexpr (std::is_same_v<T, json::value>) {
    return v;
  } else if constexpr (detail::IsOptional<T>::value) {
    if (v.is_null()) return std::nullopt;
    return decode<typename T::value_type>(v, out, path);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) out.add(must_be<T>(path));
    return v.is_bool() && v.get_bool();
  } else if constexpr (std::is_integral_v<T>) {
    T x{};
    if (!detail::integer_from(v, x)) out.add(must_be<T>(path));
    return x;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) {
      out.add(must_be<T>(path));
      return T{};
    }
    return static_cast<T>(v.to_number<double>());
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) {
      out.add(must_be<T>(path));
      return {};
    }
    return std::string(v.get_string());
  } else if constexpr (detail::DescribedEnum<T>) {
    std::optional<T> e;
    if (v.is_string()) e = detail::enum_from<T>(v.get_string());
    if (!e) {
      out.add(std::string(path) +
              " must be one of the following values: " + detail::enum_values<T>());
      return T{};
    }
    return *e;
  } else if constexpr (detail::IsVector<T>::value) {
    T result;
    if (!v.is_array()) {
      out.add(must_be<T>(path));
      return result;
    }
    const auto& a = v.get_array();
    result.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      result.push_back(
          decode<typename T::value_type>(a[i], out, detail::join_path(path, std::to_string(i))));
    return result;
  } else if constexpr (detail::Described<T>) {
    T result{};
    if (!v.is_object()) {
      out.add(path.empty() ? std::string("body must be a JSON object")
                           : "nested property " + std::string(path) + " must be an object");
      return result;
    }
    const auto& o = v.get_object();
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    for (const auto& kv : o) {
      bool known = false;
      boost::mp11::mp_for_each<Members>([&](auto d) { known = known || kv.key() == d.name; });
      if (!known) out.add("property " + detail::join_path(path, kv.key()) + " should not exist");
    }
    boost::mp11::mp_for_each<Members>([&](auto d) {
      using M = std::remove_cvref_t<decltype(result.*d.pointer)>;
      std::string p = detail::join_path(path, d.name);
      auto it = o.find(d.name);
      if (it == o.end() || it->value().is_null()) {
        if constexpr (!detail::IsOptional<M>::value) out.add(must_be<M>(p));
        return;
      }
      std::size_t before = out.messages().size();
      result.*d.pointer = decode<M>(it->value(), out, p);
      // Constraints run on a well-typed value only (a wrong type is one message, not three).
      if (out.messages().size() == before)
        detail::apply_member_rules<T, decltype(d)::pointer>(result.*d.pointer, out, p);
    });
    return result;
  } else {
    static_assert(!sizeof(T*),
                  "web::decode: T must be json::value, bool, a number, std::string, "
                  "std::optional, std::vector, or a struct/enum described with "
                  "BOOST_DESCRIBE_STRUCT/BOOST_DESCRIBE_ENUM");
  }
}

// Decodes a path, query or header parameter's text as T (see the top of this file).
template <class T>
std::optional<T> decode_text(std::string_view text, std::string_view name, Violations& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string(text);
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return text;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (text == "true") return true;
    if (text == "false") return false;
    out.add(detail::must_be<T>(name));
    return std::nullopt;
  } else if constexpr (std::is_integral_v<T>) {
    T x{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      out.add(detail::must_be<T>(name));
      return std::nullopt;
    }
    return x;
  } else if constexpr (std::is_floating_point_v<T>) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_number()) {
      out.add(detail::must_be<T>(name));
      return std::nullopt;
    }
    return static_cast<T>(v.to_number<double>());
  } else if constexpr (detail::DescribedEnum<T>) {
    auto e = detail::enum_from<T>(text);
    if (!e)
      out.add(std::string(name) +
              " must be one of the following values: " + detail::enum_values<T>());
    return e;
  } else {
    static_assert(!sizeof(T*),
                  "a path/query/header parameter must be a string, bool, number or a described "
                  "enum");
  }
}

}  // namespace strata::web
