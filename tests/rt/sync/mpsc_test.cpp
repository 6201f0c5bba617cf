#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
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
using sync::TryAcquireError;
using sync::TryRecvError;
using test::poll_with;
using test::WakeCounter;

template <class F>
using Opt = std::optional<F>;

TEST(Mpsc, BoundedChannelIsFifo) {
  auto [tx, rx] = sync::mpsc::channel<int>(8);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(tx.try_send(i).has_value());
  WakeCounter w;
  for (int i = 0; i < 8; ++i) {
    auto f = rx.recv();
    auto p = poll_with(f, w);
    ASSERT_TRUE(p.is_ready());
    EXPECT_EQ(p.take(), std::optional<int>(i));
  }
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
}

TEST(Mpsc, TrySendFailsWhenFullAndHandsTheValueBack) {
  auto [tx, rx] = sync::mpsc::channel<std::string>(2);
  EXPECT_EQ(tx.max_capacity(), 2u);
  ASSERT_TRUE(tx.try_send("a").has_value());
  ASSERT_TRUE(tx.try_send("b").has_value());
  EXPECT_EQ(tx.capacity(), 0u);
  auto r = tx.try_send("c");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().is_full());
  EXPECT_EQ(r.error().value, "c");
  EXPECT_EQ(rx.try_recv().value(), "a");
  EXPECT_EQ(tx.capacity(), 1u);
}

TEST(Mpsc, SendWaitsForCapacityAndSendersAreServedInOrder) {
  auto [tx, rx] = sync::mpsc::channel<int>(1);
  ASSERT_TRUE(tx.try_send(0).has_value());
  WakeCounter wa, wb;
  auto a = tx.send(1);
  auto b = tx.send(2);
  EXPECT_TRUE(poll_with(a, wa).is_pending());
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  // A waiting sender keeps later try_send()s out, even once a slot frees up.
  EXPECT_TRUE(tx.try_send(99).error().is_full());

  EXPECT_EQ(rx.try_recv().value(), 0);  // frees the slot: granted to `a`, the first in line
  EXPECT_EQ(wa.wakes(), 1);
  EXPECT_EQ(wb.wakes(), 0);
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  EXPECT_TRUE(poll_with(a, wa).take().has_value());

  EXPECT_EQ(rx.try_recv().value(), 1);
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_TRUE(poll_with(b, wb).take().has_value());
  EXPECT_EQ(rx.try_recv().value(), 2);
}

TEST(Mpsc, PendingRecvIsWokenBySend) {
  auto [tx, rx] = sync::mpsc::channel<int>(4);
  WakeCounter w;
  auto f = rx.recv();
  EXPECT_TRUE(poll_with(f, w).is_pending());
  ASSERT_TRUE(tx.try_send(3).has_value());
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_EQ(poll_with(f, w).take(), std::optional<int>(3));
}

TEST(Mpsc, RecvDrainsThenReturnsNulloptWhenAllSendersAreGone) {
  auto [tx, rx] = sync::mpsc::channel<int>(4);
  auto tx2 = tx.clone();
  ASSERT_TRUE(tx.try_send(1).has_value());
  ASSERT_TRUE(tx2.try_send(2).has_value());
  { auto gone = std::move(tx); }
  EXPECT_FALSE(rx.is_closed());
  WakeCounter w;
  auto f1 = rx.recv();
  EXPECT_EQ(poll_with(f1, w).take(), std::optional<int>(1));
  auto f2 = rx.recv();
  EXPECT_EQ(poll_with(f2, w).take(), std::optional<int>(2));
  auto f3 = rx.recv();
  EXPECT_TRUE(poll_with(f3, w).is_pending());
  { auto gone = std::move(tx2); }
  EXPECT_EQ(w.wakes(), 1);
  auto p = poll_with(f3, w);
  ASSERT_TRUE(p.is_ready());
  EXPECT_EQ(p.take(), std::nullopt);
  EXPECT_TRUE(rx.is_closed());
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::closed);
}

TEST(Mpsc, CloseFailsWaitingSendersAndKeepsQueuedValues) {
  auto [tx, rx] = sync::mpsc::channel<std::string>(1);
  ASSERT_TRUE(tx.try_send("queued").has_value());
  WakeCounter w;
  auto waiting = tx.send("refused");
  EXPECT_TRUE(poll_with(waiting, w).is_pending());
  rx.close();
  EXPECT_EQ(w.wakes(), 1);
  auto r = poll_with(waiting, w).take();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().value, "refused");
  EXPECT_TRUE(tx.is_closed());
  EXPECT_TRUE(tx.try_send("late").error().is_closed());

  auto f1 = rx.recv();
  EXPECT_EQ(poll_with(f1, w).take(), std::optional<std::string>("queued"));
  auto f2 = rx.recv();
  EXPECT_EQ(poll_with(f2, w).take(), std::nullopt);
}

TEST(Mpsc, DroppedReceiverFailsSendsAndDropsQueuedValues) {
  std::atomic<int> live{0};
  auto [tx, rx] = sync::mpsc::channel<test::DropCounter>(4);
  ASSERT_TRUE(tx.try_send(test::DropCounter(&live)).has_value());
  ASSERT_TRUE(tx.try_send(test::DropCounter(&live)).has_value());
  EXPECT_EQ(live.load(), 2);
  { auto gone = std::move(rx); }
  EXPECT_EQ(live.load(), 0);
  EXPECT_TRUE(tx.is_closed());
  auto f = tx.send(test::DropCounter(&live));
  WakeCounter w;
  auto r = poll_with(f, w).take();
  EXPECT_FALSE(r.has_value());
}

TEST(Mpsc, ReservedPermitHoldsASlotUntilUsedOrDropped) {
  auto [tx, rx] = sync::mpsc::channel<int>(2);
  WakeCounter w;
  auto res = tx.reserve();
  auto p = poll_with(res, w).take();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(tx.capacity(), 1u);
  {
    auto p2 = tx.try_reserve();
    ASSERT_TRUE(p2.has_value());
    EXPECT_EQ(tx.try_reserve().error(), TryAcquireError::no_permits);
  }  // dropped: the slot is free again
  EXPECT_EQ(tx.capacity(), 1u);
  p->send(5);
  EXPECT_EQ(rx.try_recv().value(), 5);
  EXPECT_EQ(tx.capacity(), 2u);
}

TEST(Mpsc, RecvAfterCloseWaitsForOutstandingPermits) {
  auto [tx, rx] = sync::mpsc::channel<int>(2);
  auto permit = tx.try_reserve();
  ASSERT_TRUE(permit.has_value());
  rx.close();
  WakeCounter w;
  auto f = rx.recv();
  EXPECT_TRUE(poll_with(f, w).is_pending());  // the permit may still send
  permit->send(8);
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_EQ(poll_with(f, w).take(), std::optional<int>(8));
  auto g = rx.recv();
  EXPECT_EQ(poll_with(g, w).take(), std::nullopt);

  // Dropping an unused permit after close also ends the stream.
  auto [tx2, rx2] = sync::mpsc::channel<int>(2);
  Opt<sync::mpsc::Permit<int>> p2;
  p2.emplace(std::move(*tx2.try_reserve()));
  rx2.close();
  auto h = rx2.recv();
  EXPECT_TRUE(poll_with(h, w).is_pending());
  p2.reset();
  EXPECT_EQ(poll_with(h, w).take(), std::nullopt);
}

TEST(Mpsc, CancelledSendThatWasGrantedASlotPassesItOn) {
  std::atomic<int> live{0};
  auto [tx, rx] = sync::mpsc::channel<test::DropCounter>(1);
  ASSERT_TRUE(tx.try_send(test::DropCounter(&live)).has_value());
  WakeCounter wa, wb;
  Opt<sync::mpsc::Sender<test::DropCounter>::Send> a;
  a.emplace(tx.send(test::DropCounter(&live)));
  auto b = tx.send(test::DropCounter(&live));
  EXPECT_TRUE(poll_with(*a, wa).is_pending());
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  EXPECT_TRUE(rx.try_recv().has_value());  // the slot goes to `a`
  EXPECT_EQ(wa.wakes(), 1);
  EXPECT_EQ(wb.wakes(), 0);
  a.reset();  // cancelled after the grant: its value is dropped, its slot goes to `b`
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_EQ(live.load(), 1);
  EXPECT_TRUE(poll_with(b, wb).take().has_value());
  EXPECT_TRUE(rx.try_recv().has_value());
  EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
  EXPECT_EQ(tx.capacity(), 1u);
}

TEST(Mpsc, CancelledWaitingSendLeavesTheQueue) {
  auto [tx, rx] = sync::mpsc::channel<int>(1);
  ASSERT_TRUE(tx.try_send(0).has_value());
  WakeCounter wa, wb;
  Opt<sync::mpsc::Sender<int>::Send> a;
  a.emplace(tx.send(1));
  auto b = tx.send(2);
  EXPECT_TRUE(poll_with(*a, wa).is_pending());
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  a.reset();
  EXPECT_EQ(rx.try_recv().value(), 0);
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_TRUE(poll_with(b, wb).take().has_value());
  EXPECT_EQ(rx.try_recv().value(), 2);
}

TEST(Mpsc, SenderClosedCompletesWhenTheReceiverCloses) {
  auto [tx, rx] = sync::mpsc::channel<int>(1);
  auto c = tx.closed();
  WakeCounter w;
  EXPECT_TRUE(poll_with(c, w).is_pending());
  rx.close();
  EXPECT_EQ(w.wakes(), 1);
  EXPECT_TRUE(poll_with(c, w).is_ready());
}

TEST(Mpsc, UnboundedChannelNeverWaitsAndStaysFifo) {
  auto [tx, rx] = sync::mpsc::unbounded_channel<int>();
  constexpr int kN = 10'000;
  for (int i = 0; i < kN; ++i) ASSERT_TRUE(tx.send(i).has_value());
  EXPECT_EQ(rx.len(), static_cast<std::size_t>(kN));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(rx.try_recv().value(), i);
  // Interleaved pushes and pops wrap around the ring.
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(tx.send(i).has_value());
    ASSERT_TRUE(tx.send(i + 1).has_value());
    ASSERT_EQ(rx.try_recv().value(), i);
    ASSERT_EQ(rx.try_recv().value(), i + 1);
  }
  rx.close();
  auto r = tx.send(1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().value, 1);
}

Task<int> recv_survives_cancellation(sync::mpsc::Receiver<int> rx, sync::mpsc::Sender<int> tx) {
  auto lost = co_await timeout(2ms, rx.recv());
  EXPECT_FALSE(lost.has_value());
  auto other = co_await select(rx.recv(), yield_now());
  EXPECT_EQ(other.index(), 1u);
  EXPECT_TRUE((co_await tx.send(11)).has_value());
  EXPECT_TRUE((co_await tx.send(12)).has_value());
  // Both futures are ready at once; whichever select() picks, nothing is lost.
  auto r = co_await select(rx.recv(), yield_now());
  int got = 0;
  if (r.index() == 0) got += *std::get<0>(r) == 11 ? 1 : 100;
  for (;;) {
    auto next = co_await timeout(5ms, rx.recv());
    if (!next) break;
    got += **next;
  }
  co_return got;
}

STRATA_TEST_ALL_FLAVOURS(Mpsc, CancelledRecvLosesNothing) {
  Runtime rt = runtime();
  auto [tx, rx] = sync::mpsc::channel<int>(4);
  int got = rt.block_on(recv_survives_cancellation(std::move(rx), std::move(tx)));
  EXPECT_TRUE(got == 1 + 12 || got == 11 + 12) << got;
}

// --- multi-thread stress ---

constexpr int kProducers = 8;
// Messages per producer: 4,000, scaled by STRATA_STRESS_SCALE (test_util.hpp).
const int kPerProducer = static_cast<int>(test::stress_iters(4000));

struct Msg {
  int producer;
  int seq;
};

Task<void> produce(sync::mpsc::Sender<Msg> tx, int id) {
  for (int i = 0; i < kPerProducer; ++i) {
    auto r = co_await tx.send(Msg{id, i});
    EXPECT_TRUE(r.has_value());
  }
}

// Sends through reserve() raced against a few yields: many reservations are cancelled, some
// after their slot was granted; every value is still sent exactly once.
Task<void> produce_with_cancellation(sync::mpsc::Sender<Msg> tx, int id, int count) {
  for (int i = 0, k = 0; i < count; ++k) {
    auto r = co_await select(tx.reserve(), test::YieldTimes(1 + k % 4));
    if (r.index() == 0) {
      std::get<0>(r)->send(Msg{id, i});
      ++i;
    }
  }
}

Task<int> consume(sync::mpsc::Receiver<Msg> rx, bool cancel_some, int per_producer) {
  std::vector<int> next(kProducers, 0);
  int n = 0, out_of_order = 0;
  for (;;) {
    std::optional<Msg> m;
    if (cancel_some && n % 3 == 0) {
      auto r = co_await select(rx.recv(), test::YieldTimes(1 + n % 2));
      if (r.index() == 1) continue;
      m = std::move(std::get<0>(r));
    } else {
      m = co_await rx.recv();
    }
    if (!m) break;
    auto p = static_cast<std::size_t>(m->producer);
    if (m->seq != next[p]) ++out_of_order;
    next[p] = m->seq + 1;
    ++n;
  }
  EXPECT_EQ(out_of_order, 0);
  for (int v : next) EXPECT_EQ(v, per_producer);
  co_return n;
}

Task<int> stress(std::size_t capacity, bool cancel) {
  // The cancelling variant does more work per message: fewer messages.
  int per_producer = cancel ? kPerProducer / 2 : kPerProducer;
  auto [tx, rx] = sync::mpsc::channel<Msg>(capacity);
  auto consumer = spawn(consume(std::move(rx), cancel, per_producer));
  for (int p = 0; p < kProducers; ++p) {
    if (cancel) {
      spawn(produce_with_cancellation(tx, p, per_producer)).detach();
    } else {
      spawn(produce(tx, p)).detach();
    }
  }
  { auto gone = std::move(tx); }
  co_return *(co_await consumer);
}

STRATA_TEST_ALL_FLAVOURS(MpscStress, ManyProducersEveryMessageExactlyOnceInOrder) {
  Runtime rt = runtime();
  EXPECT_EQ(rt.block_on(stress(16, false)), kProducers * kPerProducer);
  EXPECT_EQ(rt.block_on(stress(1, false)), kProducers * kPerProducer);
}

STRATA_TEST_ALL_FLAVOURS(MpscStress, CancelledReservesAndReceivesLoseNothing) {
  Runtime rt = runtime();
  EXPECT_EQ(rt.block_on(stress(4, true)), kProducers * (kPerProducer / 2));
}

Task<void> produce_unbounded(sync::mpsc::UnboundedSender<Msg> tx, int id) {
  for (int i = 0; i < kPerProducer; ++i) {
    EXPECT_TRUE(tx.send(Msg{id, i}).has_value());
    if (i % 64 == 0) co_await yield_now();
  }
}

Task<int> stress_unbounded() {
  auto [tx, rx] = sync::mpsc::unbounded_channel<Msg>();
  auto consumer = spawn(consume(std::move(rx), false, kPerProducer));
  for (int p = 0; p < kProducers; ++p) spawn(produce_unbounded(tx, p)).detach();
  { auto gone = std::move(tx); }
  co_return *(co_await consumer);
}

STRATA_TEST_ALL_FLAVOURS(MpscStress, UnboundedManyProducers) {
  Runtime rt = runtime();
  EXPECT_EQ(rt.block_on(stress_unbounded()), kProducers * kPerProducer);
}

}  // namespace
}  // namespace strata
