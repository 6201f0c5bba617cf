#include "strata/rt/runtime.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

Task<int> value(int v) { co_return v; }

TEST(Runtime, BlockOnReturnsTheValue) {
  auto rt = Runtime::current_thread();
  EXPECT_EQ(rt.block_on(value(3)), 3);
}

TEST(Runtime, SpawnFromInsideATask) {
  auto rt = Runtime::current_thread();
  int r = rt.block_on([]() -> Task<int> {
    auto h1 = spawn(value(1));
    auto h2 = spawn(value(2));
    auto a = co_await h1;
    auto b = co_await h2;
    co_return *a + *b;
  }());
  EXPECT_EQ(r, 3);
}

TEST(Runtime, SpawnOutsideARuntimeThrows) { EXPECT_THROW((void)spawn(value(1)), std::logic_error); }

}  // namespace
}  // namespace strata
