#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <vector>

#include "../../support/flavours.hpp"
#include "strata/rt.hpp"
#include "sync_test_util.hpp"

namespace strata {
namespace {

using sync::Semaphore;
using sync::SemaphorePermit;
using sync::TryAcquireError;
using test::poll_with;
using test::WakeCounter;

TEST(Semaphore, PermitsReturnWhenThePermitIsDestroyed) {
  Semaphore s(3);
  WakeCounter w;
  {
    auto f = s.acquire(2);
    auto p = poll_with(f, w).take();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->num_permits(), 2u);
    EXPECT_EQ(s.available_permits(), 1u);
  }
  EXPECT_EQ(s.available_permits(), 3u);
}

TEST(Semaphore, TryAcquireFailsWithoutEnoughPermits) {
  Semaphore s(1);
  auto a = s.try_acquire();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(s.try_acquire().error(), TryAcquireError::no_permits);
  a->release();
  EXPECT_TRUE(s.try_acquire().has_value());
}

TEST(Semaphore, WaiterIsWokenWhenPermitsReturn) {
  Semaphore s(1);
  auto held = s.try_acquire();
  WakeCounter w;
  auto f = s.acquire();
  EXPECT_TRUE(poll_with(f, w).is_pending());
  held->release();
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_EQ(s.available_permits(), 0u);  // handed to the waiter, not to the pool
  EXPECT_TRUE(poll_with(f, w).take().has_value());
}

TEST(Semaphore, LargeRequestAtTheHeadBlocksLaterSmallOnes) {
  Semaphore s(2);
  auto held = s.try_acquire(2);
  WakeCounter wa, wb;
  auto big = s.acquire(2);
  auto small = s.acquire(1);
  EXPECT_TRUE(poll_with(big, wa).is_pending());
  EXPECT_TRUE(poll_with(small, wb).is_pending());
  s.add_permits(1);  // assigned to `big`, which still needs one more
  EXPECT_EQ(wa.wakes(), 0);
  EXPECT_EQ(wb.wakes(), 0);
  EXPECT_EQ(s.try_acquire().error(), TryAcquireError::no_permits);
  s.add_permits(1);
  EXPECT_EQ(wa.wakes(), 1);
  EXPECT_EQ(wb.wakes(), 0);
  auto p = poll_with(big, wa).take();
  ASSERT_TRUE(p.has_value());
  p->release();
  EXPECT_EQ(wb.wakes(), 1);
  auto q = poll_with(small, wb).take();
  EXPECT_TRUE(q.has_value());
  EXPECT_EQ(s.available_permits(), 1u);
  held->forget();
}

TEST(Semaphore, CancelledWaiterHandsOnThePermitsAssignedSoFar) {
  Semaphore s(0);
  WakeCounter wa, wb;
  std::optional<Semaphore::Acquire> big;
  big.emplace(s.acquire(3));
  auto small = s.acquire(2);
  EXPECT_TRUE(poll_with(*big, wa).is_pending());
  EXPECT_TRUE(poll_with(small, wb).is_pending());
  s.add_permits(2);  // both go to `big`
  EXPECT_EQ(wb.wakes(), 0);
  big.reset();  // its two permits go to `small`
  EXPECT_EQ(wb.wakes(), 1);
  auto p = poll_with(small, wb).take();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->num_permits(), 2u);
}

TEST(Semaphore, CancelledGrantedWaiterHandsOnAllItsPermits) {
  Semaphore s(0);
  WakeCounter wa, wb;
  std::optional<Semaphore::Acquire> a;
  a.emplace(s.acquire(1));
  auto b = s.acquire(1);
  EXPECT_TRUE(poll_with(*a, wa).is_pending());
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  s.add_permits(1);
  EXPECT_EQ(wa.wakes(), 1);
  a.reset();  // granted but never completed
  EXPECT_EQ(wb.wakes(), 1);
  auto p = poll_with(b, wb).take();
  EXPECT_TRUE(p.has_value());
  EXPECT_EQ(s.available_permits(), 0u);
}

TEST(Semaphore, CloseFailsWaitersAndLaterAcquires) {
  Semaphore s(1);
  auto held = s.try_acquire();
  WakeCounter w;
  std::vector<std::optional<Semaphore::Acquire>> waiters(40);  // more than one wake batch
  for (auto& f : waiters) {
    f.emplace(s.acquire());
    EXPECT_TRUE(poll_with(*f, w).is_pending());
  }
  s.close();
  EXPECT_TRUE(s.is_closed());
  EXPECT_EQ(w.wakes(), 40);
  for (auto& f : waiters) {
    auto r = poll_with(*f, w).take();
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error() == Errc::closed);
  }
  EXPECT_EQ(s.try_acquire().error(), TryAcquireError::closed);
  held->release();
  EXPECT_EQ(s.available_permits(), 1u);  // permits still return after close
}

TEST(Semaphore, AddPermitsServesManyWaitersInOrder) {
  Semaphore s(0);
  std::vector<WakeCounter> ws(70);
  std::vector<std::optional<Semaphore::Acquire>> fs(70);
  for (std::size_t i = 0; i < fs.size(); ++i) {
    fs[i].emplace(s.acquire());
    EXPECT_TRUE(poll_with(*fs[i], ws[i]).is_pending());
  }
  s.add_permits(50);
  for (std::size_t i = 0; i < fs.size(); ++i) EXPECT_EQ(ws[i].wakes(), i < 50 ? 1 : 0) << i;
  for (std::size_t i = 0; i < 50; ++i) EXPECT_TRUE(poll_with(*fs[i], ws[i]).take().has_value());
  fs.clear();  // the 20 still waiting leave; the 50 permits come back
  EXPECT_EQ(s.available_permits(), 50u);
}

TEST(Semaphore, ForgottenPermitsShrinkTheSemaphore) {
  Semaphore s(5);
  s.try_acquire(2)->forget();
  EXPECT_EQ(s.available_permits(), 3u);
  EXPECT_EQ(s.forget_permits(10), 3u);
  EXPECT_EQ(s.available_permits(), 0u);
}

// --- multi-thread ---

constexpr std::size_t kLimit = 3;

Task<int> use_permits(Semaphore* s, std::atomic<int>* inside, std::atomic<int>* peak, int id,
                      int rounds) {
  int done = 0;
  for (int i = 0; i < rounds; ++i) {
    std::size_t n = (id + i) % 2 + 1;
    Result<SemaphorePermit> p = fail(Errc::closed);
    if (i % 4 == 3) {
      // Sometimes give up after a few polls: the cancelled acquire must hand permits on.
      auto r = co_await select(s->acquire(n), test::YieldTimes(1 + i % 3));
      if (r.index() == 1) continue;
      p = std::move(std::get<0>(r));
    } else {
      p = co_await s->acquire(n);
    }
    if (!p) co_return -1;
    int now = inside->fetch_add(static_cast<int>(n)) + static_cast<int>(n);
    int seen = peak->load();
    while (now > seen && !peak->compare_exchange_weak(seen, now)) {
    }
    co_await yield_now();
    inside->fetch_sub(static_cast<int>(n));
    ++done;
  }
  co_return done;
}

Task<int> semaphore_stress(Semaphore* s, std::atomic<int>* inside, std::atomic<int>* peak) {
  std::vector<JoinHandle<int>> hs;
  for (int t = 0; t < 32; ++t) hs.push_back(spawn(use_permits(s, inside, peak, t, 300)));
  int done = 0;
  for (auto& h : hs) {
    int d = *(co_await h);
    EXPECT_GE(d, 0);
    done += d;
  }
  co_return done;
}

STRATA_TEST_ALL_FLAVOURS(SemaphoreStress, NeverMorePermitsInUseThanExist) {
  Runtime rt = runtime();
  Semaphore s(kLimit);
  std::atomic<int> inside{0}, peak{0};
  int done = rt.block_on(semaphore_stress(&s, &inside, &peak));
  EXPECT_GT(done, 32 * 300 / 2);
  EXPECT_LE(peak.load(), static_cast<int>(kLimit));
  EXPECT_GE(peak.load(), 2);
  EXPECT_EQ(inside.load(), 0);
  EXPECT_EQ(s.available_permits(), kLimit);
}

}  // namespace
}  // namespace strata
