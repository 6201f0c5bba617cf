// The non-template core of RouteTree<T> (strata/http/route_tree.hpp): the radix tree itself,
// mapping (method, pattern) to a handler id. RouteTree<T> keeps the handlers and turns ids back
// into T&. Keeping the tree out of the template means one compiled matcher for every handler type.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>

#include "strata/http/path_params.hpp"
#include "strata/rt/error.hpp"

namespace strata::http::detail {

// The radix tree of routes; see route_tree.hpp for the pattern syntax and match rules.
class RouteTreeCore {
 public:
  // The id of "no handler" in a Lookup.
  static constexpr std::uint32_t no_id = std::numeric_limits<std::uint32_t>::max();

  // A match: `id` of the handler (no_id if none), and the pattern and Allow value of the route
  // the path matched (both empty when no route matched the path at all).
  struct Lookup {
    std::uint32_t id = no_id;
    std::string_view pattern;
    std::string_view allow;
  };

  RouteTreeCore();
  ~RouteTreeCore();
  RouteTreeCore(RouteTreeCore&&) noexcept;
  RouteTreeCore& operator=(RouteTreeCore&&) noexcept;

  // Adds a route; on error the tree is unchanged.
  Result<void> insert(std::string_view method, std::string_view pattern, std::uint32_t id);

  // Finds the route for (method, path); fills `params`. Allocates nothing.
  Lookup match(std::string_view method, std::string_view path, PathParams& params) const noexcept;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
};

}  // namespace strata::http::detail
