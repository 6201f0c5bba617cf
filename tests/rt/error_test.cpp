#include "strata/rt/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace strata {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(Errc::invalid_input, "parse_digit");
  return c - '0';
}

TEST(Error, ResultCarriesValueOrTypedError) {
  EXPECT_EQ(*parse_digit('7'), 7);
  auto bad = parse_digit('x');
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error() == Errc::invalid_input);
  EXPECT_EQ(bad.error().message(), "parse_digit: invalid input");
}

TEST(Error, FromErrnoKeepsSystemCode) {
  Error e = Error::from_errno(ECONNREFUSED, "connect");
  EXPECT_TRUE(e == std::errc::connection_refused);
  EXPECT_EQ(e.context(), "connect");
  EXPECT_NE(e.message().find("connect: "), std::string::npos);
}

TEST(Error, StrataCodesHaveMessages) {
  EXPECT_EQ(make_error_code(Errc::timed_out).message(), "operation timed out");
  EXPECT_EQ(std::error_code(Errc::cancelled).category().name(), std::string("strata"));
}

}  // namespace
}  // namespace strata
