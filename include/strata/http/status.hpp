// HTTP status codes (RFC 9110 §15) with the IANA registry's reason phrases, and the pre-built
// HTTP/1.1 status lines the serializer writes.
//
//   using strata::http::StatusCode;
//   StatusCode s = StatusCode::not_found;
//   s.as_u16();                      // 404
//   s.reason();                      // "Not Found"
//   s.is_client_error();             // true
//   strata::http::status_line(s);    // "HTTP/1.1 404 Not Found\r\n" (static storage)
//   auto t = StatusCode::from_u16(999);        // Result<StatusCode> for untrusted numbers
//
// A StatusCode is any three-digit code 100-999 (RFC 9110 §15: recipients must accept codes they
// do not know and treat them as the x00 code of their class). Constructing one from a number out
// of that range is a programmer error (std::invalid_argument; a compile error in a constant
// expression); use from_u16() or parse() for numbers from the network.
//
// reason() is "" for a code that has no registered reason phrase: unregistered codes, and 306
// and 418, which the registry lists only as "(Unused)". An empty reason phrase is valid on the
// wire (RFC 9112 §4), so status_line() of such a code is "HTTP/1.1 599 \r\n".
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string_view>

#include "strata/rt/error.hpp"

namespace strata::http {

// A three-digit HTTP status code, 100-999.
class StatusCode {
 public:
  constexpr explicit StatusCode(std::uint16_t code) : code_(code) {
    if (code < 100 || code > 999) throw std::invalid_argument("StatusCode out of range 100-999");
  }

  // Fails with Errc::invalid_input outside 100-999.
  static constexpr Result<StatusCode> from_u16(std::uint16_t code) noexcept {
    if (code < 100 || code > 999) return fail(Errc::invalid_input, "status code");
    return StatusCode(code, Unchecked{});
  }
  // Exactly three ASCII digits, the first 1-9 (the status-code of RFC 9112 §4).
  static constexpr Result<StatusCode> parse(std::string_view text) noexcept {
    if (text.size() != 3 || text[0] < '1' || text[0] > '9' || text[1] < '0' || text[1] > '9' ||
        text[2] < '0' || text[2] > '9') {
      return fail(Errc::invalid_input, "status code");
    }
    return StatusCode(
        static_cast<std::uint16_t>((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0')),
        Unchecked{});
  }

  constexpr std::uint16_t as_u16() const noexcept { return code_; }
  // The registered reason phrase, or "" (see the top of this file).
  std::string_view reason() const noexcept;
  // True for the codes with a reason phrase in the IANA registry.
  bool is_registered() const noexcept { return !reason().empty(); }

  constexpr bool is_informational() const noexcept { return code_ < 200; }
  constexpr bool is_success() const noexcept { return code_ >= 200 && code_ < 300; }
  constexpr bool is_redirection() const noexcept { return code_ >= 300 && code_ < 400; }
  constexpr bool is_client_error() const noexcept { return code_ >= 400 && code_ < 500; }
  constexpr bool is_server_error() const noexcept { return code_ >= 500 && code_ < 600; }

  friend constexpr bool operator==(StatusCode, StatusCode) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(StatusCode, StatusCode) noexcept = default;

  // 1xx
  static const StatusCode continue_, switching_protocols, processing, early_hints;
  // 2xx
  static const StatusCode ok, created, accepted, non_authoritative_information, no_content,
      reset_content, partial_content, multi_status, already_reported, im_used;
  // 3xx
  static const StatusCode multiple_choices, moved_permanently, found, see_other, not_modified,
      use_proxy, temporary_redirect, permanent_redirect;
  // 4xx
  static const StatusCode bad_request, unauthorized, payment_required, forbidden, not_found,
      method_not_allowed, not_acceptable, proxy_authentication_required, request_timeout, conflict,
      gone, length_required, precondition_failed, content_too_large, uri_too_long,
      unsupported_media_type, range_not_satisfiable, expectation_failed, misdirected_request,
      unprocessable_content, locked, failed_dependency, too_early, upgrade_required,
      precondition_required, too_many_requests, request_header_fields_too_large,
      unavailable_for_legal_reasons;
  // 5xx
  static const StatusCode internal_server_error, not_implemented, bad_gateway, service_unavailable,
      gateway_timeout, http_version_not_supported, variant_also_negotiates, insufficient_storage,
      loop_detected, not_extended, network_authentication_required;

 private:
  struct Unchecked {};
  constexpr StatusCode(std::uint16_t code, Unchecked) noexcept : code_(code) {}

  std::uint16_t code_;
};

// "HTTP/1.1 <code> <reason>\r\n" for any StatusCode, from a table built at compile time: no
// allocation, no formatting per call; the view points to static storage.
std::string_view status_line(StatusCode code) noexcept;

inline constexpr StatusCode StatusCode::continue_{100};
inline constexpr StatusCode StatusCode::switching_protocols{101};
inline constexpr StatusCode StatusCode::processing{102};
inline constexpr StatusCode StatusCode::early_hints{103};
inline constexpr StatusCode StatusCode::ok{200};
inline constexpr StatusCode StatusCode::created{201};
inline constexpr StatusCode StatusCode::accepted{202};
inline constexpr StatusCode StatusCode::non_authoritative_information{203};
inline constexpr StatusCode StatusCode::no_content{204};
inline constexpr StatusCode StatusCode::reset_content{205};
inline constexpr StatusCode StatusCode::partial_content{206};
inline constexpr StatusCode StatusCode::multi_status{207};
inline constexpr StatusCode StatusCode::already_reported{208};
inline constexpr StatusCode StatusCode::im_used{226};
inline constexpr StatusCode StatusCode::multiple_choices{300};
inline constexpr StatusCode StatusCode::moved_permanently{301};
inline constexpr StatusCode StatusCode::found{302};
inline constexpr StatusCode StatusCode::see_other{303};
inline constexpr StatusCode StatusCode::not_modified{304};
inline constexpr StatusCode StatusCode::use_proxy{305};
inline constexpr StatusCode StatusCode::temporary_redirect{307};
inline constexpr StatusCode StatusCode::permanent_redirect{308};
inline constexpr StatusCode StatusCode::bad_request{400};
inline constexpr StatusCode StatusCode::unauthorized{401};
inline constexpr StatusCode StatusCode::payment_required{402};
inline constexpr StatusCode StatusCode::forbidden{403};
inline constexpr StatusCode StatusCode::not_found{404};
inline constexpr StatusCode StatusCode::method_not_allowed{405};
inline constexpr StatusCode StatusCode::not_acceptable{406};
inline constexpr StatusCode StatusCode::proxy_authentication_required{407};
inline constexpr StatusCode StatusCode::request_timeout{408};
inline constexpr StatusCode StatusCode::conflict{409};
inline constexpr StatusCode StatusCode::gone{410};
inline constexpr StatusCode StatusCode::length_required{411};
inline constexpr StatusCode StatusCode::precondition_failed{412};
inline constexpr StatusCode StatusCode::content_too_large{413};
inline constexpr StatusCode StatusCode::uri_too_long{414};
inline constexpr StatusCode StatusCode::unsupported_media_type{415};
inline constexpr StatusCode StatusCode::range_not_satisfiable{416};
inline constexpr StatusCode StatusCode::expectation_failed{417};
inline constexpr StatusCode StatusCode::misdirected_request{421};
inline constexpr StatusCode StatusCode::unprocessable_content{422};
inline constexpr StatusCode StatusCode::locked{423};
inline constexpr StatusCode StatusCode::failed_dependency{424};
inline constexpr StatusCode StatusCode::too_early{425};
inline constexpr StatusCode StatusCode::upgrade_required{426};
inline constexpr StatusCode StatusCode::precondition_required{428};
inline constexpr StatusCode StatusCode::too_many_requests{429};
inline constexpr StatusCode StatusCode::request_header_fields_too_large{431};
inline constexpr StatusCode StatusCode::unavailable_for_legal_reasons{451};
inline constexpr StatusCode StatusCode::internal_server_error{500};
inline constexpr StatusCode StatusCode::not_implemented{501};
inline constexpr StatusCode StatusCode::bad_gateway{502};
inline constexpr StatusCode StatusCode::service_unavailable{503};
inline constexpr StatusCode StatusCode::gateway_timeout{504};
inline constexpr StatusCode StatusCode::http_version_not_supported{505};
inline constexpr StatusCode StatusCode::variant_also_negotiates{506};
inline constexpr StatusCode StatusCode::insufficient_storage{507};
inline constexpr StatusCode StatusCode::loop_detected{508};
inline constexpr StatusCode StatusCode::not_extended{510};
inline constexpr StatusCode StatusCode::network_authentication_required{511};

}  // namespace strata::http

template <>
struct std::hash<strata::http::StatusCode> {
  std::size_t operator()(strata::http::StatusCode s) const noexcept { return s.as_u16(); }
};
