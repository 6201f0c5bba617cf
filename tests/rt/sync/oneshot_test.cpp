#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "../../support/flavours.hpp"
#include "../test_util.hpp"
#include "strata/rt.hpp"
#include "sync_test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;
using sync::TryRecvError;
using test::poll_with;
using test::WakeCounter;

TEST(Oneshot, SentValueIsReceived) {
  auto [tx, rx] = sync::oneshot::channel<int>();
  EXPECT_TRUE(tx.send(42).has_value());
  WakeCounter w;
  auto p = poll_with(rx, w);
  ASSERT_TRUE(p.is_ready());
  EXPECT_EQ(*p.take(), 42);
}

TEST(Oneshot, PendingReceiverIsWokenBySend) {
  auto [tx, rx] = sync::oneshot::channel<std::string>();
  WakeCounter w;
  EXPECT_TRUE(poll_with(rx, w).is_pending());
  EXPECT_EQ(w.wakes(), 0);
  ASSERT_TRUE(tx.send("hello").has_value());
  EXPECT_EQ(w.wakes(), 1);
  auto p = poll_with(rx, w);
  ASSERT_TRUE(p.is_ready());
  EXPECT_EQ(*p.take(), "hello");
}

TEST(Oneshot, DroppedSenderClosesTheReceiver) {
  auto [tx, rx] = sync::oneshot::channel<int>();
  WakeCounter w;
  EXPECT_TRUE(poll_with(rx, w).is_pending());
  { auto gone = std::move(tx); }
  EXPECT_EQ(w.wakes(), 1);
  auto p = poll_with(rx, w);
  ASSERT_TRUE(p.is_ready());
  auto r = p.take();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error() == Errc::closed);
}

TEST(Oneshot, SendToDroppedReceiverHandsTheValueBack) {
  auto [tx, rx] = sync::oneshot::channel<std::string>();
  EXPECT_FALSE(tx.is_closed());
  { auto gone = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  auto r = tx.send("back");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().value, "back");
}

TEST(Oneshot, SenderIsSpentAfterSend) {
  auto [tx, rx] = sync::oneshot::channel<int>();
  EXPECT_TRUE(tx.send(1).has_value());
  auto again = tx.send(2);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().value, 2);
  EXPECT_EQ(rx.try_recv().value(), 1);
}

TEST(Oneshot, TryRecvReportsEmptyThenValueThenClosed) {
  auto [tx, rx] = sync::oneshot::channel<int>();
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
  ASSERT_TRUE(tx.send(7).has_value());
  EXPECT_EQ(rx.try_recv().value(), 7);
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::closed);
}

TEST(Oneshot, CloseRefusesLaterSendsButKeepsAnEarlierValue) {
  {
    auto [tx, rx] = sync::oneshot::channel<int>();
    ASSERT_TRUE(tx.send(5).has_value());
    rx.close();
    EXPECT_EQ(rx.try_recv().value(), 5);
  }
  {
    auto [tx, rx] = sync::oneshot::channel<int>();
    rx.close();
    EXPECT_TRUE(tx.is_closed());
    EXPECT_FALSE(tx.send(5).has_value());
    WakeCounter w;
    auto p = poll_with(rx, w);
    ASSERT_TRUE(p.is_ready());
    EXPECT_TRUE(p.take().error() == Errc::closed);
  }
}

TEST(Oneshot, SenderClosedCompletesWhenTheReceiverGoes) {
  auto [tx, rx] = sync::oneshot::channel<int>();
  auto closed = tx.closed();
  WakeCounter w;
  EXPECT_TRUE(poll_with(closed, w).is_pending());
  { auto gone = std::move(rx); }
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_TRUE(poll_with(closed, w).is_ready());
}

TEST(Oneshot, UnreceivedValueIsDestroyedWithTheReceiver) {
  std::atomic<int> live{0};
  {
    auto [tx, rx] = sync::oneshot::channel<test::DropCounter>();
    ASSERT_TRUE(tx.send(test::DropCounter(&live)).has_value());
    EXPECT_EQ(live.load(), 1);
  }
  EXPECT_EQ(live.load(), 0);
}

Task<int> recv_after_timeout(sync::oneshot::Receiver<int> rx, sync::oneshot::Sender<int> tx) {
  // The receive loses the race twice; the value sent afterwards is still received.
  auto first = co_await select(rx.recv(), sleep(2ms));
  EXPECT_EQ(first.index(), 1u);
  auto second = co_await timeout(1ms, rx.recv());
  EXPECT_FALSE(second.has_value());
  EXPECT_TRUE(tx.send(9).has_value());
  auto third = co_await timeout(1s, rx.recv());
  co_return third&&* third ? **third : -1;
}

STRATA_TEST_ALL_FLAVOURS(Oneshot, CancelledReceiveLosesNothing) {
  Runtime rt = runtime();
  auto [tx, rx] = sync::oneshot::channel<int>();
  EXPECT_EQ(rt.block_on(recv_after_timeout(std::move(rx), std::move(tx))), 9);
}

Task<void> reply_later(sync::oneshot::Sender<int> tx, int v) {
  co_await yield_now();
  (void)tx.send(v * 2);
}

Task<long> request_many(int n) {
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    auto [tx, rx] = sync::oneshot::channel<int>();
    spawn(reply_later(std::move(tx), i)).detach();
    auto r = co_await std::move(rx);
    sum += r ? *r : -1'000'000;
  }
  co_return sum;
}

Task<long> many_requesters(int tasks, int each) {
  std::vector<JoinHandle<long>> hs;
  for (int t = 0; t < tasks; ++t) hs.push_back(spawn(request_many(each)));
  long total = 0;
  for (auto& h : hs) total += *(co_await h);
  co_return total;
}

STRATA_TEST_ALL_FLAVOURS(Oneshot, RequestReplyAcrossWorkers) {
  Runtime rt = runtime();
  constexpr int kTasks = 32, kEach = 300;
  long expect = static_cast<long>(kTasks) * kEach * (kEach - 1);
  EXPECT_EQ(rt.block_on(many_requesters(kTasks, kEach)), expect);
}

}  // namespace
}  // namespace strata
