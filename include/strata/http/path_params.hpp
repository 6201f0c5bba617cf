// PathParams: the named parameters a route match captured from a request path, in a fixed,
// inline array — a match never allocates.
//
// Each entry pairs a name (a view into the route tree's copy of the pattern, e.g. "id" for
// `/users/:id`) with a value (a view into the matched path, raw: still percent-encoded, the
// caller decodes). Both views live as long as the route tree is not modified and the path buffer
// is alive. Entries are in pattern order; a catch-all `*rest` is the last one.
//
//   strata::http::RouteTree<int> tree;
//   tree.insert("GET", "/users/:id/posts/:post", 1);
//   auto m = tree.match("GET", "/users/42/posts/7");
//   std::optional<std::string_view> id = m.params().get("id");   // "42"
//   for (auto [name, value] : m.params()) log(name, value);
//
// At most PathParams::capacity parameters per pattern; RouteTree::insert rejects more.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace strata::http {

namespace detail {
class RouteTreeCore;
}

// One captured parameter: its name in the pattern and its raw value in the path.
struct PathParam {
  std::string_view name;
  std::string_view value;
};

// A fixed-capacity list of captured parameters (no allocation; trivially copyable).
class PathParams {
 public:
  // The most parameters one pattern may declare (`:param` and `*wildcard` together).
  static constexpr std::size_t capacity = 8;

  using const_iterator = const PathParam*;

  constexpr PathParams() noexcept {}

  // The value of the parameter called `name`, or nullopt.
  constexpr std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      if (items_[i].name == name) return items_[i].value;
    }
    return std::nullopt;
  }

  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  // Precondition: i < size().
  constexpr const PathParam& operator[](std::size_t i) const noexcept { return items_[i]; }
  constexpr const_iterator begin() const noexcept { return items_; }
  constexpr const_iterator end() const noexcept { return items_ + size_; }

 private:
  // Only the matcher fills the list: it pushes while descending and pops when it backtracks.
  friend class detail::RouteTreeCore;

  constexpr void push(std::string_view name, std::string_view value) noexcept {
    std::construct_at(items_ + size_, PathParam{name, value});
    ++size_;
  }
  constexpr void pop() noexcept { --size_; }
  constexpr const PathParam& back() const noexcept { return items_[size_ - 1]; }
  constexpr void clear() noexcept { size_ = 0; }

  // Left uninitialised (a match writes only the entries it uses): zeroing all of them costs
  // more than a typical match.
  union {
    PathParam items_[capacity];
  };
  std::size_t size_ = 0;
};

}  // namespace strata::http
