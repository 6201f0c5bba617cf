// JavaScript's value semantics on JSON values, shared by both halves of the runner.
#pragma once

#include <cstdint>
#include <string>

#include "runner.hpp"

namespace strata::rx::conformance {

// String(x).
inline std::string js_string(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.as_string());
    case json::kind::int64:
      return std::to_string(v.as_int64());
    case json::kind::uint64:
      return std::to_string(v.as_uint64());
    case json::kind::double_: {
      double d = v.as_double();
      if (d == static_cast<double>(static_cast<std::int64_t>(d)))
        return std::to_string(static_cast<std::int64_t>(d));
      return json::serialize(v);
    }
    case json::kind::bool_:
      return v.as_bool() ? "true" : "false";
    case json::kind::null:
      return "null";
    case json::kind::array: {
      std::string s;
      bool first = true;
      for (auto& x : v.as_array()) {
        if (!first) s += ",";
        first = false;
        if (!x.is_null()) s += js_string(x);
      }
      return s;
    }
    case json::kind::object:
      return "[object Object]";
  }
  return "";
}

// a + b.
inline json::value js_add(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int64() && b.is_int64()) return a.as_int64() + b.as_int64();
    return a.to_number<double>() + b.to_number<double>();
  }
  return json::string(js_string(a) + js_string(b));
}

inline double js_number(const json::value& v) {
  if (v.is_number()) return v.to_number<double>();
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_null()) return 0;
  return 0.0 / 0.0;  // NaN: every comparison is false
}

}  // namespace strata::rx::conformance
