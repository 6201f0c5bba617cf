#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "../../support/flavours.hpp"
#include "strata/rt.hpp"
#include "sync_test_util.hpp"

namespace strata {
namespace {

using sync::Notify;
using test::poll_with;
using test::WakeCounter;

TEST(Notify, NotifyOneWithoutWaitersStoresASinglePermit) {
  Notify n;
  n.notify_one();
  n.notify_one();  // still one permit
  WakeCounter w;
  auto a = n.notified();
  EXPECT_TRUE(poll_with(a, w).is_ready());
  auto b = n.notified();
  EXPECT_TRUE(poll_with(b, w).is_pending());
}

TEST(Notify, NotifyOneWakesTheLongestWaiterFirst) {
  Notify n;
  WakeCounter w1, w2, w3;
  auto a = n.notified();
  auto b = n.notified();
  auto c = n.notified();
  EXPECT_TRUE(poll_with(a, w1).is_pending());
  EXPECT_TRUE(poll_with(b, w2).is_pending());
  EXPECT_TRUE(poll_with(c, w3).is_pending());
  n.notify_one();
  EXPECT_EQ(w1.wakes(), 1);
  EXPECT_EQ(w2.wakes(), 0);
  EXPECT_TRUE(poll_with(a, w1).is_ready());
  EXPECT_TRUE(poll_with(b, w2).is_pending());
  n.notify_one();
  EXPECT_EQ(w2.wakes(), 1);
  EXPECT_EQ(w3.wakes(), 0);
  EXPECT_TRUE(poll_with(b, w2).is_ready());
  EXPECT_TRUE(poll_with(c, w3).is_pending());
}

TEST(Notify, NotifyWaitersWakesEveryWaiterAndStoresNoPermit) {
  Notify n;
  constexpr int kWaiters = 100;  // more than one wake batch
  WakeCounter w;
  std::vector<std::optional<Notify::Notified>> fs(kWaiters);
  for (auto& f : fs) {
    f.emplace(n.notified());
    EXPECT_TRUE(poll_with(*f, w).is_pending());
  }
  n.notify_waiters();
  EXPECT_EQ(w.wakes(), kWaiters);
  for (auto& f : fs) EXPECT_TRUE(poll_with(*f, w).is_ready());
  auto later = n.notified();
  EXPECT_TRUE(poll_with(later, w).is_pending());
}

TEST(Notify, NotifiedCreatedBeforeNotifyWaitersCompletesEvenIfNotPolled) {
  Notify n;
  auto before = n.notified();
  n.notify_waiters();
  auto after = n.notified();
  WakeCounter w;
  EXPECT_TRUE(poll_with(before, w).is_ready());
  EXPECT_TRUE(poll_with(after, w).is_pending());
}

TEST(Notify, CancelledNotifiedWaiterPassesTheNotificationOn) {
  Notify n;
  WakeCounter wa, wb;
  std::optional<Notify::Notified> a;
  a.emplace(n.notified());
  auto b = n.notified();
  EXPECT_TRUE(poll_with(*a, wa).is_pending());
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  n.notify_one();  // chosen: a
  EXPECT_EQ(wa.wakes(), 1);
  a.reset();  // dropped before it saw the notification
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_TRUE(poll_with(b, wb).is_ready());
}

TEST(Notify, CancelledNotifiedWaiterWithNobodyBehindStoresThePermit) {
  Notify n;
  WakeCounter w;
  {
    auto a = n.notified();
    EXPECT_TRUE(poll_with(a, w).is_pending());
    n.notify_one();
  }
  auto b = n.notified();
  EXPECT_TRUE(poll_with(b, w).is_ready());
}

TEST(Notify, CancelledPendingWaiterLeavesTheQueue) {
  Notify n;
  WakeCounter wa, wb;
  {
    auto a = n.notified();
    EXPECT_TRUE(poll_with(a, wa).is_pending());
  }
  auto b = n.notified();
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  n.notify_one();
  EXPECT_EQ(wa.wakes(), 0);
  EXPECT_TRUE(poll_with(b, wb).is_ready());
}

TEST(Notify, EnableQueuesTheFutureBeforeItsFirstPoll) {
  Notify n;
  auto a = n.notified();
  EXPECT_FALSE(a.enable());
  n.notify_one();  // goes to `a`, not to the permit
  auto b = n.notified();
  WakeCounter w;
  EXPECT_TRUE(poll_with(b, w).is_pending());
  EXPECT_TRUE(poll_with(a, w).is_ready());
}

// --- multi-thread ---

Task<int> ping(std::shared_ptr<Notify> mine, std::shared_ptr<Notify> theirs, int rounds,
               bool first) {
  for (int i = 0; i < rounds; ++i) {
    if (first) theirs->notify_one();
    co_await mine->notified();
    if (!first) theirs->notify_one();
  }
  co_return 1;
}

Task<int> ping_pong(int pairs, int rounds) {
  std::vector<JoinHandle<int>> hs;
  for (int p = 0; p < pairs; ++p) {
    auto a = std::make_shared<Notify>(), b = std::make_shared<Notify>();
    hs.push_back(spawn(ping(a, b, rounds, true)));
    hs.push_back(spawn(ping(b, a, rounds, false)));
  }
  int n = 0;
  for (auto& h : hs) n += *(co_await h);
  co_return n;
}

STRATA_TEST_ALL_FLAVOURS(NotifyStress, PingPongAcrossWorkersNeverLosesANotification) {
  Runtime rt = runtime();
  EXPECT_EQ(rt.block_on(ping_pong(16, 1000)), 32);
}

// Waiters that register and re-check a shared flag, as a condition variable is used.
Task<int> wait_for_generation(Notify* n, std::atomic<int>* gen, int target) {
  for (;;) {
    auto f = n->notified();
    if (gen->load() >= target) co_return 1;
    co_await std::move(f);
  }
}

Task<int> broadcast_rounds(Notify* n, std::atomic<int>* gen, int waiters, int rounds) {
  int done = 0;
  for (int r = 1; r <= rounds; ++r) {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < waiters; ++i) hs.push_back(spawn(wait_for_generation(n, gen, r)));
    co_await yield_now();
    gen->store(r);
    n->notify_waiters();
    for (auto& h : hs) done += *(co_await h);
  }
  co_return done;
}

STRATA_TEST_ALL_FLAVOURS(NotifyStress, NotifyWaitersReachesEveryWaiterAcrossWorkers) {
  Runtime rt = runtime();
  Notify n;
  std::atomic<int> gen{0};
  EXPECT_EQ(rt.block_on(broadcast_rounds(&n, &gen, 50, 100)), 5000);
}

}  // namespace
}  // namespace strata
