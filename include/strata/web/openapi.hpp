// OpenAPI 3 from the route table: every controller route's path, parameters (with their types
// and constraints), JSON request body schema (from the described DTO and its rules) and
// responses, served by App::enable_openapi() as JSON.
//
//   web::OpenApiInfo info;
//   info.title = "Todo API";
//   app->enable_openapi("/openapi.json", info);
//   web::json::object s = web::schema_of<CreateTodo>();
//   // {"type":"object","properties":{"title":{"type":"string","minLength":1,...}},
//   //  "required":["title"],"additionalProperties":false}
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "strata/web/json.hpp"
#include "strata/web/validate.hpp"

namespace strata::web {

struct OpenApiInfo {
  std::string title = "API";
  std::string version = "1.0.0";
  std::string description;
};

template <class T>
json::object schema_of();

namespace detail {

template <class C>
void constrain_schema(json::object& s, const C& c) {
  if constexpr (std::is_same_v<C, Min>) {
    s["minimum"] = c.v;
  } else if constexpr (std::is_same_v<C, Max>) {
    s["maximum"] = c.v;
  } else if constexpr (std::is_same_v<C, Length>) {
    bool array = s.contains("type") && s["type"] == "array";
    s[array ? "minItems" : "minLength"] = c.min;
    if (c.max != std::numeric_limits<std::size_t>::max())
      s[array ? "maxItems" : "maxLength"] = c.max;
  } else if constexpr (std::is_same_v<C, NotEmpty>) {
    bool array = s.contains("type") && s["type"] == "array";
    s[array ? "minItems" : "minLength"] = 1;
  } else if constexpr (requires { c.re.view(); }) {
    s["pattern"] = c.re.view();
  } else if constexpr (requires { c.value; }) {
    if constexpr (std::is_convertible_v<decltype(c.value), std::string_view>)
      s["default"] = std::string_view(c.value);
    else
      s["default"] = to_json(c.value);
  }
}

}  // namespace detail

// The JSON Schema (OpenAPI 3.0 dialect) of T.
template <class T>
json::object schema_of() {
  using detail::IsOptional;
  using detail::IsVector;
  if constexpr (IsOptional<T>::value) {
    json::object s = schema_of<typename T::value_type>();
    s["nullable"] = true;
    return s;
  } else if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<T>) {
    return {{"type", "integer"}, {"format", sizeof(T) > 4 ? "int64" : "int32"}};
  } else if constexpr (std::is_floating_point_v<T>) {
    return {{"type", "number"}};
  } else if constexpr (std::is_convertible_v<T, std::string_view>) {
    return {{"type", "string"}};
  } else if constexpr (detail::DescribedEnum<T>) {
    json::array values;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>(
        [&](auto d) { values.emplace_back(d.name); });
    return {{"type", "string"}, {"enum", std::move(values)}};
  } else if constexpr (IsVector<T>::value) {
    return {{"type", "array"}, {"items", schema_of<typename T::value_type>()}};
  } else if constexpr (detail::Described<T>) {
    json::object props;
    json::array required;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto d) {
          using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
          json::object s = schema_of<M>();
          std::apply(
              [&](const auto&... rs) {
                (
                    [&](const auto& r) {
                      constexpr auto member = std::remove_cvref_t<decltype(r)>::member_pointer;
                      if constexpr (std::is_same_v<std::remove_cv_t<decltype(member)>,
                                                   std::remove_cv_t<decltype(d.pointer)>>)
                        if (member == d.pointer)
                          std::apply(
                              [&](const auto&... c) { (detail::constrain_schema(s, c), ...); },
                              r.checks);
                    }(rs),
                    ...);
              },
              detail::constraints_of<T>());
          if (!IsOptional<M>::value) required.emplace_back(d.name);
          props[d.name] = std::move(s);
        });
    json::object s{{"type", "object"}, {"properties", std::move(props)}};
    if (!required.empty()) s["required"] = std::move(required);
    s["additionalProperties"] = false;
    return s;
  } else if constexpr (std::is_same_v<T, json::value>) {
    return {};
  } else {
    return {{"type", "object"}};
  }
}

// The schema of a text parameter T with its constraint values.
template <class T, auto... Checks>
json::object param_schema() {
  json::object s = schema_of<T>();
  (detail::constrain_schema(s, Checks), ...);
  return s;
}

}  // namespace strata::web
