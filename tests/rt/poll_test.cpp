#include "strata/rt/poll.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strata {
namespace {

TEST(Poll, ReadyHoldsValueAndPendingHoldsNothing) {
  Poll<std::string> r = std::string("hi");
  Poll<std::string> p = pending;
  EXPECT_TRUE(r.is_ready());
  EXPECT_FALSE(r.is_pending());
  EXPECT_TRUE(p.is_pending());
  EXPECT_EQ(r.take(), "hi");
}

TEST(Poll, VoidReadyAndPending) {
  Poll<void> r = ready;
  Poll<void> p = pending;
  EXPECT_TRUE(r.is_ready());
  EXPECT_TRUE(p.is_pending());
}

TEST(Poll, MoveOnlyValue) {
  Poll<std::unique_ptr<int>> r = std::make_unique<int>(3);
  auto v = r.take();
  EXPECT_EQ(*v, 3);
}

}  // namespace
}  // namespace strata
