#include "strata/rt/waker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace strata {
namespace {

// A refcounted waker target that records wakes, to check the vtable protocol.
struct Counted {
  std::atomic<int> refs{1};
  std::atomic<int> wakes{0};
  static void clone(const void* p) { static_cast<Counted*>(const_cast<void*>(p))->refs++; }
  static void wake(const void* p) {
    auto* c = static_cast<Counted*>(const_cast<void*>(p));
    c->wakes++;
    c->refs--;
  }
  static void wake_by_ref(const void* p) { static_cast<Counted*>(const_cast<void*>(p))->wakes++; }
  static void drop(const void* p) { static_cast<Counted*>(const_cast<void*>(p))->refs--; }
  static constexpr WakerVTable vtable{&clone, &wake, &wake_by_ref, &drop};
  Waker waker() {
    refs++;
    return Waker(this, &vtable);
  }
};

TEST(Waker, CloneWakeAndDropBalanceReferences) {
  Counted c;
  {
    Waker w = c.waker();
    EXPECT_EQ(c.refs.load(), 2);
    Waker w2 = w;
    EXPECT_EQ(c.refs.load(), 3);
    EXPECT_TRUE(w.will_wake(w2));
    w2.wake_by_ref();
    std::move(w2).wake();
    EXPECT_FALSE(static_cast<bool>(w2));
    EXPECT_EQ(c.wakes.load(), 2);
    EXPECT_EQ(c.refs.load(), 2);
  }
  EXPECT_EQ(c.refs.load(), 1);
}

TEST(Waker, MoveTransfersWithoutReferenceChange) {
  Counted c;
  Waker a = c.waker();
  Waker b = std::move(a);
  EXPECT_FALSE(static_cast<bool>(a));
  EXPECT_EQ(c.refs.load(), 2);
  a = std::move(b);
  EXPECT_EQ(c.refs.load(), 2);
  a.reset();
  EXPECT_EQ(c.refs.load(), 1);
}

TEST(Waker, NoopAndEmptyAreHarmless) {
  Waker n = Waker::noop();
  n.wake_by_ref();
  Waker n2 = n;
  EXPECT_TRUE(n.will_wake(n2));
  std::move(n2).wake();
  Waker empty;
  empty.wake_by_ref();
  std::move(empty).wake();
  EXPECT_FALSE(n.will_wake(empty));
}

TEST(Waker, ConcurrentWakesFromManyThreads) {
  Counted c;
  Waker w = c.waker();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([w] {
      for (int j = 0; j < 1000; ++j) w.wake_by_ref();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.wakes.load(), 4000);
}

}  // namespace
}  // namespace strata
