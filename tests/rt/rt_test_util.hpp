// Helpers shared by the runtime tests that spawn tasks and inspect their handles
// (runtime_test.cpp, cancellation_test.cpp): a ready-made value task, the outcome of a finished
// JoinHandle, and the names those tests share (with test_util.hpp's leaf futures).
//
//   JoinHandle<int> h = spawn(test::value(7));
//   ...                                           // after the runtime has run or dropped it
//   EXPECT_TRUE(test::is_cancelled(test::result_of(h)));
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata::test {

using TriggerPtr = std::shared_ptr<Trigger<int>>;
// What a test's tasks did, in order.
using Log = std::vector<std::string>;

// A task that completes with `v` at its first poll (never suspends).
inline Task<int> value(int v) {
  co_return v;
}

// The result of a finished handle, read with a no-op waker (no runtime needed). A handle that is
// not finished is a test failure.
template <class T>
Result<T> result_of(JoinHandle<T>& h) {
  Waker w = Waker::noop();
  Context cx(w);
  auto p = h.poll(cx);
  EXPECT_TRUE(p.is_ready());
  if (!p.is_ready()) return fail(Errc::invalid_input, "handle not finished");
  return p.take();
}

// Whether a task's result says it was cancelled (aborted, or dropped with its runtime).
template <class T>
bool is_cancelled(const Result<T>& r) {
  return !r && r.error() == Errc::cancelled;
}

}  // namespace strata::test
