#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "../../support/flavours.hpp"
#include "../test_util.hpp"
#include "strata/rt.hpp"
#include "sync_test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;
using sync::broadcast::RecvError;
using test::poll_with;
using test::WakeCounter;

TEST(Broadcast, EveryReceiverGetsEveryValueInOrder) {
  auto [tx, rx1] = sync::broadcast::channel<std::string>(8);
  auto rx2 = tx.subscribe();
  EXPECT_EQ(tx.receiver_count(), 2u);
  EXPECT_EQ(tx.send("a").value(), 2u);
  EXPECT_EQ(tx.send("b").value(), 2u);
  for (auto* rx : {&rx1, &rx2}) {
    EXPECT_EQ(rx->try_recv().value(), "a");
    EXPECT_EQ(rx->try_recv().value(), "b");
    EXPECT_TRUE(rx->try_recv().error().is_empty());
  }
}

TEST(Broadcast, SubscribeSeesOnlyLaterValues) {
  auto [tx, rx] = sync::broadcast::channel<int>(8);
  ASSERT_TRUE(tx.send(1).has_value());
  auto late = tx.subscribe();
  ASSERT_TRUE(tx.send(2).has_value());
  EXPECT_EQ(late.try_recv().value(), 2);
  EXPECT_EQ(rx.try_recv().value(), 1);
  auto again = rx.resubscribe();
  EXPECT_TRUE(again.try_recv().error().is_empty());
}

TEST(Broadcast, LaggingReceiverIsToldHowManyItMissedThenContinues) {
  auto [tx, rx] = sync::broadcast::channel<int>(2);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(tx.send(i).has_value());
  EXPECT_EQ(rx.len(), 5u);
  auto r = rx.try_recv();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().is_lagged());
  EXPECT_EQ(r.error().skipped, 3u);
  EXPECT_EQ(rx.try_recv().value(), 4);  // the oldest value still retained
  EXPECT_EQ(rx.try_recv().value(), 5);
  EXPECT_TRUE(rx.try_recv().error().is_empty());
}

TEST(Broadcast, LagIsReportedByTheAwaitingRecvToo) {
  auto [tx, rx] = sync::broadcast::channel<int>(4);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(tx.send(i).has_value());
  WakeCounter w;
  auto f = rx.recv();
  auto r = poll_with(f, w).take();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().skipped, 6u);
  auto g = rx.recv();
  EXPECT_EQ(poll_with(g, w).take().value(), 6);
}

TEST(Broadcast, CapacityIsRoundedUpToAPowerOfTwo) {
  auto [tx, rx] = sync::broadcast::channel<int>(3);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tx.send(i).has_value());
  EXPECT_EQ(rx.try_recv().value(), 0);  // 4 retained, nothing lost
}

TEST(Broadcast, SendWithoutReceiversHandsTheValueBack) {
  auto [tx, rx] = sync::broadcast::channel<std::string>(4);
  { auto gone = std::move(rx); }
  auto r = tx.send("lost?");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().value, "lost?");
}

TEST(Broadcast, ReceiversSeeClosedAfterDrainingOnceAllSendersAreGone) {
  auto [tx, rx] = sync::broadcast::channel<int>(4);
  auto tx2 = tx.clone();
  WakeCounter w;
  auto f = rx.recv();
  EXPECT_TRUE(poll_with(f, w).is_pending());
  ASSERT_TRUE(tx.send(1).has_value());
  EXPECT_EQ(w.take(), 1);
  EXPECT_EQ(poll_with(f, w).take().value(), 1);
  ASSERT_TRUE(tx2.send(2).has_value());
  { auto gone = std::move(tx); }
  { auto gone = std::move(tx2); }
  EXPECT_EQ(rx.try_recv().value(), 2);
  auto g = rx.recv();
  auto r = poll_with(g, w).take();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().is_closed());
}

TEST(Broadcast, PendingReceiversAreAllWokenBySend) {
  auto [tx, rx1] = sync::broadcast::channel<int>(4);
  std::vector<sync::broadcast::Receiver<int>> rxs;
  for (int i = 0; i < 40; ++i) rxs.push_back(tx.subscribe());  // more than one wake batch
  WakeCounter w;
  std::vector<std::optional<sync::broadcast::Receiver<int>::Recv>> fs(rxs.size());
  for (std::size_t i = 0; i < rxs.size(); ++i) {
    fs[i].emplace(rxs[i].recv());
    EXPECT_TRUE(poll_with(*fs[i], w).is_pending());
  }
  fs[3].reset();  // a cancelled recv leaves the wait list
  ASSERT_TRUE(tx.send(7).has_value());
  EXPECT_EQ(w.wakes(), 39);
  for (std::size_t i = 0; i < rxs.size(); ++i) {
    if (i == 3) {
      EXPECT_EQ(rxs[i].try_recv().value(), 7);  // the cancelled recv lost nothing
    } else {
      EXPECT_EQ(poll_with(*fs[i], w).take().value(), 7);
    }
  }
}

TEST(Broadcast, ValuesAreReleasedOnceEveryReceiverHasThem) {
  std::atomic<int> live{0};
  auto [tx, rx1] = sync::broadcast::channel<test::DropCounter>(4);
  auto rx2 = tx.subscribe();
  ASSERT_TRUE(tx.send(test::DropCounter(&live)).has_value());
  EXPECT_EQ(live.load(), 1);
  { auto v = rx1.try_recv(); }
  EXPECT_EQ(live.load(), 1);  // rx2 has not read it yet
  { auto v = rx2.try_recv(); }
  EXPECT_EQ(live.load(), 0);
  ASSERT_TRUE(tx.send(test::DropCounter(&live)).has_value());
  { auto v = rx1.try_recv(); }
  { auto gone = std::move(rx2); }  // a dropped receiver releases what it did not read
  EXPECT_EQ(live.load(), 0);
}

Task<int> recv_with_timeouts(sync::broadcast::Receiver<int> rx, sync::broadcast::Sender<int> tx) {
  auto lost = co_await timeout(2ms, rx.recv());
  EXPECT_FALSE(lost.has_value());
  (void)tx.send(3);
  auto r = co_await timeout(1s, rx.recv());
  co_return r&&* r ? **r : -1;
}

STRATA_TEST_ALL_FLAVOURS(Broadcast, CancelledRecvLosesNothing) {
  Runtime rt = runtime();
  auto [tx, rx] = sync::broadcast::channel<int>(4);
  EXPECT_EQ(rt.block_on(recv_with_timeouts(std::move(rx), std::move(tx))), 3);
}

// --- multi-thread fan-out ---

constexpr int kValues = 20'000;

struct Seen {
  long received = 0;
  long skipped = 0;
  int out_of_order = 0;
  int last = -1;
};

Task<Seen> follow(sync::broadcast::Receiver<int> rx) {
  Seen s;
  for (;;) {
    auto r = co_await rx.recv();
    if (r) {
      if (*r <= s.last) ++s.out_of_order;
      s.last = *r;
      ++s.received;
    } else if (r.error().is_lagged()) {
      s.skipped += static_cast<long>(r.error().skipped);
    } else {
      break;
    }
  }
  co_return s;
}

Task<void> publish(sync::broadcast::Sender<int> tx) {
  for (int i = 0; i < kValues; ++i) {
    EXPECT_TRUE(tx.send(i).has_value());
    if (i % 16 == 0) co_await yield_now();
  }
}

Task<std::vector<Seen>> fan_out(std::size_t capacity, int receivers) {
  auto [tx, rx] = sync::broadcast::channel<int>(capacity);
  std::vector<JoinHandle<Seen>> hs;
  for (int i = 1; i < receivers; ++i) hs.push_back(spawn(follow(tx.subscribe())));
  hs.push_back(spawn(follow(std::move(rx))));
  co_await spawn(publish(std::move(tx)));
  std::vector<Seen> out;
  for (auto& h : hs) out.push_back(*(co_await h));
  co_return out;
}

STRATA_TEST_ALL_FLAVOURS(BroadcastStress, FanOutEveryValueReceivedOrCountedAsSkipped) {
  Runtime rt = runtime();
  for (std::size_t cap : {8u, 1024u}) {
    auto seen = rt.block_on(fan_out(cap, 6));
    ASSERT_EQ(seen.size(), 6u);
    for (auto& s : seen) {
      EXPECT_EQ(s.received + s.skipped, kValues) << "capacity " << cap;
      EXPECT_EQ(s.out_of_order, 0);
      EXPECT_EQ(s.last, kValues - 1);
    }
  }
}

}  // namespace
}  // namespace strata
