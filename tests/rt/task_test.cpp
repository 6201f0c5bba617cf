#include "strata/rt/task.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "test_util.hpp"

namespace strata {
namespace {

Task<int> add(int a, int b) {
  co_return a + b;
}

Task<int> nested(int depth) {
  if (depth == 0) co_return 0;
  int v = co_await nested(depth - 1);
  co_return v + 1;
}

Task<void> throws() {
  throw std::runtime_error("boom");
  co_return;
}

struct Ready42 {
  Poll<int> poll(Context&) { return 42; }
};

// Polls a future with a no-op waker until it is ready, at most `limit` times.
template <class F>
auto poll_to_end(F& f, int limit = 1000) {
  Waker w = Waker::noop();
  Context cx(w);
  for (int i = 0; i < limit; ++i) {
    auto p = f.poll(cx);
    if (p.is_ready()) return p;
  }
  ADD_FAILURE() << "future did not finish";
  return decltype(f.poll(cx))(pending);
}

TEST(Task, IsLazyAndCompletesWhenPolled) {
  bool started = false;
  // Coroutine lambdas take state as parameters: captures would dangle with the closure.
  auto t = [](bool* s) -> Task<int> {
    *s = true;
    co_return 7;
  }(&started);
  EXPECT_FALSE(started);
  auto p = poll_to_end(t);
  EXPECT_TRUE(started);
  ASSERT_TRUE(p.is_ready());
  EXPECT_EQ(p.take(), 7);
}

TEST(Task, AwaitsTasksAndFutures) {
  auto t = []() -> Task<int> {
    int a = co_await add(1, 2);
    int b = co_await Ready42{};
    co_return a + b;
  }();
  EXPECT_EQ(poll_to_end(t).take(), 45);
}

TEST(Task, DeepChainsUseNoStack) {
  // 100k nested awaits would overflow the stack without symmetric transfer. Sanitizer builds
  // disable the sibling calls that symmetric transfer compiles to, so they check a shallower chain.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr int kDepth = 1000;
#else
  constexpr int kDepth = 100000;
#endif
  auto t = nested(kDepth);
  EXPECT_EQ(poll_to_end(t).take(), kDepth);
}

TEST(Task, ExceptionPropagatesToAwaiter) {
  auto t = []() -> Task<std::string> {
    try {
      co_await throws();
    } catch (const std::runtime_error& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "not thrown";
  }();
  EXPECT_EQ(poll_to_end(t).take(), "caught boom");
}

TEST(Task, ExceptionEscapesPoll) {
  auto t = throws();
  Waker w = Waker::noop();
  Context cx(w);
  EXPECT_THROW((void)t.poll(cx), std::runtime_error);
}

TEST(Task, PendingLeafIsRepolledNotResumed) {
  auto trig = std::make_shared<test::Trigger<int>>();
  int resumed = 0;
  auto t = [](std::shared_ptr<test::Trigger<int>> tr, int* r) -> Task<int> {
    int v = co_await test::Triggered<int>{tr};
    ++*r;
    co_return v * 2;
  }(trig, &resumed);
  Waker w = Waker::noop();
  Context cx(w);
  EXPECT_TRUE(t.poll(cx).is_pending());
  EXPECT_TRUE(t.poll(cx).is_pending());  // spurious poll: the leaf is polled again
  EXPECT_EQ(trig->polls.load(), 2);
  EXPECT_EQ(resumed, 0);
  trig->fire(21);
  auto p = t.poll(cx);
  ASSERT_TRUE(p.is_ready());
  EXPECT_EQ(p.take(), 42);
  EXPECT_EQ(resumed, 1);
}

TEST(Task, DestroyingSuspendedTaskRunsDestructors) {
  std::atomic<int> live{0};
  auto trig = std::make_shared<test::Trigger<int>>();
  {
    auto t = [](std::atomic<int>* l, std::shared_ptr<test::Trigger<int>> tr) -> Task<void> {
      test::DropCounter outer(l);
      co_await [](std::atomic<int>* l2, std::shared_ptr<test::Trigger<int>> tr2) -> Task<void> {
        test::DropCounter inner(l2);
        co_await test::Triggered<int>{tr2};
      }(l, tr);
    }(&live, trig);
    Waker w = Waker::noop();
    Context cx(w);
    EXPECT_TRUE(t.poll(cx).is_pending());
    EXPECT_EQ(live.load(), 2);
  }
  EXPECT_EQ(live.load(), 0);
}

TEST(Task, IntoTaskWrapsAFuture) {
  auto t = into_task(Ready42{});
  EXPECT_EQ(poll_to_end(t).take(), 42);
}

TEST(Task, MoveOnlyValues) {
  auto t = []() -> Task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); }();
  auto p = poll_to_end(t);
  EXPECT_EQ(*p.take(), 5);
}

}  // namespace
}  // namespace strata
