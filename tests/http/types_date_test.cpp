// HTTP-date: IMF-fixdate formatting (checked against gmtime_r/strftime in the C locale) and
// strict parsing of the three formats of RFC 9110 §5.6.7.
#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <string>

#include "strata/http/date.hpp"

namespace strata::http {
namespace {

std::string fmt(std::int64_t t) {
  char buf[http_date_len];
  format_http_date(t, buf);
  return {buf, http_date_len};
}

constexpr std::int64_t rfc_example = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::int64_t now_2026 = 1795000000;    // 2026-11-18

TEST(HttpDate, formats_the_rfc9110_example) {
  EXPECT_EQ(fmt(rfc_example), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(fmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(fmt(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(fmt(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(fmt(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");
  char buf[http_date_len];
  format_http_date(std::chrono::system_clock::time_point(std::chrono::seconds(rfc_example)), buf);
  EXPECT_EQ(std::string_view(buf, http_date_len), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, clamps_to_four_digit_years) {
  EXPECT_EQ(fmt(-62167219200), "Sat, 01 Jan 0000 00:00:00 GMT");
  EXPECT_EQ(fmt(INT64_MIN), "Sat, 01 Jan 0000 00:00:00 GMT");
  EXPECT_EQ(fmt(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(fmt(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDate, agrees_with_gmtime_and_round_trips) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> dist(-2208988800, 253402300799);  // 1900..9999
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t t = i < 10 ? rfc_example + i * 86399 : dist(rng);
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char expected[64];
    const std::size_t n =
        std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ASSERT_EQ(fmt(t), std::string(expected, n)) << t;
    auto back = parse_http_date(fmt(t), now_2026);
    ASSERT_TRUE(back) << fmt(t);
    ASSERT_EQ(*back, t);
  }
}

TEST(HttpDate, parses_all_three_formats) {
  // RFC 9110 §5.6.7: the same instant in the three formats.
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now_2026), rfc_example);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now_2026), rfc_example);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", now_2026), rfc_example);
  EXPECT_EQ(parse_http_date("Thu Jan 01 00:00:00 1970", now_2026), 0);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
}

TEST(HttpDate, rfc850_two_digit_years_use_the_fifty_year_rule) {
  // In 2026: "70" is 2070 (44 years ahead), "94" would be 2094 (> 50 years) so 1994.
  auto y2070 = parse_http_date("Wednesday, 01-Jan-70 00:00:00 GMT", now_2026);
  ASSERT_TRUE(y2070);
  EXPECT_EQ(fmt(*y2070), "Wed, 01 Jan 2070 00:00:00 GMT");
  auto y1994 = parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now_2026);
  ASSERT_TRUE(y1994);
  EXPECT_EQ(*y1994, rfc_example);
  // Seen from 1990, "70" is 1970.
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT", 631152000), 0);
}

TEST(HttpDate, accepts_a_leap_second_as_the_next_minute) {
  EXPECT_EQ(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT", now_2026), 1483228800);
}

TEST(HttpDate, rejects_malformed_dates) {
  for (const char* bad : {
           "",
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 gmt",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun,  06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 08:49:37 GMT ",
           " Sun, 06 Nov 1994 08:49:37 GMT",
           "Mon, 06 Nov 1994 08:49:37 GMT",  // wrong day name for the date
           "Sun, 31 Nov 1994 08:49:37 GMT",  // no 31 November
           "Thu, 29 Feb 2001 00:00:00 GMT",  // 2001 is not a leap year
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:00 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Sun, 06 Nov 1994 08-49-37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 Nov +994 08:49:37 GMT",
           "Sun; 06 Nov 1994 08:49:37 GMT",
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sunday, 06 Nov 94 08:49:37 GMT",
           "Sun, 06-Nov-94 08:49:37 GMT",
           "Funday, 06-Nov-94 08:49:37 GMT",
           "Sunday, 06-Nov-94 08:49:37 GMT ",
           "Sun Nov 6 08:49:37 1994",
           "Sun Nov  6 08:49:37 94",
           "Sun Nov 06 08:49:37 1994 ",
           "Sun Nov  x 08:49:37 1994",
           "Sun Nov   6 8:49:37 1994",
       }) {
    auto r = parse_http_date(bad, now_2026);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error(), Errc::invalid_input);
    }
  }
}

TEST(HttpDate, cache_reformats_only_when_the_second_changes) {
  DateCache cache;
  const std::string_view a = cache.get(rfc_example);
  EXPECT_EQ(a, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cache.get(rfc_example).data(), a.data());
  EXPECT_EQ(cache.get(rfc_example + 1), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_TRUE(parse_http_date(cache.now()));
}

}  // namespace
}  // namespace strata::http
