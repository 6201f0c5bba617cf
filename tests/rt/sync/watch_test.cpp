#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "../../support/flavours.hpp"
#include "strata/rt.hpp"
#include "sync_test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;
using test::poll_with;
using test::WakeCounter;

TEST(Watch, ReceiverSeesTheInitialValueAsSeen) {
  auto [tx, rx] = sync::watch::channel(std::string("init"));
  EXPECT_EQ(*rx.borrow(), "init");
  EXPECT_FALSE(rx.borrow().has_changed());
  EXPECT_FALSE(*rx.has_changed());
  WakeCounter w;
  auto f = rx.changed();
  EXPECT_TRUE(poll_with(f, w).is_pending());
}

TEST(Watch, ChangedCompletesOnSendAndMarksTheValueSeen) {
  auto [tx, rx] = sync::watch::channel(0);
  WakeCounter w;
  auto f = rx.changed();
  EXPECT_TRUE(poll_with(f, w).is_pending());
  ASSERT_TRUE(tx.send(1).has_value());
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_TRUE(poll_with(f, w).take().has_value());
  EXPECT_EQ(*rx.borrow(), 1);
  auto g = rx.changed();
  EXPECT_TRUE(poll_with(g, w).is_pending());
}

TEST(Watch, SendsBetweenTwoChecksCoalesce) {
  auto [tx, rx] = sync::watch::channel(0);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(tx.send(i).has_value());
  EXPECT_TRUE(*rx.has_changed());
  auto r = rx.borrow_and_update();
  EXPECT_TRUE(r.has_changed());
  EXPECT_EQ(*r, 3);
  EXPECT_FALSE(*rx.has_changed());
}

TEST(Watch, ChangedFailsOnceTheSendersAreGoneAndTheValueIsSeen) {
  auto [tx, rx] = sync::watch::channel(0);
  auto tx2 = tx;
  ASSERT_TRUE(tx.send(5).has_value());
  { auto gone = std::move(tx); }
  WakeCounter w;
  auto f = rx.changed();
  EXPECT_TRUE(poll_with(f, w).take().has_value());  // the unseen value comes first
  auto g = rx.changed();
  EXPECT_TRUE(poll_with(g, w).is_pending());  // tx2 still exists
  { auto gone = std::move(tx2); }
  EXPECT_EQ(w.wakes(), 1);
  auto r = poll_with(g, w).take();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error() == Errc::closed);
  EXPECT_FALSE(rx.has_changed().has_value());
  EXPECT_EQ(*rx.borrow(), 5);
}

TEST(Watch, SendWithoutReceiversFailsButSendReplaceStores) {
  auto [tx, rx] = sync::watch::channel(std::string("a"));
  { auto gone = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  auto r = tx.send("b");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().value, "b");
  EXPECT_EQ(*tx.borrow(), "a");
  EXPECT_EQ(tx.send_replace("c"), "a");
  auto rx2 = tx.subscribe();
  EXPECT_EQ(*rx2.borrow(), "c");
  EXPECT_FALSE(rx2.borrow().has_changed());
}

TEST(Watch, SendModifyNotifiesAndSendIfModifiedOnlyWhenItChanged) {
  auto [tx, rx] = sync::watch::channel(std::vector<int>{});
  tx.send_modify([](std::vector<int>& v) { v.push_back(1); });
  EXPECT_TRUE(*rx.has_changed());
  rx.mark_unchanged();
  EXPECT_FALSE(tx.send_if_modified([](std::vector<int>&) { return false; }));
  EXPECT_FALSE(*rx.has_changed());
  EXPECT_TRUE(tx.send_if_modified([](std::vector<int>& v) {
    v.push_back(2);
    return true;
  }));
  EXPECT_TRUE(*rx.has_changed());
  EXPECT_EQ(rx.borrow_and_update()->size(), 2u);
}

TEST(Watch, CopiedReceiverKeepsTheSeenVersion) {
  auto [tx, rx] = sync::watch::channel(0);
  ASSERT_TRUE(tx.send(1).has_value());
  auto copy = rx;
  EXPECT_TRUE(*copy.has_changed());
  (void)copy.borrow_and_update();
  EXPECT_FALSE(*copy.has_changed());
  EXPECT_TRUE(*rx.has_changed());
  EXPECT_EQ(tx.receiver_count(), 2u);
  copy.mark_changed();
  EXPECT_TRUE(*copy.has_changed());
}

TEST(Watch, SenderClosedCompletesWhenEveryReceiverIsGone) {
  auto [tx, rx] = sync::watch::channel(0);
  auto rx2 = rx;
  auto c = tx.closed();
  WakeCounter w;
  EXPECT_TRUE(poll_with(c, w).is_pending());
  { auto gone = std::move(rx); }
  EXPECT_TRUE(poll_with(c, w).is_pending());
  { auto gone = std::move(rx2); }
  EXPECT_GE(w.wakes(), 1);
  EXPECT_TRUE(poll_with(c, w).is_ready());
}

Task<int> changed_after_timeout(sync::watch::Receiver<int> rx, sync::watch::Sender<int> tx) {
  auto lost = co_await timeout(2ms, rx.changed());
  EXPECT_FALSE(lost.has_value());
  (void)tx.send(4);
  auto r = co_await timeout(1s, rx.changed());
  co_return r&&* r ? *rx.borrow() : -1;
}

STRATA_TEST_ALL_FLAVOURS(Watch, CancelledChangedMissesNothing) {
  Runtime rt = runtime();
  auto [tx, rx] = sync::watch::channel(0);
  EXPECT_EQ(rt.block_on(changed_after_timeout(std::move(rx), std::move(tx))), 4);
}

// --- multi-thread ---

constexpr int kUpdates = 5000;

Task<int> watcher(sync::watch::Receiver<int> rx) {
  int last = *rx.borrow_and_update(), regressions = 0, seen = 0;
  while ((co_await rx.changed()).has_value()) {
    int v = *rx.borrow_and_update();
    if (v < last) ++regressions;
    last = v;
    ++seen;
  }
  EXPECT_EQ(regressions, 0);
  EXPECT_GT(seen, 0);
  co_return last;
}

Task<void> updater(sync::watch::Sender<int> tx) {
  for (int i = 1; i <= kUpdates; ++i) {
    tx.send_modify([i](int& v) { v = i; });
    if (i % 8 == 0) co_await yield_now();
  }
}

Task<std::vector<int>> watch_many(int watchers) {
  auto [tx, rx] = sync::watch::channel(0);
  std::vector<JoinHandle<int>> hs;
  for (int i = 1; i < watchers; ++i) hs.push_back(spawn(watcher(rx)));
  hs.push_back(spawn(watcher(std::move(rx))));
  co_await spawn(updater(std::move(tx)));
  std::vector<int> last;
  for (auto& h : hs) last.push_back(*(co_await h));
  co_return last;
}

STRATA_TEST_ALL_FLAVOURS(WatchStress, WatchersSeeMonotonicValuesAndTheFinalOne) {
  Runtime rt = runtime();
  auto last = rt.block_on(watch_many(8));
  ASSERT_EQ(last.size(), 8u);
  for (int v : last) EXPECT_EQ(v, kUpdates);
}

}  // namespace
}  // namespace strata
