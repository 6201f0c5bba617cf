// The radix tree behind RouteTree<T>: pattern validation, insertion with edge splitting, and the
// allocation-free backtracking matcher.
//
// Shape. Every node is one of three kinds:
//   - static: an edge of literal bytes (`text`); its static children start with distinct bytes,
//     listed in `indices` so that choosing a child is a scan of a few bytes;
//   - param: `:text`, consumes one non-empty path segment; always reached right after a '/';
//   - wildcard: `*text`, consumes the rest of the path; always a leaf with handlers.
// A node has at most one param child and one wildcard child (two routes that name the parameter
// at the same position differently are rejected), so the parameter names of a match are fixed by
// the nodes it passes through, and every root-to-node chain is a prefix of some inserted pattern:
// a match never captures more than PathParams::capacity parameters.
//
// Matching is a depth-first search in priority order (static child, then param, then wildcard)
// without recursion and without a stack: to backtrack, a node goes back to its parent, restoring
// the path position from what it consumed (its edge length, or the length of the parameter value
// it pushed), and its own kind says which alternative the parent tries next. Each node is entered
// at most once per match (a node's entry position is determined by its ancestors), so a match is
// O(nodes) in the worst case and O(path length) in the usual one.
//
// Atomic inserts. insert() validates the whole pattern first; while walking the tree it can then
// only fail at an existing param/wildcard node (name conflict) or at an existing end node
// (duplicate). Edge splits and new nodes happen only where the pattern leaves the existing tree,
// and below such a point every node is new, so no failure can follow a change.
#include "strata/http/route_tree.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace strata::http {

namespace {

class RouteCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.route"; }
  std::string message(int code) const override {
    switch (static_cast<RouteErrc>(code)) {
      case RouteErrc::invalid_method:
        return "method is not an HTTP token";
      case RouteErrc::invalid_pattern:
        return "route pattern must start with '/'";
      case RouteErrc::invalid_character:
        return "invalid character in route pattern";
      case RouteErrc::empty_param_name:
        return "route parameter without a name";
      case RouteErrc::wildcard_not_last:
        return "catch-all parameter must be the last segment";
      case RouteErrc::too_many_params:
        return "too many route parameters";
      case RouteErrc::duplicate_param_name:
        return "route parameter name used twice";
      case RouteErrc::param_conflict:
        return "route parameter conflicts with another route's parameter name";
      case RouteErrc::duplicate_route:
        return "route already registered";
    }
    return "unknown route error";
  }
};

}  // namespace

const std::error_category& route_category() noexcept {
  static const RouteCategory category;
  return category;
}

namespace detail {

namespace {

enum class Kind : std::uint8_t { static_, param, wildcard };

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 9110 §5.6.2 tchar.
bool is_tchar(unsigned char c) {
  return c != 0 && (is_alnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// RFC 3986 pchar without pct-encoded: unreserved / sub-delims / ":" / "@".
bool is_pchar(unsigned char c) {
  return c != 0 && (is_alnum(c) || std::strchr("-._~!$&'()*+,;=:@", c) != nullptr);
}

bool is_name_char(unsigned char c) {
  return is_alnum(c) || c == '_';
}

// A run of a pattern: static bytes (including the '/' around parameters) or a parameter name.
struct Piece {
  Kind kind;
  std::string_view text;
};

Error route_error(RouteErrc e, std::string_view method, std::string_view pattern) {
  std::string context = "route ";
  context.append(method).append(" ").append(pattern);
  return Error(make_error_code(e), std::move(context));
}

// Splits a pattern into pieces, checking everything that does not depend on other routes.
Result<std::vector<Piece>> parse_pattern(std::string_view method, std::string_view pattern) {
  auto error = [&](RouteErrc e) { return fail(route_error(e, method, pattern)); };
  if (pattern.empty() || pattern[0] != '/') return error(RouteErrc::invalid_pattern);
  std::vector<Piece> pieces;
  std::string_view names[PathParams::capacity];
  std::size_t params = 0;
  std::size_t static_begin = 0;  // where the current static piece starts
  std::size_t begin = 1;         // the current segment
  for (;;) {
    std::size_t end = pattern.find('/', begin);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view segment = pattern.substr(begin, end - begin);
    if (!segment.empty() && (segment[0] == ':' || segment[0] == '*')) {
      Kind kind = segment[0] == ':' ? Kind::param : Kind::wildcard;
      std::string_view name = segment.substr(1);
      if (name.empty()) return error(RouteErrc::empty_param_name);
      if (!std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c); })) {
        return error(RouteErrc::invalid_character);
      }
      if (kind == Kind::wildcard && end != pattern.size()) {
        return error(RouteErrc::wildcard_not_last);
      }
      if (params == PathParams::capacity) return error(RouteErrc::too_many_params);
      if (std::find(names, names + params, name) != names + params) {
        return error(RouteErrc::duplicate_param_name);
      }
      names[params++] = name;
      pieces.push_back({Kind::static_, pattern.substr(static_begin, begin - static_begin)});
      pieces.push_back({kind, name});
      static_begin = end;
    } else {
      for (std::size_t i = 0; i < segment.size(); ++i) {
        auto c = static_cast<unsigned char>(segment[i]);
        if (c == '%') {
          if (i + 2 >= segment.size() || !is_hex(segment[i + 1]) || !is_hex(segment[i + 2])) {
            return error(RouteErrc::invalid_character);
          }
          i += 2;
        } else if (!is_pchar(c)) {
          return error(RouteErrc::invalid_character);
        }
      }
    }
    if (end == pattern.size()) break;
    begin = end + 1;
  }
  if (static_begin < pattern.size()) {
    pieces.push_back({Kind::static_, pattern.substr(static_begin)});
  }
  return pieces;
}

}  // namespace

struct RouteTreeCore::Node {
  struct Handler {
    std::string method;
    std::uint32_t id;
  };

  Kind kind = Kind::static_;
  std::string text;  // static: the edge bytes; param/wildcard: the name
  Node* parent = nullptr;
  std::string indices;  // first byte of each static child, in the order of `statics`
  std::vector<std::unique_ptr<Node>> statics;
  std::unique_ptr<Node> param;
  std::unique_ptr<Node> wildcard;
  std::vector<Handler> handlers;  // the routes that end here, one per method
  std::string allow;              // their Allow value, rebuilt on insert
  std::string pattern;            // the pattern of those routes, as inserted

  Node* add_child(std::unique_ptr<Node>& slot, Kind k, std::string_view t) {
    slot = std::make_unique<Node>();
    slot->kind = k;
    slot->text = t;
    slot->parent = this;
    return slot.get();
  }

  Node* add_static(std::string_view t) {
    indices.push_back(t[0]);
    statics.emplace_back();
    return add_child(statics.back(), Kind::static_, t);
  }

  // Cuts this static edge after `at` bytes; the rest, with everything below, becomes the only
  // child. The node keeps its address, so its parent's pointer stays right.
  void split(std::size_t at) {
    auto tail = std::make_unique<Node>();
    tail->kind = Kind::static_;
    tail->text = text.substr(at);
    tail->parent = this;
    tail->indices = std::move(indices);
    tail->statics = std::move(statics);
    tail->param = std::move(param);
    tail->wildcard = std::move(wildcard);
    tail->handlers = std::move(handlers);
    tail->allow = std::move(allow);
    tail->pattern = std::move(pattern);
    for (auto& c : tail->statics) c->parent = tail.get();
    if (tail->param) tail->param->parent = tail.get();
    if (tail->wildcard) tail->wildcard->parent = tail.get();
    text.resize(at);
    indices.assign(1, tail->text[0]);
    statics.clear();
    statics.push_back(std::move(tail));
    param.reset();
    wildcard.reset();
    handlers.clear();
    allow.clear();
    pattern.clear();
  }

  // Allow lists the methods in byte order, with HEAD implied by GET.
  void rebuild_allow() {
    std::vector<std::string_view> methods;
    bool get = false, head = false;
    for (const auto& h : handlers) {
      methods.push_back(h.method);
      get = get || h.method == "GET";
      head = head || h.method == "HEAD";
    }
    if (get && !head) methods.push_back("HEAD");
    std::sort(methods.begin(), methods.end());
    allow.clear();
    for (auto m : methods) {
      if (!allow.empty()) allow.append(", ");
      allow.append(m);
    }
  }
};

RouteTreeCore::RouteTreeCore() : root_(std::make_unique<Node>()) {}

// Tears the tree down without recursion: nested prefixes (/a, /aa, /aaa, ...) make chains as
// deep as there are routes, and unique_ptr's destructors would recurse once per node.
RouteTreeCore::~RouteTreeCore() {
  std::vector<std::unique_ptr<Node>> pending;
  if (root_) pending.push_back(std::move(root_));
  while (!pending.empty()) {
    std::unique_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    for (auto& child : node->statics) pending.push_back(std::move(child));
    if (node->param) pending.push_back(std::move(node->param));
    if (node->wildcard) pending.push_back(std::move(node->wildcard));
  }
}

RouteTreeCore::RouteTreeCore(RouteTreeCore&&) noexcept = default;

RouteTreeCore& RouteTreeCore::operator=(RouteTreeCore&& other) noexcept {
  RouteTreeCore old(std::move(other));  // our previous tree dies with `old`
  std::swap(root_, old.root_);
  return *this;
}

Result<void> RouteTreeCore::insert(std::string_view method, std::string_view pattern,
                                   std::uint32_t id) {
  if (method.empty() ||
      !std::all_of(method.begin(), method.end(), [](char c) { return is_tchar(c); })) {
    return fail(route_error(RouteErrc::invalid_method, method, pattern));
  }
  auto pieces = parse_pattern(method, pattern);
  if (!pieces) return fail(std::move(pieces.error()));
  if (!root_) root_ = std::make_unique<Node>();  // a moved-from tree is usable again

  Node* n = root_.get();
  for (const Piece& piece : *pieces) {
    if (piece.kind == Kind::static_) {
      std::string_view rest = piece.text;
      while (!rest.empty()) {
        auto at = n->indices.find(rest[0]);
        if (at == std::string::npos) {
          n = n->add_static(rest);
          break;
        }
        Node* child = n->statics[at].get();
        auto [edge_end, rest_end] =
            std::mismatch(child->text.begin(), child->text.end(), rest.begin(), rest.end());
        auto common = static_cast<std::size_t>(edge_end - child->text.begin());
        if (common < child->text.size()) child->split(common);
        n = child;
        rest.remove_prefix(common);
      }
      continue;
    }
    auto& slot = piece.kind == Kind::param ? n->param : n->wildcard;
    if (slot) {
      if (slot->text != piece.text) {
        return fail(route_error(RouteErrc::param_conflict, method, pattern));
      }
      n = slot.get();
    } else {
      n = n->add_child(slot, piece.kind, piece.text);
    }
  }
  for (const auto& h : n->handlers) {
    if (h.method == method) return fail(route_error(RouteErrc::duplicate_route, method, pattern));
  }
  if (n->handlers.empty()) n->pattern = pattern;
  n->handlers.push_back({std::string(method), id});
  n->rebuild_allow();
  return {};
}

namespace {

// Whether `p` starts with `edge`, whose first byte is already known to match.
bool equal_after_first(const char* p, const std::string& edge) noexcept {
  for (std::size_t i = 1; i < edge.size(); ++i) {
    if (p[i] != edge[i]) return false;
  }
  return true;
}

RouteTreeCore::Lookup resolve(const auto& node, std::string_view method) noexcept {
  for (const auto& h : node.handlers) {
    if (h.method == method) return {h.id, node.pattern, node.allow};
  }
  if (method == "HEAD") {
    for (const auto& h : node.handlers) {
      if (h.method == "GET") return {h.id, node.pattern, node.allow};
    }
  }
  return {RouteTreeCore::no_id, node.pattern, node.allow};
}

}  // namespace

RouteTreeCore::Lookup RouteTreeCore::match(std::string_view method, std::string_view path,
                                           PathParams& params) const noexcept {
  params.clear();
  if (!root_) return {};
  // What to try next at node `n`, whose edge ends at path position `pos`.
  enum class Next { static_child, param_child, wildcard_child, backtrack };
  const Node* n = root_.get();
  std::size_t pos = 0;
  Next next = Next::static_child;
  const std::size_t size = path.size();
  for (;;) {
    switch (next) {
      case Next::static_child:
        next = Next::param_child;
        if (pos < size) {
          // Plain loops rather than memchr/memcmp: child lists and edges are a few bytes long,
          // and the library calls cost more than the work (perf: over 40% of a match).
          const char c = path[pos];
          const std::string& indices = n->indices;
          std::size_t i = 0;
          while (i < indices.size() && indices[i] != c) ++i;
          if (i < indices.size()) {
            const Node* child = n->statics[i].get();
            const std::string& edge = child->text;
            if (size - pos >= edge.size() && equal_after_first(path.data() + pos, edge)) {
              n = child;
              pos += edge.size();
              if (pos == size && !n->handlers.empty()) {
                Lookup found = resolve(*n, method);
                if (found.id == no_id) params.clear();
                return found;
              }
              next = Next::static_child;
              continue;
            }
          }
        }
        [[fallthrough]];
      case Next::param_child:
        next = Next::wildcard_child;
        if (n->param && pos < size && path[pos] != '/') {
          std::size_t end = pos + 1;
          while (end < size && path[end] != '/') ++end;
          n = n->param.get();
          params.push(n->text, path.substr(pos, end - pos));
          pos = end;
          if (pos == size && !n->handlers.empty()) {
            Lookup found = resolve(*n, method);
            if (found.id == no_id) params.clear();
            return found;
          }
          next = Next::static_child;
          continue;
        }
        [[fallthrough]];
      case Next::wildcard_child:
        next = Next::backtrack;
        if (n->wildcard && !n->wildcard->handlers.empty()) {
          params.push(n->wildcard->text, path.substr(pos));
          Lookup found = resolve(*n->wildcard, method);
          if (found.id == no_id) params.clear();
          return found;
        }
        [[fallthrough]];
      case Next::backtrack:
        if (n->parent == nullptr) return {};
        if (n->kind == Kind::static_) {
          pos -= n->text.size();
          next = Next::param_child;
        } else {
          pos -= params.back().value.size();
          params.pop();
          next = Next::wildcard_child;
        }
        n = n->parent;
        continue;
    }
  }
}

}  // namespace detail
}  // namespace strata::http
