// Fuzzes RouteTree<int> (strata/http/route_tree.hpp) against a naive linear matcher. The input
// is text: route lines "METHOD PATTERN", an empty line, then request lines "METHOD PATH"
// (the method is everything before the first space). For every input:
//
//   - insert() accepts exactly the routes that an independent pattern checker finds valid and a
//     pairwise comparison with the accepted routes finds free of parameter-name conflicts and
//     duplicates, and rejects the others with the matching RouteErrc (syntax errors are only
//     checked as "invalid", not by exact code: several can apply to one pattern);
//   - match() gives the naive matcher's answer: the same status, handler, parameters and Allow
//     value and pattern; parameter values are views into the path.
//
// The naive matcher tries every pattern segment by segment and keeps the match whose segment
// kinds are lexicographically smallest (static < param < wildcard).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/http/route_tree.hpp"

namespace {

using namespace strata::http;

[[noreturn]] void die(const char* what, std::string_view a, std::string_view b) {
  std::fprintf(stderr, "route_tree fuzz: %s: \"%.*s\" \"%.*s\"\n", what, int(a.size()), a.data(),
               int(b.size()), b.data());
  std::abort();
}

void check(bool ok, const char* what, std::string_view a, std::string_view b) {
  if (!ok) die(what, a, b);
}

bool alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::vector<std::string_view> split_segments(std::string_view pattern) {
  std::vector<std::string_view> out;
  std::size_t begin = 1;
  for (;;) {
    std::size_t end = pattern.find('/', begin);
    if (end == std::string_view::npos) {
      out.push_back(pattern.substr(begin));
      return out;
    }
    out.push_back(pattern.substr(begin, end - begin));
    begin = end + 1;
  }
}

char kind(std::string_view seg) {
  if (!seg.empty() && seg[0] == ':') return 'b';
  if (!seg.empty() && seg[0] == '*') return 'c';
  return 'a';
}

// The pattern rules of route_tree.hpp, written independently of the implementation.
bool valid_route(std::string_view method, std::string_view pattern) {
  if (method.empty()) return false;
  for (unsigned char c : method) {
    if (!alnum(c) && (c == 0 || !std::strchr("!#$%&'*+-.^_`|~", c))) return false;
  }
  if (pattern.empty() || pattern[0] != '/') return false;
  auto segs = split_segments(pattern);
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    std::string_view seg = segs[i];
    if (kind(seg) != 'a') {
      std::string_view name = seg.substr(1);
      if (name.empty()) return false;
      for (unsigned char c : name) {
        if (!alnum(c) && c != '_') return false;
      }
      if (kind(seg) == 'c' && i + 1 != segs.size()) return false;
      if (std::find(names.begin(), names.end(), name) != names.end()) return false;
      names.push_back(name);
      continue;
    }
    for (std::size_t j = 0; j < seg.size(); ++j) {
      auto c = static_cast<unsigned char>(seg[j]);
      if (c == '%') {
        if (j + 2 >= seg.size() || !hex(seg[j + 1]) || !hex(seg[j + 2])) return false;
        j += 2;
      } else if (!alnum(c) && (c == 0 || !std::strchr("-._~!$&'()*+,;=:@", c))) {
        return false;
      }
    }
  }
  return names.size() <= PathParams::capacity;
}

struct NaiveRoute {
  std::string method, pattern;
  int value;
};

using Params = std::vector<std::pair<std::string_view, std::string_view>>;

bool naive_matches(std::string_view pattern, std::string_view path, Params& params,
                   std::string& kinds) {
  if (path.empty() || path[0] != '/') return false;
  auto segs = split_segments(pattern);
  std::size_t pos = 1;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    std::string_view seg = segs[i];
    kinds += kind(seg);
    if (kind(seg) == 'c') {
      params.emplace_back(seg.substr(1), path.substr(pos));
      return true;
    }
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (kind(seg) == 'b') {
      if (part.empty()) return false;
      params.emplace_back(seg.substr(1), part);
    } else if (part != seg) {
      return false;
    }
    if (i + 1 == segs.size()) return end == path.size();
    if (end == path.size()) return false;
    pos = end + 1;
  }
  return false;
}

std::optional<RouteErrc> naive_conflict(const std::vector<NaiveRoute>& routes,
                                        std::string_view method, std::string_view pattern) {
  auto segs = split_segments(pattern);
  for (const auto& r : routes) {
    auto other = split_segments(r.pattern);
    for (std::size_t i = 0; i < segs.size() && i < other.size(); ++i) {
      if (kind(segs[i]) != kind(other[i])) break;
      if (kind(segs[i]) == 'a') {
        if (segs[i] != other[i]) break;
      } else if (segs[i] != other[i]) {
        return RouteErrc::param_conflict;
      }
    }
  }
  for (const auto& r : routes) {
    if (r.method == method && r.pattern == pattern) return RouteErrc::duplicate_route;
  }
  return std::nullopt;
}

void check_match(const RouteTree<int>& tree, const std::vector<NaiveRoute>& routes,
                 std::string_view method, std::string_view path) {
  const NaiveRoute* best = nullptr;
  std::string best_kinds;
  Params best_params;
  for (const auto& r : routes) {
    Params params;
    std::string kinds;
    if (naive_matches(r.pattern, path, params, kinds) && (!best || kinds < best_kinds)) {
      best = &r;
      best_kinds = std::move(kinds);
      best_params = std::move(params);
    }
  }
  auto m = tree.match(method, path);
  if (best == nullptr) {
    check(m.status() == MatchStatus::not_found && m.allow().empty() && m.pattern().empty() &&
              m.params().empty(),
          "expected not_found", method, path);
    return;
  }
  std::vector<std::string_view> methods;
  const NaiveRoute* exact = nullptr;
  const NaiveRoute* get = nullptr;
  for (const auto& r : routes) {
    if (r.pattern != best->pattern) continue;
    methods.push_back(r.method);
    if (r.method == method) exact = &r;
    if (r.method == "GET") get = &r;
  }
  if (get && std::find(methods.begin(), methods.end(), "HEAD") == methods.end()) {
    methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  std::string allow;
  for (auto mt : methods) {
    if (!allow.empty()) allow += ", ";
    allow += mt;
  }
  check(m.allow() == allow, "allow differs", method, path);
  check(m.pattern() == best->pattern, "pattern differs", method, path);
  if (exact == nullptr && method == "HEAD") exact = get;
  if (exact == nullptr) {
    check(m.status() == MatchStatus::method_not_allowed && m.params().empty(), "expected 405",
          method, path);
    return;
  }
  check(m.status() == MatchStatus::found && m.value() == exact->value, "expected found", method,
        path);
  check(m.params().size() == best_params.size(), "param count differs", method, path);
  for (std::size_t i = 0; i < best_params.size(); ++i) {
    const PathParam& p = m.params()[i];
    check(p.name == best_params[i].first && p.value == best_params[i].second, "param differs",
          method, path);
    // Values are views into the request path, not copies.
    check(p.value.data() >= path.data() &&
              p.value.data() + p.value.size() <= path.data() + path.size(),
          "param value outside the path", method, path);
    check(m.params().get(p.name) == p.value, "get() differs", method, path);
  }
}

constexpr std::size_t max_lines = 128;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  RouteTree<int> tree;
  std::vector<NaiveRoute> routes;
  bool requests = false;
  std::size_t lines = 0;
  int next_value = 0;
  while (!input.empty() && lines++ < max_lines) {
    std::size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    if (line.empty()) {
      requests = true;
      continue;
    }
    std::size_t sp = line.find(' ');
    std::string_view method = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    if (requests) {
      check_match(tree, routes, method, rest);
      continue;
    }
    int value = next_value++;
    auto r = tree.insert(method, rest, value);
    if (!valid_route(method, rest)) {
      check(!r, "accepted an invalid route", method, rest);
      auto code = r.error().code();
      check(code.category() == route_category() && code != RouteErrc::param_conflict &&
                code != RouteErrc::duplicate_route,
            "invalid route rejected with the wrong error", method, rest);
      continue;
    }
    auto expected = naive_conflict(routes, method, rest);
    if (expected) {
      check(!r && r.error().code() == *expected, "expected a conflict error", method, rest);
      continue;
    }
    check(r.has_value(), "rejected a valid route", method, rest);
    routes.push_back({std::string(method), std::string(rest), value});
  }
  check(tree.size() == routes.size(), "size differs", "", "");
  return 0;
}
