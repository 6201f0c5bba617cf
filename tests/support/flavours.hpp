// One test body over every runtime flavour, as tokio's tests/rt_common.rs does: current-thread,
// multi-thread with one worker and multi-thread with two workers. A behaviour that should hold on
// every runtime is written once and registered three times, named <Suite>.<name>/<flavour>:
//
//   STRATA_TEST_ALL_FLAVOURS(Copy, copy_moves_everything) {
//     run(copy_moves_everything());           // a Task<void> body, under a 10 s deadline
//   }
//   STRATA_TEST_ALL_FLAVOURS(Runtime, spawn_returns_the_value) {
//     Runtime rt = runtime();                 // a fresh runtime of this test's flavour
//     EXPECT_EQ(rt.block_on(value(3)), 3);
//   }
//
// gives Copy.copy_moves_everything/current, .../multi1 and .../multi2. The suite name is kept as
// written (so plain TESTs may share the suite, and filters on the suite name still select the
// tests): `--gtest_filter='*/multi*'` runs the multi-thread flavours only. A test specific to
// one flavour (worker counts, stealing, block_in_place, current-thread ordering) stays a TEST
// with run_current()/run_multi() or its own Runtime.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "strata/rt.hpp"

namespace strata::test {

using namespace std::chrono_literals;

enum class Flavour { current, multi1, multi2 };
inline constexpr std::array<Flavour, 3> all_flavours{Flavour::current, Flavour::multi1,
                                                     Flavour::multi2};

inline const char* flavour_name(Flavour f) {
  switch (f) {
    case Flavour::current:
      return "current";
    case Flavour::multi1:
      return "multi1";
    case Flavour::multi2:
      return "multi2";
  }
  return "unknown";
}

inline RuntimeConfig flavour_config(Flavour f) {
  switch (f) {
    case Flavour::current:
      return RuntimeConfig::current_thread();
    case Flavour::multi1:
      return RuntimeConfig::multi_thread(1);
    case Flavour::multi2:
      return RuntimeConfig::multi_thread(2);
  }
  return RuntimeConfig::current_thread();
}

// Fails the test if `body` does not finish within `d` (the body is cancelled then).
inline Task<void> with_deadline(Task<void> body, Duration d) {
  auto r = co_await timeout(d, std::move(body));
  if (!r) ADD_FAILURE() << "test body did not finish within its deadline";
}

// The fixture of a test registered by STRATA_TEST_ALL_FLAVOURS: the flavour, a runtime of it,
// and run() for Task<void> bodies.
class FlavourTest : public ::testing::Test {
 public:
  explicit FlavourTest(Flavour f) : flavour_(f) {}

  Flavour flavour() const { return flavour_; }
  bool is_multi_thread() const { return flavour_ != Flavour::current; }
  // The number of threads that run tasks (1 for current-thread).
  std::uint32_t threads() const { return flavour_ == Flavour::multi2 ? 2 : 1; }
  Runtime runtime() const { return Runtime(flavour_config(flavour_)); }

  // Runs `body` on a fresh runtime of this flavour; fails the test if it takes longer than `d`.
  void run(Task<void> body, Duration d = 10s) const {
    Runtime rt = runtime();
    rt.block_on(with_deadline(std::move(body), d));
  }

 private:
  Flavour flavour_;
};

// Registers `T` (a FlavourTest) as <suite>.<name>/<flavour> for every flavour. The factory
// returns a plain ::testing::Test* so that the suite's fixture is gtest's default one, the same
// as TEST's: converted and flavour-specific tests can share a suite. No value_param: gtest would
// list it as a "# GetParam() = ..." comment, which gtest_discover_tests keeps in the CTest name
// unless the test name ends in a numeric index.
template <class T>
bool register_all_flavours(const char* suite, const char* name, const char* file, int line) {
  for (Flavour f : all_flavours) {
    const std::string test = std::string(name) + "/" + flavour_name(f);
    ::testing::RegisterTest(suite, test.c_str(), nullptr, nullptr, file, line,
                            [f]() -> ::testing::Test* { return new T(f); });
  }
  return true;
}

}  // namespace strata::test

#define STRATA_FLAVOURS_CLASS_(suite, name) suite##_##name##_AllFlavours

// STRATA_TEST_ALL_FLAVOURS(Suite, name) { body }: `body` runs once per flavour, as a member of a
// FlavourTest (so run(), runtime(), flavour() and threads() are in scope).
#define STRATA_TEST_ALL_FLAVOURS(suite, name)                                            \
  class STRATA_FLAVOURS_CLASS_(suite, name) final : public ::strata::test::FlavourTest { \
   public:                                                                               \
    using ::strata::test::FlavourTest::FlavourTest;                                      \
    void TestBody() override;                                                            \
  };                                                                                     \
  [[maybe_unused]] static const bool suite##_##name##_all_flavours_registered_ =         \
      ::strata::test::register_all_flavours<STRATA_FLAVOURS_CLASS_(suite, name)>(        \
          #suite, #name, __FILE__, __LINE__);                                            \
  void STRATA_FLAVOURS_CLASS_(suite, name)::TestBody()
