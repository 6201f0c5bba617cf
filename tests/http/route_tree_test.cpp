// RouteTree<T> (strata/http/route_tree.hpp): table-driven cases for every match rule and insert
// error, a randomized comparison with a naive linear matcher, and a proof that match() allocates
// nothing (this binary replaces the global operator new to count allocations).
#include "strata/http/route_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../support/count_allocations.hpp"

namespace strata::http {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

Params to_vector(const PathParams& p) {
  Params out;
  for (auto [name, value] : p) out.emplace_back(name, value);
  return out;
}

struct Route {
  std::string_view method;
  std::string_view pattern;
  int value;
};

RouteTree<int> build(std::initializer_list<Route> routes) {
  RouteTree<int> tree;
  for (const auto& r : routes) {
    auto ok = tree.insert(r.method, r.pattern, r.value);
    EXPECT_TRUE(ok) << r.method << " " << r.pattern << ": " << ok.error().message();
  }
  return tree;
}

// One request and what it must give: the handler value (0 when none), the parameters, and the
// Allow value (for found and method_not_allowed).
struct Case {
  std::string_view method;
  std::string_view path;
  MatchStatus status;
  int value = 0;
  Params params = {};
  std::string_view allow = {};
};

void expect_cases(const RouteTree<int>& tree, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + std::string(c.path));
    auto m = tree.match(c.method, c.path);
    ASSERT_EQ(m.status(), c.status);
    if (c.status == MatchStatus::found) {
      ASSERT_TRUE(m);
      EXPECT_EQ(m.value(), c.value);
    } else {
      EXPECT_FALSE(m);
      EXPECT_EQ(m.get(), nullptr);
      EXPECT_TRUE(m.params().empty());
    }
    if (c.status == MatchStatus::found) {
      EXPECT_EQ(to_vector(m.params()), c.params);
    }
    if (!c.allow.empty() || c.status == MatchStatus::not_found) {
      EXPECT_EQ(m.allow(), c.allow);
    }
  }
}

constexpr auto found = MatchStatus::found;
constexpr auto not_found = MatchStatus::not_found;
constexpr auto not_allowed = MatchStatus::method_not_allowed;

TEST(RouteTree, static_routes_match_byte_for_byte_and_trailing_slash_is_significant) {
  auto tree = build({{"GET", "/", 1},
                     {"GET", "/users", 2},
                     {"GET", "/users/", 3},
                     {"GET", "/user", 4},
                     {"GET", "/users/all", 5},
                     {"GET", "/about", 6},
                     {"GET", "/a/b/c", 7},
                     {"GET", "/v1/users:batch", 8}});
  expect_cases(tree, {
                         {"GET", "/", found, 1},           {"GET", "/users", found, 2},
                         {"GET", "/users/", found, 3},     {"GET", "/user", found, 4},
                         {"GET", "/users/all", found, 5},  {"GET", "/about", found, 6},
                         {"GET", "/a/b/c", found, 7},      {"GET", "/v1/users:batch", found, 8},
                         {"GET", "", not_found},           {"GET", "*", not_found},
                         {"GET", "users", not_found},      {"GET", "/Users", not_found},
                         {"GET", "/use", not_found},       {"GET", "/usersx", not_found},
                         {"GET", "/users/al", not_found},  {"GET", "/users/all/", not_found},
                         {"GET", "/about/", not_found},    {"GET", "/a/b", not_found},
                         {"GET", "/a/b/c/d", not_found},   {"GET", "//", not_found},
                         {"GET", "/users?x=1", not_found},
                     });
}

TEST(RouteTree, params_match_one_non_empty_segment) {
  auto tree = build({{"GET", "/users/:id", 1},
                     {"GET", "/users/:id/posts/:post_id", 2},
                     {"GET", "/:a/:b/:c", 3},
                     {"GET", "/files/:name/", 4}});
  expect_cases(
      tree, {
                {"GET", "/users/42", found, 1, {{"id", "42"}}},
                {"GET", "/users/a.b-c~d", found, 1, {{"id", "a.b-c~d"}}},
                {"GET", "/users/42/posts/7", found, 2, {{"id", "42"}, {"post_id", "7"}}},
                {"GET", "/x/y/z", found, 3, {{"a", "x"}, {"b", "y"}, {"c", "z"}}},
                {"GET", "/files/f/", found, 4, {{"name", "f"}}},
                {"GET", "/files/f", not_found},
                {"GET", "/users/", not_found},
                {"GET", "/users", not_found},
                {"GET", "/users/42/", not_found},
                {"GET", "/users/42/posts/", not_found},
                {"GET", "/users/42/posts", found, 3, {{"a", "users"}, {"b", "42"}, {"c", "posts"}}},
                {"GET", "/x//z", not_found},
                {"GET", "/x/y/z/", not_found},
            });
}

TEST(RouteTree, param_values_are_raw_percent_encoded_bytes) {
  auto tree = build({{"GET", "/users/:id", 1}, {"GET", "/files/*path", 2}});
  expect_cases(tree, {
                         {"GET", "/users/a%2Fb", found, 1, {{"id", "a%2Fb"}}},
                         {"GET", "/users/%E2%9C%93", found, 1, {{"id", "%E2%9C%93"}}},
                         {"GET", "/users/a+b;c=d", found, 1, {{"id", "a+b;c=d"}}},
                         {"GET", "/files/a%20b/c", found, 2, {{"path", "a%20b/c"}}},
                     });
}

TEST(RouteTree, wildcard_matches_the_rest_including_empty_and_slashes) {
  auto tree = build({{"GET", "/static/*path", 1}, {"GET", "/*all", 2}});
  expect_cases(tree, {
                         {"GET", "/static/", found, 1, {{"path", ""}}},
                         {"GET", "/static/app.js", found, 1, {{"path", "app.js"}}},
                         {"GET", "/static/css/site.css", found, 1, {{"path", "css/site.css"}}},
                         {"GET", "/static//x/", found, 1, {{"path", "/x/"}}},
                         {"GET", "/static", found, 2, {{"all", "static"}}},
                         {"GET", "/", found, 2, {{"all", ""}}},
                         {"GET", "/anything/else", found, 2, {{"all", "anything/else"}}},
                         {"GET", "", not_found},
                         {"GET", "x", not_found},
                     });
}

TEST(RouteTree, static_beats_param_beats_wildcard) {
  auto tree = build({{"GET", "/users/new", 1},
                     {"GET", "/users/:id", 2},
                     {"GET", "/users/*rest", 3},
                     {"GET", "/users/", 4}});
  expect_cases(tree, {
                         {"GET", "/users/new", found, 1},
                         {"GET", "/users/newer", found, 2, {{"id", "newer"}}},
                         {"GET", "/users/ne", found, 2, {{"id", "ne"}}},
                         {"GET", "/users/42", found, 2, {{"id", "42"}}},
                         {"GET", "/users/42/x", found, 3, {{"rest", "42/x"}}},
                         {"GET", "/users/new/", found, 3, {{"rest", "new/"}}},
                         {"GET", "/users/", found, 4},
                         {"GET", "/users//", found, 3, {{"rest", "/"}}},
                     });
}

TEST(RouteTree, backtracks_when_a_more_specific_branch_dead_ends) {
  auto tree = build({{"GET", "/users/new", 1},
                     {"GET", "/users/:id/edit", 2},
                     {"GET", "/users/newest/x", 3},
                     {"GET", "/a/b/c", 4},
                     {"GET", "/a/:x/d", 5},
                     {"GET", "/:p/b/e", 6},
                     {"GET", "/*rest", 7},
                     {"GET", "/b/:x/:y/z", 8},
                     {"GET", "/b/c/:y/w", 9}});
  expect_cases(tree, {
                         {"GET", "/users/new", found, 1},
                         {"GET", "/users/new/edit", found, 2, {{"id", "new"}}},
                         {"GET", "/users/newest/edit", found, 2, {{"id", "newest"}}},
                         {"GET", "/users/newest/x", found, 3},
                         {"GET", "/a/b/c", found, 4},
                         {"GET", "/a/b/d", found, 5, {{"x", "b"}}},
                         {"GET", "/a/b/e", found, 6, {{"p", "a"}}},
                         {"GET", "/a/b/f", found, 7, {{"rest", "a/b/f"}}},
                         {"GET", "/b/c/d/z", found, 8, {{"x", "c"}, {"y", "d"}}},
                         {"GET", "/b/c/d/w", found, 9, {{"y", "d"}}},
                         {"GET", "/b/c/d/q", found, 7, {{"rest", "b/c/d/q"}}},
                         {"GET", "/users/new/edit/", found, 7, {{"rest", "users/new/edit/"}}},
                     });
}

TEST(RouteTree, method_not_allowed_lists_the_paths_methods) {
  auto tree = build({{"POST", "/users", 1},
                     {"GET", "/users", 2},
                     {"DELETE", "/users/:id", 3},
                     {"PUT", "/users/:id", 4},
                     {"PROPFIND", "/dav/*p", 5},
                     {"HEAD", "/ping", 6}});
  expect_cases(tree, {
                         {"POST", "/users", found, 1, {}, "GET, HEAD, POST"},
                         {"PATCH", "/users", not_allowed, 0, {}, "GET, HEAD, POST"},
                         {"get", "/users", not_allowed, 0, {}, "GET, HEAD, POST"},
                         {"", "/users", not_allowed, 0, {}, "GET, HEAD, POST"},
                         {"OPTIONS", "/users", not_allowed, 0, {}, "GET, HEAD, POST"},
                         {"GET", "/users/1", not_allowed, 0, {}, "DELETE, PUT"},
                         {"HEAD", "/users/1", not_allowed, 0, {}, "DELETE, PUT"},
                         {"PUT", "/users/1", found, 4, {{"id", "1"}}, "DELETE, PUT"},
                         {"GET", "/dav/x/y", not_allowed, 0, {}, "PROPFIND"},
                         {"PROPFIND", "/dav/x/y", found, 5, {{"p", "x/y"}}, "PROPFIND"},
                         {"GET", "/ping", not_allowed, 0, {}, "HEAD"},
                         {"GET", "/nothing", not_found},
                     });
}

TEST(RouteTree, the_most_specific_path_decides_between_found_and_405) {
  // The path names one resource: /users/new has only GET, so POST /users/new is a 405 even
  // though POST /users/:id exists (see route_tree.hpp).
  auto tree = build({{"GET", "/users/new", 1}, {"POST", "/users/:id", 2}});
  expect_cases(tree, {
                         {"POST", "/users/new", not_allowed, 0, {}, "GET, HEAD"},
                         {"POST", "/users/7", found, 2, {{"id", "7"}}, "POST"},
                     });
}

TEST(RouteTree, the_matched_pattern_is_reported_for_found_and_405) {
  auto tree = build({{"GET", "/users/:id", 1}, {"POST", "/users/:id", 2}, {"GET", "/s/*p", 3}});
  EXPECT_EQ(tree.match("POST", "/users/7").pattern(), "/users/:id");
  EXPECT_EQ(tree.match("DELETE", "/users/7").pattern(), "/users/:id");
  EXPECT_EQ(tree.match("GET", "/s/a/b").pattern(), "/s/*p");
  EXPECT_EQ(tree.match("GET", "/users").pattern(), "");
  // Splitting an edge above a route keeps its pattern.
  ASSERT_TRUE(tree.insert("GET", "/u", 4));
  EXPECT_EQ(tree.match("GET", "/u").pattern(), "/u");
  EXPECT_EQ(tree.match("GET", "/users/7").pattern(), "/users/:id");
}

TEST(RouteTree, head_falls_back_to_get_unless_head_is_registered) {
  auto tree = build({{"GET", "/a", 1}, {"GET", "/b", 2}, {"HEAD", "/b", 3}, {"POST", "/c", 4}});
  expect_cases(tree, {
                         {"HEAD", "/a", found, 1, {}, "GET, HEAD"},
                         {"HEAD", "/b", found, 3, {}, "GET, HEAD"},
                         {"GET", "/b", found, 2, {}, "GET, HEAD"},
                         {"HEAD", "/c", not_allowed, 0, {}, "POST"},
                     });
}

TEST(RouteTree, root_and_empty_segments) {
  auto tree = build({{"GET", "/", 1},
                     {"GET", "//", 2},
                     {"GET", "/a//b", 3},
                     {"GET", "/x/:p/y", 4},
                     {"GET", "/w/*rest", 5}});
  expect_cases(tree, {
                         {"GET", "/", found, 1},
                         {"GET", "//", found, 2},
                         {"GET", "/a//b", found, 3},
                         {"GET", "///", not_found},
                         {"GET", "/a/b", not_found},
                         {"GET", "/x//y", not_found},
                         {"GET", "/w//", found, 5, {{"rest", "/"}}},
                     });
}

TEST(RouteTree, long_paths_and_many_segments) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "/s" + std::to_string(i);
  std::string long_value(10000, 'v');
  RouteTree<int> tree;
  ASSERT_TRUE(tree.insert("GET", deep, 1));
  ASSERT_TRUE(tree.insert("GET", "/v/:id", 2));
  ASSERT_TRUE(tree.insert("GET", "/w/*rest", 3));
  std::string deep_pattern = "/d";
  for (int i = 0; i < 8; ++i) deep_pattern += "/:p" + std::to_string(i);
  ASSERT_TRUE(tree.insert("GET", deep_pattern, 4));

  EXPECT_EQ(tree.match("GET", deep).status(), found);
  EXPECT_EQ(tree.match("GET", deep + "/").status(), not_found);
  EXPECT_EQ(tree.match("GET", deep.substr(0, deep.size() - 1)).status(), not_found);
  std::string v_path = "/v/" + long_value;  // params are views into the path
  auto v = tree.match("GET", v_path);
  ASSERT_TRUE(v);
  EXPECT_EQ(v.params().get("id"), long_value);
  std::string many_slashes(5000, '/');
  std::string w_path = "/w/" + many_slashes;
  auto w = tree.match("GET", w_path);
  ASSERT_TRUE(w);
  EXPECT_EQ(w.params().get("rest"), many_slashes);
  EXPECT_EQ(tree.match("GET", "/v/" + long_value + "/").status(), not_found);
  auto d = tree.match("GET", "/d/0/1/2/3/4/5/6/7");
  ASSERT_TRUE(d);
  ASSERT_EQ(d.params().size(), PathParams::capacity);
  EXPECT_EQ(d.params()[7].name, "p7");
  EXPECT_EQ(d.params()[7].value, "7");
}

// Backtracking is linear: a path that makes every static branch fail late still finishes.
TEST(RouteTree, adversarial_backtracking_stays_bounded) {
  RouteTree<int> tree;
  std::string prefix;
  for (int i = 0; i < 8; ++i) {
    // At every level a static branch "/a" that dead-ends and a param branch.
    ASSERT_TRUE(tree.insert("GET", prefix + "/a/dead" + std::to_string(i), 100 + i));
    prefix += "/:p" + std::to_string(i);
  }
  ASSERT_TRUE(tree.insert("GET", prefix + "/end", 1));
  std::string path;
  for (int i = 0; i < 8; ++i) path += "/a";
  auto m = tree.match("GET", path + "/end");
  ASSERT_TRUE(m);
  EXPECT_EQ(m.value(), 1);
  EXPECT_EQ(m.params().size(), 8u);
  EXPECT_EQ(tree.match("GET", path + "/nope").status(), not_found);
}

TEST(RouteTree, insert_rejects_invalid_routes_with_typed_errors) {
  struct Bad {
    std::string_view method;
    std::string_view pattern;
    RouteErrc error;
  };
  const std::vector<Bad> bad = {
      {"", "/a", RouteErrc::invalid_method},
      {"GE T", "/a", RouteErrc::invalid_method},
      {"GET\r\n", "/a", RouteErrc::invalid_method},
      {std::string_view("G\0T", 3), "/a", RouteErrc::invalid_method},
      {"G(T", "/a", RouteErrc::invalid_method},
      {"GET", "", RouteErrc::invalid_pattern},
      {"GET", "a", RouteErrc::invalid_pattern},
      {"GET", "*", RouteErrc::invalid_pattern},
      {"GET", "/a b", RouteErrc::invalid_character},
      {"GET", "/a?b", RouteErrc::invalid_character},
      {"GET", "/a#b", RouteErrc::invalid_character},
      {"GET", "/a%2", RouteErrc::invalid_character},
      {"GET", "/a%zz", RouteErrc::invalid_character},
      {"GET", "/a%", RouteErrc::invalid_character},
      {"GET", std::string_view("/a\0", 3), RouteErrc::invalid_character},
      {"GET", "/caf\xc3\xa9", RouteErrc::invalid_character},
      {"GET", "/a/:na-me", RouteErrc::invalid_character},
      {"GET", "/a/:id.json", RouteErrc::invalid_character},
      {"GET", "/a/:id:x", RouteErrc::invalid_character},
      {"GET", "/a/*p*", RouteErrc::invalid_character},
      {"GET", "/a/:", RouteErrc::empty_param_name},
      {"GET", "/a/:/b", RouteErrc::empty_param_name},
      {"GET", "/a/*", RouteErrc::empty_param_name},
      {"GET", "/*rest/x", RouteErrc::wildcard_not_last},
      {"GET", "/*rest/", RouteErrc::wildcard_not_last},
      {"GET", "/:a/:b/:c/:d/:e/:f/:g/:h/:i", RouteErrc::too_many_params},
      {"GET", "/:a/:b/:c/:d/:e/:f/:g/:h/*i", RouteErrc::too_many_params},
      {"GET", "/:id/x/:id", RouteErrc::duplicate_param_name},
      {"GET", "/:id/*id", RouteErrc::duplicate_param_name},
  };
  RouteTree<int> tree;
  for (const auto& b : bad) {
    SCOPED_TRACE(std::string(b.method) + " " + std::string(b.pattern));
    auto r = tree.insert(b.method, b.pattern, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), b.error) << r.error().message();
    EXPECT_EQ(r.error().code().category(), route_category());
  }
  EXPECT_TRUE(tree.empty());
  // Eight parameters are fine.
  EXPECT_TRUE(tree.insert("GET", "/:a/:b/:c/:d/:e/:f/:g/*h", 1));
  EXPECT_TRUE(tree.insert("GET", "/x/:a/:b/:c/:d/:e/:f/:g/:h", 1));
}

TEST(RouteTree, insert_rejects_conflicts_and_duplicates_and_leaves_the_tree_unchanged) {
  auto tree = build({{"GET", "/a/:id", 1},
                     {"GET", "/a/:id/x/:sub", 2},
                     {"GET", "/s/*path", 3},
                     {"GET", "/users", 4}});
  struct Bad {
    std::string_view method;
    std::string_view pattern;
    RouteErrc error;
  };
  const std::vector<Bad> bad = {
      {"GET", "/a/:name", RouteErrc::param_conflict},
      {"POST", "/a/:name", RouteErrc::param_conflict},
      {"GET", "/a/:name/y", RouteErrc::param_conflict},
      {"GET", "/a/:id/x/:other", RouteErrc::param_conflict},
      {"GET", "/s/*rest", RouteErrc::param_conflict},
      {"GET", "/a/:id", RouteErrc::duplicate_route},
      {"GET", "/users", RouteErrc::duplicate_route},
      {"GET", "/s/*path", RouteErrc::duplicate_route},
      {"GET", "/a/:id/x/:sub", RouteErrc::duplicate_route},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(std::string(b.method) + " " + std::string(b.pattern));
    auto r = tree.insert(b.method, b.pattern, 99);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), b.error);
    EXPECT_NE(r.error().message().find(b.pattern), std::string::npos) << r.error().message();
  }
  EXPECT_EQ(tree.size(), 4u);
  expect_cases(tree, {
                         {"GET", "/a/1", found, 1, {{"id", "1"}}, "GET, HEAD"},
                         {"POST", "/a/1", not_allowed, 0, {}, "GET, HEAD"},
                         {"GET", "/a/1/x/2", found, 2, {{"id", "1"}, {"sub", "2"}}},
                         {"GET", "/a/1/y", not_found},
                         {"GET", "/s/q", found, 3, {{"path", "q"}}},
                         {"GET", "/users", found, 4, {}, "GET, HEAD"},
                     });
  // Same names, other methods, and param vs wildcard at one position are not conflicts.
  EXPECT_TRUE(tree.insert("POST", "/a/:id", 5));
  EXPECT_TRUE(tree.insert("GET", "/a/*rest", 6));
  EXPECT_TRUE(tree.insert("GET", "/a/:id/y", 7));
  EXPECT_TRUE(tree.insert("HEAD", "/users", 8));
  expect_cases(tree, {
                         {"POST", "/a/1", found, 5, {{"id", "1"}}, "GET, HEAD, POST"},
                         {"GET", "/a/1/z", found, 6, {{"rest", "1/z"}}},
                         {"GET", "/a/1/y", found, 7, {{"id", "1"}}},
                         {"HEAD", "/users", found, 8, {}, "GET, HEAD"},
                     });
}

TEST(RouteTree, errors_name_the_route_in_their_message) {
  RouteTree<int> tree;
  auto r = tree.insert("GET", "/a/*x/b", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context(), "route GET /a/*x/b");
  EXPECT_EQ(r.error().message(), "route GET /a/*x/b: catch-all parameter must be the last segment");
}

TEST(RouteTree, edge_splits_keep_earlier_routes) {
  // Inserted in an order that splits edges above existing handlers, params and wildcards.
  auto tree = build({{"GET", "/abcdef", 1},
                     {"GET", "/abc/:x", 2},
                     {"GET", "/abcdef/*r", 3},
                     {"GET", "/ab", 4},
                     {"GET", "/a", 5},
                     {"GET", "/abcxyz", 6},
                     {"GET", "/abcd", 7}});
  expect_cases(tree, {
                         {"GET", "/abcdef", found, 1},
                         {"GET", "/abc/q", found, 2, {{"x", "q"}}},
                         {"GET", "/abcdef/", found, 3, {{"r", ""}}},
                         {"GET", "/ab", found, 4},
                         {"GET", "/a", found, 5},
                         {"GET", "/abcxyz", found, 6},
                         {"GET", "/abcd", found, 7},
                         {"GET", "/abc", not_found},
                         {"GET", "/abcde", not_found},
                     });
}

TEST(RouteTree, path_params_get_iterate_and_size) {
  auto tree = build({{"GET", "/o/:org/r/:repo/*path", 1}});
  auto m = tree.match("GET", "/o/strata/r/core/src/main.cpp");
  ASSERT_TRUE(m);
  const PathParams& p = m.params();
  EXPECT_EQ(p.size(), 3u);
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.get("org"), "strata");
  EXPECT_EQ(p.get("repo"), "core");
  EXPECT_EQ(p.get("path"), "src/main.cpp");
  EXPECT_EQ(p.get("missing"), std::nullopt);
  EXPECT_EQ(p.get(""), std::nullopt);
  EXPECT_EQ(to_vector(p), (Params{{"org", "strata"}, {"repo", "core"}, {"path", "src/main.cpp"}}));
  EXPECT_EQ(p[1].name, "repo");
  PathParams empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.begin(), empty.end());
  EXPECT_EQ(empty.get("org"), std::nullopt);
}

TEST(RouteTree, handlers_can_be_move_only_and_references_survive_inserts) {
  RouteTree<std::unique_ptr<int>> tree;
  ASSERT_TRUE(tree.insert("GET", "/a", std::make_unique<int>(1)));
  auto first = tree.match("GET", "/a");
  ASSERT_TRUE(first);
  std::unique_ptr<int>* address = first.get();
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(tree.insert("GET", "/a" + std::to_string(i), std::make_unique<int>(i)));
  }
  auto again = tree.match("GET", "/a");
  ASSERT_TRUE(again);
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(**again.get(), 1);
  // A failed insert drops the value and keeps the tree.
  EXPECT_FALSE(tree.insert("GET", "/a", std::make_unique<int>(7)));
  EXPECT_EQ(tree.size(), 501u);
  EXPECT_EQ(*tree.match("GET", "/a499").value(), 499);
  // The non-const tree hands out mutable handlers, the const one const handlers.
  *tree.match("GET", "/a").value() = 10;
  const auto& ctree = tree;
  static_assert(
      std::is_same_v<decltype(ctree.match("GET", "/a").value()), const std::unique_ptr<int>&>);
  EXPECT_EQ(*ctree.match("GET", "/a").value(), 10);
}

TEST(RouteTree, a_moved_tree_keeps_its_routes) {
  static_assert(std::is_nothrow_move_constructible_v<RouteTree<std::string>>);
  static_assert(std::is_nothrow_move_assignable_v<RouteTree<std::string>>);
  auto tree = build({{"GET", "/a/:x", 1}});
  RouteTree<int> moved = std::move(tree);
  auto m = moved.match("GET", "/a/b");
  ASSERT_TRUE(m);
  EXPECT_EQ(m.params().get("x"), "b");

  RouteTree<int> other = build({{"GET", "/old", 2}});
  other = std::move(moved);
  EXPECT_EQ(other.match("GET", "/old").status(), not_found);
  EXPECT_EQ(other.match("GET", "/a/c").value(), 1);

  // A moved-from tree matches nothing and can be filled again.
  EXPECT_EQ(moved.match("GET", "/a/b").status(), not_found);
  ASSERT_TRUE(moved.insert("GET", "/again", 3));
  EXPECT_EQ(moved.match("GET", "/again").value(), 3);
}

TEST(RouteTree, deep_chains_of_nested_prefixes_build_match_and_tear_down) {
  RouteTree<int> tree;
  std::string pattern = "/";
  for (int i = 0; i < 2000; ++i) {
    pattern += 'a';
    ASSERT_TRUE(tree.insert("GET", pattern, i));
  }
  EXPECT_EQ(tree.match("GET", pattern).value(), 1999);
  EXPECT_EQ(tree.match("GET", "/a").value(), 0);
  EXPECT_EQ(tree.match("GET", pattern + "a").status(), not_found);
}

TEST(RouteTree, match_allocates_nothing) {
  RouteTree<int> tree;
  const char* patterns[] = {"/",
                            "/users",
                            "/users/:id",
                            "/users/:id/edit",
                            "/users/new",
                            "/static/*path",
                            "/a/:b/c/:d/*e",
                            "/v1/:x/y",
                            "/v1/z/:w",
                            "/long/static/route/here"};
  int v = 0;
  for (const char* p : patterns) {
    ASSERT_TRUE(tree.insert("GET", p, v++));
    ASSERT_TRUE(tree.insert("POST", p, v++));
  }
  const char* paths[] = {"/",
                         "/users",
                         "/users/1",
                         "/users/1/edit",
                         "/users/new",
                         "/static/a/b",
                         "/a/1/c/2/3/4",
                         "/v1/z/q",
                         "/v1/z/y",
                         "/nothing/here",
                         "/long/static/route/here/"};
  long found_count = 0;
  allocations = 0;
  counting = true;
  for (int round = 0; round < 100; ++round) {
    for (const char* p : paths) {
      found_count += tree.match("GET", p) ? 1 : 0;
      found_count += tree.match("DELETE", p) ? 1 : 0;  // 405
      found_count += tree.match("HEAD", p) ? 1 : 0;
    }
  }
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
  EXPECT_EQ(found_count, 100 * 2 * 9);
}

// ---- Randomized comparison with a naive matcher ----

// A linear, obviously-correct model: every pattern is checked against the path segment by
// segment, and among the patterns that match, the one whose segment kinds are lexicographically
// smallest (static < param < wildcard) wins.
class NaiveRouter {
 public:
  // Returns the error insert() must give (nullopt: success), and records the route.
  std::optional<RouteErrc> insert(const std::string& method, const std::string& pattern,
                                  int value) {
    auto segs = split(pattern);
    for (const auto& r : routes_) {
      auto other = split(r.pattern);
      for (std::size_t i = 0; i < segs.size() && i < other.size(); ++i) {
        char a = kind(segs[i]), b = kind(other[i]);
        if (a != b) break;
        if (a == 's') {
          if (segs[i] != other[i]) break;
          continue;
        }
        if (segs[i] != other[i]) return RouteErrc::param_conflict;
      }
    }
    for (const auto& r : routes_) {
      if (r.pattern == pattern && r.method == method) return RouteErrc::duplicate_route;
    }
    routes_.push_back({method, pattern, value});
    return std::nullopt;
  }

  struct Result {
    MatchStatus status = MatchStatus::not_found;
    int value = 0;
    Params params;
    std::string allow;
    std::string pattern;
  };

  Result match(std::string_view method, std::string_view path) const {
    const std::string* best = nullptr;
    std::string best_kinds;
    Params best_params;
    for (const auto& r : routes_) {
      Params params;
      std::string kinds;
      if (!matches(r.pattern, path, params, kinds)) continue;
      if (best == nullptr || kinds < best_kinds) {
        best = &r.pattern;
        best_kinds = kinds;
        best_params = params;
      }
    }
    Result out;
    if (best == nullptr) return out;
    out.pattern = *best;
    std::vector<std::string> methods;
    const Route* exact = nullptr;
    const Route* get = nullptr;
    for (const auto& r : routes_) {
      if (r.pattern != *best) continue;
      methods.push_back(r.method);
      if (r.method == method) exact = &r;
      if (r.method == "GET") get = &r;
    }
    bool has_head = std::find(methods.begin(), methods.end(), "HEAD") != methods.end();
    if (get && !has_head) methods.push_back("HEAD");
    std::sort(methods.begin(), methods.end());
    for (const auto& m : methods) out.allow += (out.allow.empty() ? "" : ", ") + m;
    if (exact == nullptr && method == "HEAD") exact = get;
    if (exact == nullptr) {
      out.status = MatchStatus::method_not_allowed;
      return out;
    }
    out.status = MatchStatus::found;
    out.value = exact->value;
    out.params = best_params;
    return out;
  }

 private:
  struct Route {
    std::string method, pattern;
    int value;
  };

  static char kind(const std::string& seg) {
    if (!seg.empty() && seg[0] == ':') return 'p';
    if (!seg.empty() && seg[0] == '*') return 'w';
    return 's';
  }

  static std::vector<std::string> split(std::string_view pattern) {
    std::vector<std::string> out;
    std::size_t begin = 1;
    for (;;) {
      auto end = pattern.find('/', begin);
      if (end == std::string_view::npos) {
        out.emplace_back(pattern.substr(begin));
        return out;
      }
      out.emplace_back(pattern.substr(begin, end - begin));
      begin = end + 1;
    }
  }

  // Kinds are 'a' (static) < 'b' (param) < 'c' (wildcard) so that string order is priority.
  static bool matches(const std::string& pattern, std::string_view path, Params& params,
                      std::string& kinds) {
    if (path.empty() || path[0] != '/') return false;
    auto segs = split(pattern);
    std::size_t pos = 1;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      const std::string& seg = segs[i];
      if (kind(seg) == 'w') {
        params.emplace_back(seg.substr(1), path.substr(pos));
        kinds += 'c';
        return true;
      }
      auto end = path.find('/', pos);
      if (end == std::string_view::npos) end = path.size();
      std::string_view part = path.substr(pos, end - pos);
      if (kind(seg) == 'p') {
        if (part.empty()) return false;
        params.emplace_back(seg.substr(1), part);
        kinds += 'b';
      } else {
        if (part != seg) return false;
        kinds += 'a';
      }
      bool last = i + 1 == segs.size();
      if (last) return end == path.size();
      if (end == path.size()) return false;
      pos = end + 1;
    }
    return false;
  }

  std::vector<Route> routes_;
};

// How often each outcome happened, so that the randomized tests prove they cover every case.
struct Coverage {
  long inserted = 0, conflicts = 0, duplicates = 0;
  long found = 0, not_allowed = 0, not_found = 0, with_params = 0;
};

void compare_random(std::uint32_t seed, int route_count, int path_count, Coverage& cov) {
  std::mt19937 rng(seed);
  auto pick = [&](auto const& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> statics = {"a",    "b",   "ab", "abc", "users",
                                            "user", "new", "",   "x1"};
  const std::vector<std::string> names = {"id", "id", "id", "name", "x"};
  const std::vector<std::string> methods = {"GET", "GET", "POST", "PUT", "HEAD", "DELETE"};
  const std::vector<std::string> values = {"a", "b", "ab", "new", "42", "", "users", "%2F", "zz"};

  RouteTree<int> tree;
  NaiveRouter naive;
  std::vector<std::string> patterns;
  for (int i = 0; i < route_count; ++i) {
    std::string pattern;
    int segments = 1 + static_cast<int>(rng() % 5);
    int params = 0;
    for (int s = 0; s < segments; ++s) {
      pattern += '/';
      unsigned roll = rng() % 10;
      bool last = s + 1 == segments;
      if (roll < 3 && params < 7) {
        pattern += ":" + pick(names) + std::to_string(s);
        ++params;
      } else if (roll == 3 && last && s > 0) {  // no `/*all`: it would hide every 404
        pattern += "*" + pick(names) + std::to_string(s);
      } else {
        pattern += pick(statics);
      }
    }
    std::string method = pick(methods);
    auto expected = naive.insert(method, pattern, i);
    auto got = tree.insert(method, pattern, i);
    ASSERT_EQ(got.has_value(), !expected.has_value()) << method << " " << pattern;
    if (expected) {
      ASSERT_EQ(got.error().code(), *expected) << method << " " << pattern;
      ++(*expected == RouteErrc::param_conflict ? cov.conflicts : cov.duplicates);
    } else {
      patterns.push_back(pattern);
      ++cov.inserted;
    }
  }
  ASSERT_FALSE(patterns.empty());
  const std::vector<std::string> request_methods = {"GET", "POST", "HEAD", "PATCH", "DELETE"};
  for (int i = 0; i < path_count; ++i) {
    std::string path;
    if (rng() % 2 == 0) {
      // Derived from a route: parameters replaced by values, sometimes mangled.
      std::string pattern = pick(patterns);
      for (std::size_t p = 0; p < pattern.size();) {
        if ((pattern[p] == ':' || pattern[p] == '*') && (p == 0 || pattern[p - 1] == '/')) {
          std::size_t end = pattern.find('/', p);
          if (end == std::string::npos) end = pattern.size();
          path += pick(values);
          if (pattern[p] == '*' && rng() % 2 == 0) path += "/" + pick(values);
          p = end;
        } else {
          path += pattern[p++];
        }
      }
      if (rng() % 8 == 0) path += '/';
      if (rng() % 8 == 0 && !path.empty()) path.pop_back();
    } else {
      int segments = static_cast<int>(rng() % 6);
      for (int s = 0; s < segments; ++s) path += "/" + (rng() % 2 ? pick(statics) : pick(values));
      if (path.empty()) path = "/";
    }
    std::string method = pick(request_methods);
    auto want = naive.match(method, path);
    auto got = tree.match(method, path);
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + method + " " + path);
    ASSERT_EQ(got.status(), want.status);
    if (want.status == MatchStatus::found) {
      ASSERT_EQ(got.value(), want.value);
      ASSERT_EQ(to_vector(got.params()), want.params);
    }
    ASSERT_EQ(got.allow(), want.allow);
    ASSERT_EQ(got.pattern(), want.pattern);
    if (want.status == MatchStatus::found) ++cov.found;
    if (want.status == MatchStatus::method_not_allowed) ++cov.not_allowed;
    if (want.status == MatchStatus::not_found) ++cov.not_found;
    if (!want.params.empty()) ++cov.with_params;
  }
}

void expect_coverage(const Coverage& cov, long paths) {
  EXPECT_GT(cov.inserted, 0);
  EXPECT_GT(cov.conflicts, 0);
  EXPECT_GT(cov.duplicates, 0);
  EXPECT_GT(cov.found, paths / 10);
  EXPECT_GT(cov.not_allowed, paths / 20);
  EXPECT_GT(cov.not_found, paths / 20);
  EXPECT_GT(cov.with_params, paths / 20);
  std::printf("routes %ld (conflicts %ld, duplicates %ld); paths: found %ld, 405 %ld, 404 %ld\n",
              cov.inserted, cov.conflicts, cov.duplicates, cov.found, cov.not_allowed,
              cov.not_found);
}

TEST(RouteTree, agrees_with_a_naive_matcher_on_random_routes_and_paths) {
  Coverage cov;
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    compare_random(seed, 300, 500, cov);
    if (HasFatalFailure()) return;
  }
  expect_coverage(cov, 40 * 500);
}

TEST(RouteTree, agrees_with_a_naive_matcher_on_small_dense_tables) {
  // Few routes over a tiny alphabet: many overlaps, conflicts and backtracking.
  Coverage cov;
  for (std::uint32_t seed = 100; seed <= 400; ++seed) {
    compare_random(seed, 12, 60, cov);
    if (HasFatalFailure()) return;
  }
  expect_coverage(cov, 301 * 60);
}

}  // namespace
}  // namespace strata::http
