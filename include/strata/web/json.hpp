// web::json: the framework's JSON — Boost.JSON (parsing, values, serialisation) with
// Boost.Describe for mapping C++ structs, chosen by measurement (docs/web.md#json).
//
//   struct Todo { std::int64_t id; std::string title; bool done; };
//   BOOST_DESCRIBE_STRUCT(Todo, (), (id, title, done))
//
//   web::json::value v = web::to_json(Todo{1, "write docs", false});  // {"id":1,...}
//   std::string text = web::json::serialize(v);
//
// Input goes the other way through web::decode (validate.hpp), which lists every violation
// instead of stopping at the first.
#pragma once

#include <boost/describe.hpp>
#include <boost/json.hpp>

namespace strata::web {

namespace json = boost::json;

// A C++ value as JSON: described structs and enums, strings, numbers, bools, optionals (null),
// sequences, maps, json::value itself, and types with a Boost.JSON tag_invoke.
template <class T>
json::value to_json(const T& value) {
  return json::value_from(value);
}

}  // namespace strata::web
