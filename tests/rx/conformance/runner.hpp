// The rx conformance runner (scripts/rx-conformance): interprets the scenario files of
// ../shared/conformance/rx/FORMAT.md against Strata's public rx API and prints the events.
#pragma once

#include <boost/json.hpp>
#include <stdexcept>
#include <string>

namespace strata::rx::conformance {

namespace json = boost::json;

// A scenario the runner cannot interpret (unknown op, bad field): reported in its result.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One scenario's result: {"name", "events"} or {"name", "error"}.
json::object run_promise_scenario(const json::object& scenario);
json::object run_observable_scenario(const json::object& scenario);

inline const json::value& field(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) throw Unsupported(std::string("missing field '") + key + "'");
  return it->value();
}

}  // namespace strata::rx::conformance
