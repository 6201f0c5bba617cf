#include "strata/http/uri.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "strata/http/headers.hpp"
#include "strata/net/ip_addr.hpp"

namespace strata::http {

namespace {

class UriCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.uri"; }
  std::string message(int ev) const override {
    switch (static_cast<UriErrc>(ev)) {
      case UriErrc::empty:
        return "empty URI";
      case UriErrc::too_long:
        return "URI too long";
      case UriErrc::invalid_char:
        return "invalid character in URI";
      case UriErrc::invalid_percent_encoding:
        return "invalid percent-encoding";
      case UriErrc::invalid_scheme:
        return "invalid URI scheme";
      case UriErrc::invalid_host:
        return "invalid URI host";
      case UriErrc::invalid_port:
        return "invalid URI port";
      case UriErrc::userinfo_not_allowed:
        return "userinfo not allowed in a request target";
      case UriErrc::fragment_not_allowed:
        return "fragment not allowed in a request target";
      case UriErrc::form_not_allowed:
        return "request-target form not allowed for this method";
      case UriErrc::encoded_slash:
        return "encoded '/' not allowed";
      case UriErrc::encoded_nul:
        return "NUL byte not allowed";
      case UriErrc::path_escapes_root:
        return "path escapes the root";
      case UriErrc::buffer_too_small:
        return "output buffer too small";
    }
    return "unknown URI error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    (void)ev;
    return std::errc::invalid_argument;
  }
};

std::unexpected<Error> uri_fail(UriErrc e) {
  return fail(Error(e, "uri"));
}

// Character classes of RFC 3986 §2 and §3, one bit each.
enum : std::uint8_t {
  c_unreserved = 1,  // ALPHA DIGIT - . _ ~
  c_sub_delim = 2,   // ! $ & ' ( ) * + , ; =
  c_colon = 4,
  c_at = 8,
  c_slash = 16,
  c_question = 32,
};

struct CharTable {
  std::uint8_t bits[256]{};
  constexpr CharTable() {
    for (int c = 'a'; c <= 'z'; ++c) bits[c] = c_unreserved;
    for (int c = 'A'; c <= 'Z'; ++c) bits[c] = c_unreserved;
    for (int c = '0'; c <= '9'; ++c) bits[c] = c_unreserved;
    for (unsigned char c : std::string_view("-._~")) bits[c] = c_unreserved;
    for (unsigned char c : std::string_view("!$&'()*+,;=")) bits[c] = c_sub_delim;
    bits[':'] = c_colon;
    bits['@'] = c_at;
    bits['/'] = c_slash;
    bits['?'] = c_question;
  }
};
constexpr CharTable chars;

constexpr std::uint8_t pchar = c_unreserved | c_sub_delim | c_colon | c_at;
constexpr std::uint8_t path_chars = pchar | c_slash;
constexpr std::uint8_t query_chars = pchar | c_slash | c_question;
constexpr std::uint8_t reg_name_chars = c_unreserved | c_sub_delim;
constexpr std::uint8_t userinfo_chars = c_unreserved | c_sub_delim | c_colon;

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Scans s from the start while bytes are in `allowed` or valid %XX escapes; returns where it
// stopped (s.size() if it read everything), or invalid_percent_encoding.
Result<std::size_t> scan(std::string_view s, std::uint8_t allowed) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (chars.bits[c] & allowed) {
      ++i;
    } else if (c == '%') {
      if (n - i < 3 || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) {
        return uri_fail(UriErrc::invalid_percent_encoding);
      }
      i += 3;
    } else {
      break;
    }
  }
  return i;
}

// Checks that every byte of s is in `allowed` or a valid %XX escape.
Result<void> check_chars(std::string_view s, std::uint8_t allowed) noexcept {
  auto end = scan(s, allowed);
  if (!end) return fail(end.error());
  if (*end != s.size()) return uri_fail(UriErrc::invalid_char);
  return {};
}

bool is_http_scheme(std::string_view scheme) noexcept {
  return ascii_iequals(scheme, "http") || ascii_iequals(scheme, "https");
}

}  // namespace

const std::error_category& uri_category() noexcept {
  static const UriCategory category;
  return category;
}

// The parser: fills a Uri's parts as offsets into `text`.
struct UriParser {
  std::string_view text;
  Uri& u;

  Uri::Part at(std::string_view sub) const noexcept {
    return {static_cast<std::uint16_t>(sub.data() - text.data()),
            static_cast<std::uint16_t>(sub.size())};
  }

  // path ["?" query] ["#" fragment] starting at `rest`; the path must already suit the form.
  // One pass per component: the scan stops at the first byte outside the component's grammar,
  // which must be the next delimiter.
  Result<void> path_query_fragment(std::string_view rest, bool allow_fragment) noexcept {
    auto end = scan(rest, path_chars);
    if (!end) return fail(end.error());
    u.path_ = at(rest.substr(0, *end));
    rest.remove_prefix(*end);
    if (rest.empty()) return {};
    if (rest[0] == '?') {
      rest.remove_prefix(1);
      end = scan(rest, query_chars);
      if (!end) return fail(end.error());
      u.query_ = at(rest.substr(0, *end));
      u.has_query_ = true;
      rest.remove_prefix(*end);
      if (rest.empty()) return {};
    }
    if (rest[0] != '#') return uri_fail(UriErrc::invalid_char);
    if (!allow_fragment) return uri_fail(UriErrc::fragment_not_allowed);
    const std::string_view fragment = rest.substr(1);
    if (auto r = check_chars(fragment, query_chars); !r) return r;
    u.fragment_ = at(fragment);
    u.has_fragment_ = true;
    return {};
  }

  Result<void> port(std::string_view p) noexcept {
    if (p.empty() || p.size() > 5) return uri_fail(UriErrc::invalid_port);
    std::uint32_t v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return uri_fail(UriErrc::invalid_port);
      v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (v > 65535) return uri_fail(UriErrc::invalid_port);
    u.port_ = static_cast<std::uint16_t>(v);
    u.port_str_ = at(p);
    u.has_port_ = true;
    return {};
  }

  // host [":" port]; `hp` has no userinfo.
  Result<void> host_port(std::string_view hp) noexcept {
    std::string_view rest;
    if (!hp.empty() && hp[0] == '[') {
      const std::size_t close = hp.find(']');
      if (close == std::string_view::npos) return uri_fail(UriErrc::invalid_host);
      const std::string_view inner = hp.substr(1, close - 1);
      // IPvFuture ("v1.x") and zone ids ("%25eth0") are not supported: the parse fails.
      if (!net::Ipv6Addr::parse(inner)) return uri_fail(UriErrc::invalid_host);
      u.host_ = at(hp.substr(0, close + 1));
      u.host_kind_ = HostKind::ipv6;
      rest = hp.substr(close + 1);
      if (!rest.empty() && rest[0] != ':') return uri_fail(UriErrc::invalid_host);
    } else {
      const std::size_t colon = hp.find(':');
      const std::string_view host = hp.substr(0, colon);
      if (auto r = check_chars(host, reg_name_chars); !r) {
        return uri_fail(r.error().code() == UriErrc::invalid_char
                            ? UriErrc::invalid_host
                            : UriErrc::invalid_percent_encoding);
      }
      u.host_ = at(host);
      u.host_kind_ = host.empty()                 ? HostKind::none
                     : net::Ipv4Addr::parse(host) ? HostKind::ipv4
                                                  : HostKind::reg_name;
      rest = colon == std::string_view::npos ? hp.substr(hp.size()) : hp.substr(colon);
    }
    if (rest.empty()) return {};
    return port(rest.substr(1));
  }

  // The authority between "//" and the path.
  Result<void> authority(std::string_view a) noexcept {
    u.authority_ = at(a);
    u.has_authority_ = true;
    const std::size_t at_sign = a.find('@');
    if (at_sign != std::string_view::npos) {
      const std::string_view info = a.substr(0, at_sign);
      if (auto r = check_chars(info, userinfo_chars); !r) return r;
      u.userinfo_ = at(info);
      u.has_userinfo_ = true;
      a.remove_prefix(at_sign + 1);
    }
    return host_port(a);
  }

  // absolute-URI [ "#" fragment ].
  Result<void> absolute(bool request_target) noexcept {
    u.form_ = UriForm::absolute;
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) return uri_fail(UriErrc::invalid_scheme);
    const std::string_view scheme = text.substr(0, colon);
    const auto first = static_cast<unsigned char>(scheme[0]);
    if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
      return uri_fail(UriErrc::invalid_scheme);
    }
    for (char ch : scheme) {
      const auto c = static_cast<unsigned char>(ch);
      const bool ok = (chars.bits[c] & c_unreserved && c != '_' && c != '~') || c == '+';
      if (!ok) return uri_fail(UriErrc::invalid_scheme);
    }
    u.scheme_ = at(scheme);
    std::string_view rest = text.substr(colon + 1);
    if (rest.starts_with("//")) {
      rest.remove_prefix(2);
      const std::size_t end = rest.find_first_of("/?#");
      if (auto r = authority(rest.substr(0, end)); !r) return r;
      rest = end == std::string_view::npos ? rest.substr(rest.size()) : rest.substr(end);
    }
    // Without an authority the path may not start with "//" (it would read as one); that case
    // was taken above, so any path here is path-absolute, path-rootless or empty.
    if (auto r = path_query_fragment(rest, !request_target); !r) return r;
    if (is_http_scheme(scheme) && (!u.has_authority_ || u.host_.len == 0)) {
      return uri_fail(UriErrc::invalid_host);
    }
    if (request_target && u.has_userinfo_) return uri_fail(UriErrc::userinfo_not_allowed);
    return {};
  }
};

namespace {

Result<void> check_length(std::string_view text) noexcept {
  if (text.empty()) return uri_fail(UriErrc::empty);
  if (text.size() > Uri::max_length) return uri_fail(UriErrc::too_long);
  return {};
}

constexpr std::string_view root_path = "/";

}  // namespace

Uri::Uri() noexcept : src_(root_path), path_{0, 1} {}

Result<Uri> Uri::parse_origin_form(std::string_view target) noexcept {
  if (auto r = check_length(target); !r) return fail(r.error());
  if (target[0] != '/') return uri_fail(UriErrc::invalid_char);
  Uri u;
  u.src_ = target;
  u.path_ = {};
  UriParser p{target, u};
  if (auto r = p.path_query_fragment(target, false); !r) return fail(r.error());
  return u;
}

Result<Uri> Uri::parse_absolute_form(std::string_view target) noexcept {
  if (auto r = check_length(target); !r) return fail(r.error());
  Uri u;
  u.src_ = target;
  u.path_ = {};
  UriParser p{target, u};
  if (auto r = p.absolute(true); !r) return fail(r.error());
  return u;
}

Result<Uri> Uri::parse(std::string_view uri) noexcept {
  if (auto r = check_length(uri); !r) return fail(r.error());
  Uri u;
  u.src_ = uri;
  u.path_ = {};
  UriParser p{uri, u};
  if (auto r = p.absolute(false); !r) return fail(r.error());
  return u;
}

Result<Uri> Uri::parse_authority_form(std::string_view target) noexcept {
  if (auto r = check_length(target); !r) return fail(r.error());
  if (target.find('@') != std::string_view::npos) return uri_fail(UriErrc::userinfo_not_allowed);
  Uri u;
  u.src_ = target;
  u.path_ = {};
  u.form_ = UriForm::authority;
  UriParser p{target, u};
  if (auto r = p.host_port(target); !r) return fail(r.error());
  if (u.host_.len == 0) return uri_fail(UriErrc::invalid_host);
  if (!u.has_port_) return uri_fail(UriErrc::invalid_port);
  u.authority_ = p.at(target);
  u.has_authority_ = true;
  return u;
}

Result<Uri> Uri::parse_asterisk_form(std::string_view target) noexcept {
  if (auto r = check_length(target); !r) return fail(r.error());
  if (target != "*") return uri_fail(UriErrc::invalid_char);
  Uri u;
  u.src_ = target;
  u.path_ = {};
  u.form_ = UriForm::asterisk;
  return u;
}

namespace {

// The bytes origin_form_length() must look at one by one: everything but the plain path
// characters (pchar and '/'), that is controls, SP, DEL and non-ASCII, '%' and '?', and the
// visible bytes RFC 3986 leaves out. The 16-byte scan below tests exactly these bytes; the table
// stays the rule, and this check proves the scan agrees with it.
constexpr bool looked_at(unsigned char c) noexcept {
  return c <= 0x20 || c >= 0x7f || c == '"' || c == '#' || c == '%' || c == '<' || c == '>' ||
         c == '?' || (c >= '[' && c <= '^') || c == '`' || (c >= '{' && c <= '}');
}
constexpr bool scan_matches_table() noexcept {
  for (int c = 0; c < 256; ++c) {
    if (looked_at(static_cast<unsigned char>(c)) == ((chars.bits[c] & path_chars) != 0)) {
      return false;
    }
  }
  return true;
}
static_assert(scan_matches_table());

// The first byte in [p, end) that looked_at(), or a point less than 16 bytes before end.
const char* skip_plain_path(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const auto in_range = [](__m128i x, char lo, char width) {  // lo <= x <= lo + width
    const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(width)), d);
  };
  const auto eq = [](__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i m = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);           // <= 0x20
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x7f)), x));  // >= 0x7f
    m = _mm_or_si128(m, in_range(x, '"', 1));                                      // " #
    m = _mm_or_si128(m, eq(x, '%'));
    m = _mm_or_si128(m, eq(x, '<'));
    m = _mm_or_si128(m, in_range(x, '>', 1));  // > ?
    m = _mm_or_si128(m, in_range(x, '[', 3));  // [ \ ] ^
    m = _mm_or_si128(m, eq(x, '`'));
    m = _mm_or_si128(m, in_range(x, '{', 2));  // { | }
    const int mask = _mm_movemask_epi8(m);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#else
  (void)end;
#endif
  return p;
}

}  // namespace

std::size_t Uri::origin_form_length(std::string_view line) noexcept {
  // path_query_fragment()'s grammar without a fragment, in one pass that only says yes or no;
  // runs of plain path characters (nearly all of a target) go 16 bytes at a time.
  if (line.empty() || line[0] != '/') return 0;
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  const char* p = begin + 1;
  std::uint8_t allowed = path_chars;
  while (true) {
    p = skip_plain_path(p, end);
    // The last bytes (fewer than 16), or a '?' inside the query: one at a time.
    while (p != end && (chars.bits[static_cast<unsigned char>(*p)] & allowed)) ++p;
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c == '%') {
      if (end - p < 3 || hex_value(p[1]) < 0 || hex_value(p[2]) < 0) return 0;
      p += 3;
    } else if (c == '?') {
      allowed = query_chars;  // the first '?' ends the path; later ones belong to the query
      ++p;
    } else {
      break;
    }
  }
  const auto len = static_cast<std::size_t>(p - begin);
  if (len > max_length || (p != end && *p != ' ')) return 0;
  return len;
}

// The host_port() grammar without building a Uri: it runs on every request, and a valid value
// must cost no allocation (host_port() classifies IPv4 hosts through a parse whose failure
// carries an error string).
bool Uri::is_valid_host_field(std::string_view value) noexcept {
  if (value.empty()) return true;
  if (value.size() > max_length) return false;
  std::string_view port;
  if (value[0] == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string_view::npos || !net::Ipv6Addr::parse(value.substr(1, close - 1))) {
      return false;
    }
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    const std::size_t colon = value.find(':');
    if (!check_chars(value.substr(0, colon), reg_name_chars)) return false;
    port = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
  }
  if (port.size() > 5) return false;
  std::uint32_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v <= 65535;
}

bool Uri::allows_origin_form(const Method& method) noexcept {
  return method.kind() != Method::Kind::connect;  // CONNECT takes authority-form only
}

Result<Uri> Uri::parse_target(std::string_view target, const Method& method) noexcept {
  if (!allows_origin_form(method)) return parse_authority_form(target);
  if (target == "*") {
    if (method != Method::options) return uri_fail(UriErrc::form_not_allowed);
    return parse_asterisk_form(target);
  }
  if (!target.empty() && target[0] == '/') return parse_origin_form(target);
  return parse_absolute_form(target);
}

Result<Uri> Uri::parse_owned(std::string uri) {
  auto u = parse(uri);
  if (!u) return u;
  u->owned_ = std::move(uri);
  u->owned_flag_ = true;
  u->src_ = {};
  return u;
}

void Uri::make_owned() {
  if (owned_flag_) return;
  owned_.assign(src_);
  owned_flag_ = true;
  src_ = {};
}

std::string_view Uri::path_and_query() const noexcept {
  const std::string_view t = text();
  const std::size_t end = has_query_ ? std::size_t(query_.pos) + query_.len : path_.pos + path_.len;
  return t.substr(path_.pos, end - path_.pos);
}

std::string Uri::to_string() const {
  std::string s;
  s.reserve(text().size());
  switch (form_) {
    case UriForm::asterisk:
      return "*";
    case UriForm::authority:
      s.append(host()).append(":").append(port_str());
      return s;
    case UriForm::absolute:
      s.append(scheme()).append(":");
      if (has_authority_) {
        s.append("//");
        if (has_userinfo_) s.append(userinfo()).append("@");
        s.append(host());
        if (has_port_) s.append(":").append(port_str());
      }
      break;
    case UriForm::origin:
      break;
  }
  s.append(path());
  if (has_query_) s.append("?").append(query());
  if (has_fragment_) s.append("#").append(fragment());
  return s;
}

bool operator==(const Uri& a, const Uri& b) noexcept {
  return a.form_ == b.form_ && a.host_kind_ == b.host_kind_ &&
         a.has_authority_ == b.has_authority_ && a.has_userinfo_ == b.has_userinfo_ &&
         a.has_port_ == b.has_port_ && a.has_query_ == b.has_query_ &&
         a.has_fragment_ == b.has_fragment_ && a.port_ == b.port_ && a.scheme() == b.scheme() &&
         a.userinfo() == b.userinfo() && a.host() == b.host() && a.port_str() == b.port_str() &&
         a.path() == b.path() && a.query() == b.query() && a.fragment() == b.fragment();
}

Result<std::size_t> percent_decode(std::string_view in, std::span<char> out,
                                   DecodeOptions opts) noexcept {
  std::size_t o = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return uri_fail(UriErrc::invalid_percent_encoding);
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return uri_fail(UriErrc::invalid_percent_encoding);
      c = static_cast<char>(hi * 16 + lo);
      if (c == '/' && opts.reject_encoded_slash) return uri_fail(UriErrc::encoded_slash);
      i += 2;
    } else if (c == '+' && opts.plus_as_space) {
      c = ' ';
    }
    if (c == '\0' && opts.reject_nul) return uri_fail(UriErrc::encoded_nul);
    if (o == out.size()) return uri_fail(UriErrc::buffer_too_small);
    out[o++] = c;
  }
  return o;
}

Result<void> percent_decode(std::string_view in, std::string& out, DecodeOptions opts) {
  const std::size_t old = out.size();
  out.resize(old + in.size());
  auto n = percent_decode(in, std::span<char>(out.data() + old, in.size()), opts);
  if (!n) {
    out.resize(old);
    return fail(n.error());
  }
  out.resize(old + *n);
  return {};
}

void percent_encode(std::string_view in, std::string& out, EncodeSet set) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::uint8_t keep = c_unreserved;
  if (set == EncodeSet::path_segment) keep = pchar;
  if (set == EncodeSet::path) keep = path_chars;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (chars.bits[c] & keep) {
      out.push_back(ch);
    } else if (c == ' ' && set == EncodeSet::form) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
}

Result<std::size_t> normalize_path(std::string_view in, std::span<char> out) noexcept {
  if (out.size() < in.size()) return uri_fail(UriErrc::buffer_too_small);
  // Invariant: out[0, o) is the base ("/" or "") followed by whole segments each ending in '/'
  // (the last appended segment has no '/' only when it was the input's last).
  std::size_t o = 0;
  const bool absolute = !in.empty() && in[0] == '/';
  const std::size_t base = absolute ? 1 : 0;
  if (absolute) out[o++] = '/';
  std::size_t pos = base;
  if (in.size() == base) return o;
  while (true) {
    const std::size_t slash = in.find('/', pos);
    const bool last = slash == std::string_view::npos;
    const std::string_view seg = in.substr(pos, last ? std::string_view::npos : slash - pos);
    if (seg == ".") {
      // Dropped; a trailing "." leaves the directory's '/'.
    } else if (seg == "..") {
      if (o == base) return uri_fail(UriErrc::path_escapes_root);
      --o;  // the '/' that ends the previous segment
      while (o > base && out[o - 1] != '/') --o;
    } else {
      std::memcpy(out.data() + o, seg.data(), seg.size());
      o += seg.size();
      if (!last) out[o++] = '/';
    }
    if (last) break;
    pos = slash + 1;
  }
  return o;
}

Result<void> normalize_path(std::string_view in, std::string& out) {
  std::string buf(in.size(), '\0');
  auto n = normalize_path(in, std::span<char>(buf));
  if (!n) return fail(n.error());
  buf.resize(*n);
  out = std::move(buf);
  return {};
}

Result<std::string> QueryParam::key() const {
  std::string s;
  if (auto r = percent_decode(key_, s, {.plus_as_space = plus_}); !r) return fail(r.error());
  return s;
}

Result<std::string> QueryParam::value() const {
  std::string s;
  if (auto r = percent_decode(value_, s, {.plus_as_space = plus_}); !r) return fail(r.error());
  return s;
}

void QueryParams::iterator::advance() noexcept {
  while (!rest_.empty()) {
    const std::size_t amp = rest_.find('&');
    const std::string_view pair = rest_.substr(0, amp);
    rest_.remove_prefix(amp == std::string_view::npos ? rest_.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      current_ = QueryParam(pair, pair.substr(pair.size()), false, plus_);
    } else {
      current_ = QueryParam(pair.substr(0, eq), pair.substr(eq + 1), true, plus_);
    }
    return;
  }
  current_ = {};
  done_ = true;
}

namespace {

// Whether `raw` percent-decodes to exactly `plain`, without allocating.
Result<bool> decoded_equals(std::string_view raw, std::string_view plain, bool plus) noexcept {
  std::size_t j = 0;
  bool equal = true;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (raw.size() - i < 3) return uri_fail(UriErrc::invalid_percent_encoding);
      const int hi = hex_value(raw[i + 1]);
      const int lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return uri_fail(UriErrc::invalid_percent_encoding);
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    }
    if (j >= plain.size() || plain[j] != c) equal = false;
    ++j;
  }
  return equal && j == plain.size();
}

}  // namespace

Result<std::optional<std::string>> QueryParams::get(std::string_view key) const {
  for (const QueryParam& p : *this) {
    auto eq = decoded_equals(p.raw_key(), key, plus_);
    if (!eq) return fail(eq.error());
    if (!*eq) continue;
    auto v = p.value();
    if (!v) return fail(v.error());
    return std::optional<std::string>(std::move(*v));
  }
  return std::optional<std::string>();
}

std::optional<std::string_view> QueryParams::get_raw(std::string_view key) const noexcept {
  for (const QueryParam& p : *this) {
    if (p.raw_key() == key) return p.raw_value();
  }
  return std::nullopt;
}

}  // namespace strata::http
