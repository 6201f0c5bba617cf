// RouteTree<T>: the routing core of the HTTP server — a radix tree that maps a request method
// and path to a handler of any type T, with named path parameters.
//
//   strata::http::RouteTree<int> tree;
//   tree.insert("GET", "/users/:id", 1);                 // Result<void>
//   tree.insert("GET", "/static/*path", 2);
//   auto m = tree.match("GET", "/users/42");            // no allocation
//   if (m) use(m.value(), m.params().get("id"));        // 1, "42"
//   else if (m.status() == strata::http::MatchStatus::method_not_allowed)
//     log("405, allow:", m.allow());                    // "GET, HEAD"
//
// Patterns (validated by insert, which returns a typed RouteErrc error):
//   - start with '/'; segments are separated by '/';
//   - `:name` is a whole segment that matches one non-empty path segment (up to the next '/');
//   - `*name` is a whole last segment that matches the rest of the path: empty or not, with '/';
//   - any other segment is static and matched byte for byte; its bytes are RFC 3986 pchar
//     (unreserved, sub-delims, ':', '@', %XX) — ':' and '*' start a parameter only at the
//     beginning of a segment, so `/v1/users:batch` is static;
//   - names are [A-Za-z0-9_]+, unique within a pattern, at most PathParams::capacity per pattern,
//     and two routes naming the parameter at the same position differently conflict.
//
// Matching works on the raw path (no query, no decoding, no normalisation): `/a` and `/a/` are
// different routes, `//` is an empty segment that no `:param` matches, there are no redirects,
// and parameter values are returned still percent-encoded. The path first selects one route
// pattern, segment by segment static > `:param` > `*wildcard`, backtracking when a more specific
// branch dead-ends (`/users/new` and `/users/:id/edit`: `/users/new/edit` takes the second); then
// the method selects that pattern's handler. A pattern without a handler for the method gives
// MethodNotAllowed with its Allow value (RFC 9110 §10.2.1: the methods of the target resource),
// even if a less specific pattern has one: a path names one resource. HEAD uses the GET handler
// when the pattern has no HEAD handler, and Allow then lists HEAD. OPTIONS is not special.
//
// Methods are case-sensitive RFC 9110 tokens, compared as strings ("GET", Method::as_str()).
// Thread safety: match() is const and may run concurrently; insert() needs exclusive access.
// Handler references stay valid while the tree lives; the views in a MatchResult (params,
// allow(), pattern()) are valid until the next insert(), and parameter values only while the path
// buffer lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/http/detail/route_tree_impl.hpp"
#include "strata/http/path_params.hpp"
#include "strata/rt/error.hpp"

namespace strata::http {

// Why RouteTree::insert rejected a route.
enum class RouteErrc {
  invalid_method = 1,    // the method is not an RFC 9110 token
  invalid_pattern,       // empty, or does not start with '/'
  invalid_character,     // a byte that is not pchar, a bad %XX escape, or a bad name byte
  empty_param_name,      // ':' or '*' without a name
  wildcard_not_last,     // `*name` followed by more segments
  too_many_params,       // more than PathParams::capacity parameters
  duplicate_param_name,  // the same name twice in one pattern
  param_conflict,        // another route names the parameter at this position differently
  duplicate_route,       // this method and pattern are already registered
};

const std::error_category& route_category() noexcept;
inline std::error_code make_error_code(RouteErrc e) noexcept {
  return {static_cast<int>(e), route_category()};
}

}  // namespace strata::http

template <>
struct std::is_error_code_enum<strata::http::RouteErrc> : std::true_type {};

namespace strata::http {

// What a match found.
enum class MatchStatus {
  found,               // a handler for the method (or GET for HEAD)
  method_not_allowed,  // the path matched a route, but not for this method: see allow()
  not_found,           // no route matches the path
};

// The result of RouteTree::match: the handler and parameters, or why there is none.
template <class T>
class MatchResult {
 public:
  MatchStatus status() const noexcept {
    if (value_) return MatchStatus::found;
    return allow_.empty() ? MatchStatus::not_found : MatchStatus::method_not_allowed;
  }
  explicit operator bool() const noexcept { return value_ != nullptr; }

  // The handler; precondition: status() == found.
  T& value() const noexcept { return *value_; }
  // The handler, or nullptr.
  T* get() const noexcept { return value_; }
  // The captured parameters (empty unless found).
  const PathParams& params() const noexcept { return params_; }
  // The Allow header value of the matched path ("GET, HEAD, POST"), when found or
  // method_not_allowed; empty when not_found.
  std::string_view allow() const noexcept { return allow_; }
  // The pattern of the matched route ("/users/:id"), when found or method_not_allowed; empty
  // when not_found. A low-cardinality label for logs and metrics.
  std::string_view pattern() const noexcept { return pattern_; }

 private:
  template <class>
  friend class RouteTree;

  T* value_ = nullptr;
  std::string_view allow_;
  std::string_view pattern_;
  PathParams params_;
};

// A radix tree of routes to handlers of type T (see the top of this file).
template <class T>
class RouteTree {
 public:
  RouteTree() = default;
  RouteTree(RouteTree&&) noexcept = default;
  RouteTree& operator=(RouteTree&&) noexcept = default;

  // Registers `value` for `method` and `pattern`. Fails with a RouteErrc (context names the
  // route) and leaves the tree unchanged when the method or pattern is invalid or conflicts.
  Result<void> insert(std::string_view method, std::string_view pattern, T value) {
    values_.push_back(std::make_unique<T>(std::move(value)));
    auto id = static_cast<std::uint32_t>(values_.size() - 1);
    Result<void> r;
    try {
      r = core_.insert(method, pattern, id);
    } catch (...) {  // std::bad_alloc: keep values_ in step with the tree
      values_.pop_back();
      throw;
    }
    if (!r) values_.pop_back();
    return r;
  }

  // Finds the handler for a request. `path` is the raw path of the request target, without the
  // query. Allocates nothing.
  MatchResult<T> match(std::string_view method, std::string_view path) noexcept {
    return match_impl<T>(*this, method, path);
  }
  MatchResult<const T> match(std::string_view method, std::string_view path) const noexcept {
    return match_impl<const T>(*this, method, path);
  }

  // The number of routes (method + pattern pairs).
  std::size_t size() const noexcept { return values_.size(); }
  bool empty() const noexcept { return values_.empty(); }

 private:
  template <class U, class Self>
  static MatchResult<U> match_impl(Self& self, std::string_view method, std::string_view path) {
    MatchResult<U> r;
    auto found = self.core_.match(method, path, r.params_);
    r.allow_ = found.allow;
    r.pattern_ = found.pattern;
    if (found.id != detail::RouteTreeCore::no_id) r.value_ = self.values_[found.id].get();
    return r;
  }

  detail::RouteTreeCore core_;
  // Boxed, so that handler references survive later inserts and moving the tree is noexcept.
  std::vector<std::unique_ptr<T>> values_;
};

}  // namespace strata::http
