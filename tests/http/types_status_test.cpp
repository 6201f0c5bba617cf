// StatusCode: range checks, the IANA registry's reason phrases, classes and the status lines.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "strata/http/status.hpp"

namespace strata::http {
namespace {

TEST(HttpStatus, named_constants_have_their_codes_and_reasons) {
  EXPECT_EQ(StatusCode::ok.as_u16(), 200);
  EXPECT_EQ(StatusCode::ok.reason(), "OK");
  EXPECT_EQ(StatusCode::not_found.reason(), "Not Found");
  EXPECT_EQ(StatusCode::continue_.reason(), "Continue");
  EXPECT_EQ(StatusCode::early_hints.as_u16(), 103);
  EXPECT_EQ(StatusCode::early_hints.reason(), "Early Hints");
  EXPECT_EQ(StatusCode::content_too_large.reason(), "Content Too Large");          // RFC 9110
  EXPECT_EQ(StatusCode::unprocessable_content.reason(), "Unprocessable Content");  // RFC 9110
  EXPECT_EQ(StatusCode::misdirected_request.as_u16(), 421);
  EXPECT_EQ(StatusCode::too_early.as_u16(), 425);
  EXPECT_EQ(StatusCode::upgrade_required.as_u16(), 426);
  EXPECT_EQ(StatusCode::precondition_required.as_u16(), 428);
  EXPECT_EQ(StatusCode::too_many_requests.as_u16(), 429);
  EXPECT_EQ(StatusCode::request_header_fields_too_large.as_u16(), 431);
  EXPECT_EQ(StatusCode::unavailable_for_legal_reasons.reason(), "Unavailable For Legal Reasons");
  EXPECT_EQ(StatusCode::variant_also_negotiates.as_u16(), 506);
  EXPECT_EQ(StatusCode::insufficient_storage.as_u16(), 507);
  EXPECT_EQ(StatusCode::loop_detected.as_u16(), 508);
  EXPECT_EQ(StatusCode::not_extended.as_u16(), 510);
  EXPECT_EQ(StatusCode::network_authentication_required.reason(),
            "Network Authentication Required");
}

TEST(HttpStatus, registry_has_exactly_the_iana_codes) {
  const int registered[] = {100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208,
                            226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403,
                            404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416,
                            417, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501,
                            502, 503, 504, 505, 506, 507, 508, 510, 511};
  int count = 0;
  for (int c = 100; c <= 999; ++c) {
    const StatusCode s(static_cast<std::uint16_t>(c));
    if (s.is_registered()) ++count;
  }
  EXPECT_EQ(count, static_cast<int>(std::size(registered)));
  for (int c : registered) {
    EXPECT_TRUE(StatusCode(static_cast<std::uint16_t>(c)).is_registered()) << c;
  }
}

TEST(HttpStatus, unregistered_and_unused_codes_have_empty_reason) {
  for (std::uint16_t c : {299, 306, 418, 420, 499, 599, 600, 999}) {
    EXPECT_EQ(StatusCode(c).reason(), "") << c;
    EXPECT_FALSE(StatusCode(c).is_registered()) << c;
  }
}

TEST(HttpStatus, from_u16_and_parse_accept_only_three_digit_codes) {
  EXPECT_EQ(*StatusCode::from_u16(100), StatusCode::continue_);
  EXPECT_EQ(StatusCode::from_u16(999)->as_u16(), 999);
  for (std::uint16_t bad : {0, 1, 99, 1000, 65535}) {
    auto r = StatusCode::from_u16(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), Errc::invalid_input);
  }
  EXPECT_EQ(*StatusCode::parse("404"), StatusCode::not_found);
  for (const char* bad : {"", "40", "4040", "099", " 404", "4O4", "+40", "-40"}) {
    EXPECT_FALSE(StatusCode::parse(bad)) << bad;
  }
}

TEST(HttpStatus, out_of_range_construction_is_a_programmer_error) {
  EXPECT_THROW(StatusCode(99), std::invalid_argument);
  EXPECT_THROW(StatusCode(1000), std::invalid_argument);
  EXPECT_NO_THROW(StatusCode(150));
}

TEST(HttpStatus, classes_partition_by_first_digit) {
  EXPECT_TRUE(StatusCode::switching_protocols.is_informational());
  EXPECT_TRUE(StatusCode::no_content.is_success());
  EXPECT_TRUE(StatusCode::permanent_redirect.is_redirection());
  EXPECT_TRUE(StatusCode::gone.is_client_error());
  EXPECT_TRUE(StatusCode::bad_gateway.is_server_error());
  const StatusCode odd(777);
  EXPECT_FALSE(odd.is_informational() || odd.is_success() || odd.is_redirection() ||
               odd.is_client_error() || odd.is_server_error());
  for (int c = 100; c <= 999; ++c) {
    const StatusCode s(static_cast<std::uint16_t>(c));
    const int classes = s.is_informational() + s.is_success() + s.is_redirection() +
                        s.is_client_error() + s.is_server_error();
    EXPECT_EQ(classes, c < 600 ? 1 : 0) << c;
  }
}

TEST(HttpStatus, status_lines_are_prebuilt_for_every_code) {
  EXPECT_EQ(status_line(StatusCode::ok), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(status_line(StatusCode::not_found), "HTTP/1.1 404 Not Found\r\n");
  EXPECT_EQ(status_line(StatusCode::continue_), "HTTP/1.1 100 Continue\r\n");
  EXPECT_EQ(status_line(StatusCode(599)), "HTTP/1.1 599 \r\n");
  EXPECT_EQ(status_line(StatusCode(999)), "HTTP/1.1 999 \r\n");
  // Static storage: the same bytes every call.
  EXPECT_EQ(status_line(StatusCode::ok).data(), status_line(StatusCode::ok).data());
  for (int c = 100; c <= 999; ++c) {
    const StatusCode s(static_cast<std::uint16_t>(c));
    const std::string expected =
        "HTTP/1.1 " + std::to_string(c) + " " + std::string(s.reason()) + "\r\n";
    ASSERT_EQ(status_line(s), expected) << c;
  }
}

TEST(HttpStatus, orders_and_compares_by_number) {
  EXPECT_LT(StatusCode::ok, StatusCode::not_found);
  EXPECT_EQ(StatusCode(200), StatusCode::ok);
  static_assert(StatusCode::ok.as_u16() == 200);
}

}  // namespace
}  // namespace strata::http
