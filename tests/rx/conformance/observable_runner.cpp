// The Observable half of the conformance runner (filled in with the Observable layer).
#include "runner.hpp"

namespace strata::rx::conformance {

json::object run_observable_scenario(const json::object&) {
  throw Unsupported("observable scenarios are not interpreted yet");
}

}  // namespace strata::rx::conformance
