// URIs and request targets (RFC 3986, RFC 9110 §4, RFC 9112 §3.2): a strict zero-copy parser,
// percent-encoding, dot-segment removal and query-string iteration.
//
//   using namespace strata::http;
//   auto t = Uri::parse_target("/search?q=a%20b&page=2", Method::get);   // Result<Uri>
//   t->path();    // "/search"      t->query();  // "q=a%20b&page=2"     (views into the input)
//   for (const QueryParam& p : QueryParams(t->query())) { p.raw_key(); p.value(); }
//   QueryParams(t->query()).get("q");                 // Result<optional<string>> "a b"
//
//   auto u = Uri::parse("https://user@[::1]:8443/a/b?x#frag");   // a full URI, for clients
//   u->host();  // "[::1]"   u->port();  // 8443   u->has_userinfo();  // true
//
//   std::string p;                                    // static-file server: decode, then
//   percent_decode(t->path(), p, {.reject_encoded_slash = true, .reject_nul = true});
//   std::string safe;
//   normalize_path(p, safe);                          // "/../etc" -> UriErrc::path_escapes_root
//
// Request targets come in four forms (RFC 9112 §3.2); parse_target() picks the one the method
// allows: CONNECT only authority-form (`host:port`), `*` only with OPTIONS, otherwise
// origin-form (`/path?query`) or absolute-form (`http://host/path?query`). A request target never
// has a fragment, and its absolute-form may not carry userinfo (RFC 9110 §4.2.4). Uri::parse()
// reads any absolute URI with an optional fragment and keeps userinfo (has_userinfo() marks it).
// "http" and "https" URIs must have a non-empty host (RFC 9110 §4.2.1).
//
// Strictness: every byte must belong to the RFC 3986 grammar of its component (no spaces, no
// raw non-ASCII, no `\ ^ | { } " < >`), every `%` must be followed by two hex digits, a port is
// 1-5 digits up to 65535 (an empty port after ':' is rejected), an IP literal must be IPv6
// (IPvFuture and zone ids are rejected), and the whole text is at most max_length bytes. Errors
// are UriErrc codes (category "strata.http.uri", equal to std::errc::invalid_argument).
//
// Ownership: a Uri is views into the parsed text, which the caller keeps alive; parse_owned()
// and make_owned() give a Uri that holds its own copy of the text. Parsing, the accessors and
// QueryParams iteration allocate nothing (only an error's context may).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "strata/http/detail/advancing_iterator.hpp"
#include "strata/http/method.hpp"
#include "strata/rt/error.hpp"

namespace strata::http {

// Why a URI or a percent-encoded string was rejected.
enum class UriErrc {
  empty = 1,                 // nothing to parse
  too_long,                  // longer than Uri::max_length
  invalid_char,              // a byte outside the grammar of its component
  invalid_percent_encoding,  // `%` not followed by two hex digits
  invalid_scheme,            // missing or malformed scheme
  invalid_host,              // empty host where one is required, bad IP literal, bad reg-name
  invalid_port,              // empty, non-digit or above 65535
  userinfo_not_allowed,      // userinfo in a request target
  fragment_not_allowed,      // `#` in a request target
  form_not_allowed,          // the request-target form does not suit the method
  encoded_slash,             // percent_decode(): %2F with reject_encoded_slash
  encoded_nul,               // percent_decode(): a NUL byte with reject_nul
  path_escapes_root,         // normalize_path(): `..` above the root
  buffer_too_small,          // the output span cannot hold the result
};

}  // namespace strata::http

template <>
struct std::is_error_code_enum<strata::http::UriErrc> : std::true_type {};

namespace strata::http {

const std::error_category& uri_category() noexcept;
inline std::error_code make_error_code(UriErrc e) noexcept {
  return {static_cast<int>(e), uri_category()};
}

// The four request-target forms of RFC 9112 §3.2; `absolute` also for Uri::parse().
enum class UriForm : std::uint8_t { origin, absolute, authority, asterisk };
// What the host of a Uri is.
enum class HostKind : std::uint8_t { none, reg_name, ipv4, ipv6 };

// A parsed URI or request target: views into its text (borrowed or owned, see above).
class Uri {
 public:
  static constexpr std::size_t max_length = 65535;

  // Origin-form "/".
  Uri() noexcept;

  // A request target for `method` (see the top of this file for which form is allowed).
  static Result<Uri> parse_target(std::string_view target, const Method& method) noexcept;
  // `/path[?query]`: absolute-path followed by an optional query. The hot path of a server.
  static Result<Uri> parse_origin_form(std::string_view target) noexcept;
  // An absolute-URI without fragment and without userinfo.
  static Result<Uri> parse_absolute_form(std::string_view target) noexcept;
  // `host:port`, both required (CONNECT).
  static Result<Uri> parse_authority_form(std::string_view target) noexcept;
  // Exactly `*` (server-wide OPTIONS).
  static Result<Uri> parse_asterisk_form(std::string_view target) noexcept;
  // An absolute URI with optional fragment; userinfo is kept (see has_userinfo()).
  static Result<Uri> parse(std::string_view uri) noexcept;
  // parse(), keeping `uri` inside the result.
  static Result<Uri> parse_owned(std::string uri);

  // For an HTTP/1 parser that validates the target while it scans the request line, so that a
  // server need not parse it again (strata/http/h1/parser.hpp, RequestHead::origin_form):
  // the length of the origin-form target (parse_origin_form()'s grammar and limit) at the start
  // of `line`, ended by SP or by the end of `line`; 0 when `line` does not start with one.
  static std::size_t origin_form_length(std::string_view line) noexcept;
  // Whether parse_target() accepts a valid origin-form target for `method` (all but CONNECT).
  static bool allows_origin_form(const Method& method) noexcept;
  // Whether `value` is a valid Host field value: uri-host [":" port], or empty (RFC 9110 §7.2,
  // RFC 9112 §3.2). "a b", "[::1", "x:99999" and "u@x" are not.
  static bool is_valid_host_field(std::string_view value) noexcept;

  // Copies the text into this Uri if it was borrowed; the views then point into it.
  void make_owned();
  bool is_owned() const noexcept { return owned_flag_; }

  UriForm form() const noexcept { return form_; }
  // The whole text as parsed.
  std::string_view as_str() const noexcept { return text(); }
  std::string_view scheme() const noexcept { return part(scheme_); }
  bool has_authority() const noexcept { return has_authority_; }
  // userinfo@host:port, without "//".
  std::string_view authority() const noexcept { return part(authority_); }
  bool has_userinfo() const noexcept { return has_userinfo_; }
  std::string_view userinfo() const noexcept { return part(userinfo_); }
  // As written, brackets included for IPv6 ("[::1]"); hosts are case-insensitive.
  std::string_view host() const noexcept { return part(host_); }
  HostKind host_kind() const noexcept { return host_kind_; }
  std::optional<std::uint16_t> port() const noexcept {
    return has_port_ ? std::optional<std::uint16_t>(port_) : std::nullopt;
  }
  std::string_view port_str() const noexcept { return part(port_str_); }
  // Percent-encoded, as written; "" for authority- and asterisk-form ("*" is as_str()).
  std::string_view path() const noexcept { return part(path_); }
  bool has_query() const noexcept { return has_query_; }
  // Without the '?'.
  std::string_view query() const noexcept { return part(query_); }
  bool has_fragment() const noexcept { return has_fragment_; }
  // Without the '#'.
  std::string_view fragment() const noexcept { return part(fragment_); }
  // path "?" query (query only when present): what an origin-form request line carries.
  std::string_view path_and_query() const noexcept;

  // The text rebuilt from the components; equals as_str() for every parsed Uri.
  std::string to_string() const;

  // Component-wise equality of the texts (no normalisation: "HTTP://a" != "http://a").
  friend bool operator==(const Uri& a, const Uri& b) noexcept;

 private:
  struct Part {
    std::uint16_t pos = 0;
    std::uint16_t len = 0;
  };
  friend struct UriParser;

  std::string_view text() const noexcept { return owned_flag_ ? std::string_view(owned_) : src_; }
  std::string_view part(Part p) const noexcept { return text().substr(p.pos, p.len); }

  std::string_view src_;
  std::string owned_;
  Part scheme_, authority_, userinfo_, host_, port_str_, path_, query_, fragment_;
  std::uint16_t port_ = 0;
  UriForm form_ = UriForm::origin;
  HostKind host_kind_ = HostKind::none;
  bool owned_flag_ = false;
  bool has_authority_ = false;
  bool has_userinfo_ = false;
  bool has_port_ = false;
  bool has_query_ = false;
  bool has_fragment_ = false;
};

// How percent_decode() treats what it decodes.
struct DecodeOptions {
  bool plus_as_space = false;         // '+' -> ' ' (application/x-www-form-urlencoded)
  bool reject_encoded_slash = false;  // %2F is an error (a path decoded as one file name)
  bool reject_nul = false;            // a NUL byte (raw or %00) is an error
};

// Decodes %XX escapes into `out`; returns the decoded length. `out` needs at most in.size()
// bytes. Errors: invalid_percent_encoding, encoded_slash, encoded_nul, buffer_too_small.
Result<std::size_t> percent_decode(std::string_view in, std::span<char> out,
                                   DecodeOptions opts = {}) noexcept;
// The same, appending to `out` (reuse its capacity to avoid allocating); on error `out` is
// unchanged.
Result<void> percent_decode(std::string_view in, std::string& out, DecodeOptions opts = {});

// Which bytes percent_encode() leaves as they are; every other byte becomes %XX (upper case).
enum class EncodeSet : std::uint8_t {
  unreserved,    // ALPHA DIGIT - . _ ~ : safe anywhere (query keys and values, path segments)
  path_segment,  // pchar: unreserved, sub-delims, ':' and '@'
  path,          // pchar and '/'
  form,          // unreserved, with ' ' -> '+' (application/x-www-form-urlencoded)
};
// Appends the encoding of `in` to `out`.
void percent_encode(std::string_view in, std::string& out, EncodeSet set = EncodeSet::unreserved);

// RFC 3986 §5.2.4 remove_dot_segments, except that a ".." above the root is an error
// (path_escapes_root) rather than dropped. Writes at most in.size() bytes; returns the length.
// Works on the text as given: to guard a file system, percent-decode first (with
// reject_encoded_slash and reject_nul) so that "%2e%2e" cannot hide a "..".
Result<std::size_t> normalize_path(std::string_view in, std::span<char> out) noexcept;
// The same, replacing the contents of `out`.
Result<void> normalize_path(std::string_view in, std::string& out);

// One `key=value` pair of a query: raw (still encoded) views, decoded on demand.
class QueryParam {
 public:
  QueryParam() = default;
  QueryParam(std::string_view key, std::string_view value, bool has_value,
             bool plus_as_space) noexcept
      : key_(key), value_(value), has_value_(has_value), plus_(plus_as_space) {}

  std::string_view raw_key() const noexcept { return key_; }
  std::string_view raw_value() const noexcept { return value_; }
  // False for a bare `key` (no '='); its value is "".
  bool has_value() const noexcept { return has_value_; }
  Result<std::string> key() const;
  Result<std::string> value() const;

 private:
  std::string_view key_, value_;
  bool has_value_ = false;
  bool plus_ = false;
};

// Iterates the '&'-separated pairs of a query (`a=1&b=&c`), in order, skipping empty pairs.
// Views into the query; iteration allocates nothing.
class QueryParams {
 public:
  class iterator : public detail::AdvancingIterator<iterator, QueryParam, const QueryParam&> {
   public:
    iterator() = default;
    const QueryParam& operator*() const noexcept { return current_; }
    const QueryParam* operator->() const noexcept { return &current_; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.rest_.data() == b.rest_.data() && a.done_ == b.done_;
    }

   private:
    friend class QueryParams;
    friend detail::AdvancingIterator<iterator, QueryParam, const QueryParam&>;
    iterator(std::string_view q, bool plus) noexcept : rest_(q), plus_(plus) { advance(); }
    iterator(std::string_view end, bool plus, bool done) noexcept
        : rest_(end), plus_(plus), done_(done) {}
    void advance() noexcept;

    std::string_view rest_;
    QueryParam current_;
    bool plus_ = false;
    bool done_ = false;
  };

  // `plus_as_space`: decode '+' as ' ' (HTML forms).
  explicit QueryParams(std::string_view query, bool plus_as_space = false) noexcept
      : query_(query), plus_(plus_as_space) {}

  iterator begin() const noexcept { return {query_, plus_}; }
  iterator end() const noexcept { return {query_.substr(query_.size()), plus_, true}; }

  // The decoded value of the first pair whose decoded key equals `key`; nullopt if none, an
  // error if a pair up to and including the match is malformed.
  Result<std::optional<std::string>> get(std::string_view key) const;
  // The raw value of the first pair whose raw key equals `key` byte for byte: no decoding, no
  // allocation.
  std::optional<std::string_view> get_raw(std::string_view key) const noexcept;

 private:
  std::string_view query_;
  bool plus_;
};

}  // namespace strata::http
