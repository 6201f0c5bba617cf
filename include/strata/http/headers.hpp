// HTTP header fields (RFC 9110 §5): Headers, a case-insensitive, multi-valued, order-preserving
// field list that can borrow its bytes or own them, plus field-value helpers and the names of
// well-known fields.
//
//   strata::http::Headers h;
//   h.append_view("Host", "example.com");               // borrowed: caller keeps bytes alive
//   h.append(http::header::content_type, "text/html");   // copied into h's arena
//   h.set("cache-control", "no-store");                  // replaces every cache-control
//   h.get("HOST");                                       // optional<string_view> "example.com"
//   for (auto v : h.get_all("accept")) use(v);           // every value, in order
//   if (http::has_token(h.get("connection").value_or(""), "close")) log("closing");
//   h.clear();                                           // keeps capacity for the next request
//
// Ownership. append_view() stores the two views as given: the caller guarantees that their
// bytes outlive the entry (until clear(), remove() of the field, or destruction) — the HTTP/1.1
// parser uses it to point into the connection's read buffer. append()/set()/insert() copy name
// and value into an arena owned by the Headers (chunks that never move, reused after clear();
// no std::string per entry). make_owned() copies every borrowed entry into the arena, and a copy
// of a Headers owns all its bytes, so either can outlive the buffer the views pointed into.
// Bytes of removed or replaced owned entries are reclaimed only by clear().
//
// Validation. Every mutator checks its input: a name must be a token (RFC 9110 §5.1), a value
// must not contain CR, LF or NUL (HTAB, SP and obs-text bytes 0x80-0xFF are allowed); otherwise
// it returns HeaderErrc::invalid_name / invalid_value and changes nothing, so header injection
// through Headers is impossible. Values are stored as given (no OWS trimming).
//
// Lookups compare names ASCII-case-insensitively, length first; they and iteration allocate
// nothing. A Headers is not thread-safe; distinct ones are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "strata/http/detail/advancing_iterator.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/frame_allocator.hpp"

namespace strata::http {

// Why a header field was rejected.
enum class HeaderErrc {
  invalid_name = 1,  // empty, or a byte outside the token characters
  invalid_value,     // contains CR, LF or NUL
};

}  // namespace strata::http

template <>
struct std::is_error_code_enum<strata::http::HeaderErrc> : std::true_type {};

namespace strata::http {

// Category "strata.http.header"; its codes compare equal to std::errc::invalid_argument.
const std::error_category& header_category() noexcept;
inline std::error_code make_error_code(HeaderErrc e) noexcept {
  return {static_cast<int>(e), header_category()};
}

// tchar (RFC 9110 §5.6.2): the bytes of a token.
constexpr bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}
// A non-empty token.
bool is_valid_name(std::string_view name) noexcept;
// No CR, LF or NUL. Stricter rules (no other CTLs) belong to the parser that reads the wire.
bool is_valid_value(std::string_view value) noexcept;
// ASCII case-insensitive equality (no locale).
bool ascii_iequals(std::string_view a, std::string_view b) noexcept;

// One field: name and value as stored.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// A case-insensitive, multi-valued, order-preserving list of header fields.
class Headers {
  // The entry list comes from the per-thread recycling caches: a handler's fresh Response
  // (whose Headers dies after the write) costs no malloc in steady state.
  using Entries = std::vector<HeaderField, RecyclingAllocator<HeaderField>>;

 public:
  using const_iterator = Entries::const_iterator;

  // Iterates the values of one field name, in order; views valid as for get().
  class ValueRange {
   public:
    class iterator : public detail::AdvancingIterator<iterator, std::string_view> {
     public:
      iterator() = default;
      std::string_view operator*() const noexcept { return it_->value; }
      friend bool operator==(const iterator& a, const iterator& b) noexcept {
        return a.it_ == b.it_;
      }

     private:
      friend class ValueRange;
      friend detail::AdvancingIterator<iterator, std::string_view>;
      iterator(const_iterator it, const_iterator end, std::string_view name) noexcept
          : it_(it), end_(end), name_(name) {
        skip();
      }
      void advance() noexcept {
        ++it_;
        skip();
      }
      void skip() noexcept {
        while (it_ != end_ && !ascii_iequals(it_->name, name_)) ++it_;
      }
      const_iterator it_{}, end_{};
      std::string_view name_;
    };

    iterator begin() const noexcept { return {begin_, end_, name_}; }
    iterator end() const noexcept { return {end_, end_, name_}; }
    bool empty() const noexcept { return begin() == end(); }

   private:
    friend class Headers;
    ValueRange(const_iterator b, const_iterator e, std::string_view n) noexcept
        : begin_(b), end_(e), name_(n) {}
    const_iterator begin_, end_;
    std::string_view name_;
  };

  Headers() noexcept;
  ~Headers();
  Headers(Headers&&) noexcept;
  Headers& operator=(Headers&&) noexcept;
  // A copy owns every byte (borrowed entries are copied too).
  Headers(const Headers& other);
  Headers& operator=(const Headers& other);

  // Adds a field, borrowing both views (lifetime: see the top of this file).
  Result<void> append_view(std::string_view name, std::string_view value);
  // Adds a field without checking it: only for parsers that have already validated the name as
  // a token and the value as free of CR, LF and NUL (asserted in debug builds).
  void append_view_unchecked(std::string_view name, std::string_view value);
  // Adds a field, copying both into the arena.
  Result<void> append(std::string_view name, std::string_view value);
  // Removes every field of this name, then appends one (copied), at the end.
  Result<void> set(std::string_view name, std::string_view value);
  // Appends (copied) only if no field of this name exists; returns whether it did.
  Result<bool> insert(std::string_view name, std::string_view value);
  // Removes every field of this name; returns how many.
  std::size_t remove(std::string_view name) noexcept;

  // The first value of this name.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  ValueRange get_all(std::string_view name) const noexcept {
    return {entries_.begin(), entries_.end(), name};
  }
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  // How many fields of this name.
  std::size_t count(std::string_view name) const noexcept;

  // Number of fields (a name with two values counts twice).
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }
  const HeaderField& operator[](std::size_t i) const noexcept { return entries_[i]; }

  // Removes every field; keeps the entry capacity and the arena's chunks for reuse.
  void clear() noexcept;
  void reserve(std::size_t fields) { entries_.reserve(fields); }
  // Copies every borrowed entry into the arena: afterwards no entry refers to outside bytes.
  void make_owned();
  // Bytes held by the arena (capacity, not use): for memory accounting.
  std::size_t arena_capacity() const noexcept;

 private:
  class Arena;
  std::string_view copy(std::string_view s);
  bool owns(std::string_view s) const noexcept;

  Entries entries_;
  std::unique_ptr<Arena> arena_;  // created on the first owned append
};

// The elements of a comma-separated list (RFC 9110 §5.6.1), OWS trimmed, empty elements skipped;
// commas inside a quoted-string do not split. A view into `value`; allocates nothing.
class ListElements {
 public:
  class iterator : public detail::AdvancingIterator<iterator, std::string_view> {
   public:
    iterator() = default;
    std::string_view operator*() const noexcept { return current_; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.rest_.data() == b.rest_.data() && a.done_ == b.done_;
    }

   private:
    friend class ListElements;
    friend detail::AdvancingIterator<iterator, std::string_view>;
    explicit iterator(std::string_view v) noexcept : rest_(v) { advance(); }
    iterator(std::string_view v, bool done) noexcept : rest_(v), done_(done) {}
    void advance() noexcept;

    std::string_view rest_;
    std::string_view current_;
    bool done_ = false;
  };

  explicit ListElements(std::string_view value) noexcept : value_(value) {}
  iterator begin() const noexcept { return iterator(value_); }
  iterator end() const noexcept { return {value_.substr(value_.size()), true}; }

 private:
  std::string_view value_;
};

inline ListElements split_list(std::string_view value) noexcept {
  return ListElements(value);
}
// Whether one element of the list equals `token`, ASCII-case-insensitively ("close",
// "chunked"). Whole elements only: "gzip;q=0" does not contain the token "gzip".
bool has_token(std::string_view value, std::string_view token) noexcept;

// Well-known field names, lowercase (valid in HTTP/1.1 and required in HTTP/2 and HTTP/3).
namespace header {
inline constexpr std::string_view accept = "accept";
inline constexpr std::string_view accept_charset = "accept-charset";
inline constexpr std::string_view accept_encoding = "accept-encoding";
inline constexpr std::string_view accept_language = "accept-language";
inline constexpr std::string_view accept_ranges = "accept-ranges";
inline constexpr std::string_view access_control_allow_credentials =
    "access-control-allow-credentials";
inline constexpr std::string_view access_control_allow_headers = "access-control-allow-headers";
inline constexpr std::string_view access_control_allow_methods = "access-control-allow-methods";
inline constexpr std::string_view access_control_allow_origin = "access-control-allow-origin";
inline constexpr std::string_view access_control_expose_headers = "access-control-expose-headers";
inline constexpr std::string_view access_control_max_age = "access-control-max-age";
inline constexpr std::string_view access_control_request_headers = "access-control-request-headers";
inline constexpr std::string_view access_control_request_method = "access-control-request-method";
inline constexpr std::string_view age = "age";
inline constexpr std::string_view allow = "allow";
inline constexpr std::string_view alt_svc = "alt-svc";
inline constexpr std::string_view authorization = "authorization";
inline constexpr std::string_view cache_control = "cache-control";
inline constexpr std::string_view connection = "connection";
inline constexpr std::string_view content_disposition = "content-disposition";
inline constexpr std::string_view content_encoding = "content-encoding";
inline constexpr std::string_view content_language = "content-language";
inline constexpr std::string_view content_length = "content-length";
inline constexpr std::string_view content_location = "content-location";
inline constexpr std::string_view content_range = "content-range";
inline constexpr std::string_view content_security_policy = "content-security-policy";
inline constexpr std::string_view content_type = "content-type";
inline constexpr std::string_view cookie = "cookie";
inline constexpr std::string_view date = "date";
inline constexpr std::string_view etag = "etag";
inline constexpr std::string_view expect = "expect";
inline constexpr std::string_view expires = "expires";
inline constexpr std::string_view forwarded = "forwarded";
inline constexpr std::string_view host = "host";
inline constexpr std::string_view if_match = "if-match";
inline constexpr std::string_view if_modified_since = "if-modified-since";
inline constexpr std::string_view if_none_match = "if-none-match";
inline constexpr std::string_view if_range = "if-range";
inline constexpr std::string_view if_unmodified_since = "if-unmodified-since";
inline constexpr std::string_view keep_alive = "keep-alive";
inline constexpr std::string_view last_modified = "last-modified";
inline constexpr std::string_view link = "link";
inline constexpr std::string_view location = "location";
inline constexpr std::string_view origin = "origin";
inline constexpr std::string_view proxy_authenticate = "proxy-authenticate";
inline constexpr std::string_view proxy_authorization = "proxy-authorization";
inline constexpr std::string_view range = "range";
inline constexpr std::string_view referer = "referer";
inline constexpr std::string_view retry_after = "retry-after";
inline constexpr std::string_view sec_websocket_accept = "sec-websocket-accept";
inline constexpr std::string_view sec_websocket_extensions = "sec-websocket-extensions";
inline constexpr std::string_view sec_websocket_key = "sec-websocket-key";
inline constexpr std::string_view sec_websocket_protocol = "sec-websocket-protocol";
inline constexpr std::string_view sec_websocket_version = "sec-websocket-version";
inline constexpr std::string_view server = "server";
inline constexpr std::string_view set_cookie = "set-cookie";
inline constexpr std::string_view strict_transport_security = "strict-transport-security";
inline constexpr std::string_view te = "te";
inline constexpr std::string_view trailer = "trailer";
inline constexpr std::string_view transfer_encoding = "transfer-encoding";
inline constexpr std::string_view upgrade = "upgrade";
inline constexpr std::string_view user_agent = "user-agent";
inline constexpr std::string_view vary = "vary";
inline constexpr std::string_view via = "via";
inline constexpr std::string_view www_authenticate = "www-authenticate";
inline constexpr std::string_view x_content_type_options = "x-content-type-options";
inline constexpr std::string_view x_forwarded_for = "x-forwarded-for";
inline constexpr std::string_view x_forwarded_host = "x-forwarded-host";
inline constexpr std::string_view x_forwarded_proto = "x-forwarded-proto";
inline constexpr std::string_view x_frame_options = "x-frame-options";
inline constexpr std::string_view x_request_id = "x-request-id";
}  // namespace header

}  // namespace strata::http
