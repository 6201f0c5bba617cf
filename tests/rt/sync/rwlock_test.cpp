#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "../../support/flavours.hpp"
#include "strata/rt.hpp"
#include "sync_test_util.hpp"

namespace strata {
namespace {

using sync::RwLock;
using test::poll_with;
using test::WakeCounter;

TEST(RwLock, ManyReadersOrOneWriter) {
  RwLock<int> l(1);
  auto r1 = l.try_read();
  auto r2 = l.try_read();
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(**r1 + **r2, 2);
  EXPECT_FALSE(l.try_write().has_value());
  r1.reset();
  r2.reset();
  auto w = l.try_write();
  ASSERT_TRUE(w.has_value());
  **w = 5;
  EXPECT_FALSE(l.try_read().has_value());
  w.reset();
  EXPECT_EQ(**l.try_read(), 5);
}

TEST(RwLock, WaitingWriterBlocksLaterReaders) {
  RwLock<int> l(0);
  auto r1 = l.try_read();
  WakeCounter ww, wr;
  auto w = l.write();
  EXPECT_TRUE(poll_with(w, ww).is_pending());
  EXPECT_FALSE(l.try_read().has_value());  // a writer waits: no new readers
  auto r2 = l.read();
  EXPECT_TRUE(poll_with(r2, wr).is_pending());
  r1.reset();
  EXPECT_EQ(ww.wakes(), 1);
  EXPECT_EQ(wr.wakes(), 0);
  {
    auto g = poll_with(w, ww).take();
    *g = 7;
  }
  EXPECT_EQ(wr.wakes(), 1);
  auto g = poll_with(r2, wr).take();
  EXPECT_EQ(*g, 7);
}

TEST(RwLock, ConsecutiveWaitingReadersAreAdmittedTogether) {
  RwLock<int> l(0);
  auto wg = l.try_write();
  WakeCounter w1, w2, w3;
  auto a = l.read(), b = l.read();
  auto c = l.write();
  EXPECT_TRUE(poll_with(a, w1).is_pending());
  EXPECT_TRUE(poll_with(b, w2).is_pending());
  EXPECT_TRUE(poll_with(c, w3).is_pending());
  wg.reset();
  EXPECT_EQ(w1.wakes(), 1);
  EXPECT_EQ(w2.wakes(), 1);
  EXPECT_EQ(w3.wakes(), 0);
  auto ga = poll_with(a, w1).take();
  auto gb = poll_with(b, w2).take();
  EXPECT_TRUE(poll_with(c, w3).is_pending());
}

TEST(RwLock, DowngradeLetsWaitingReadersInButNotWriters) {
  RwLock<int> l(0);
  auto wg = l.try_write();
  WakeCounter wr, ww;
  auto r = l.read();
  auto w = l.write();
  EXPECT_TRUE(poll_with(r, wr).is_pending());
  EXPECT_TRUE(poll_with(w, ww).is_pending());
  **wg = 3;
  auto rg = std::move(*wg).downgrade();
  EXPECT_EQ(*rg, 3);
  EXPECT_EQ(wr.wakes(), 1);
  EXPECT_EQ(ww.wakes(), 0);
  auto rg2 = poll_with(r, wr).take();
  EXPECT_TRUE(poll_with(w, ww).is_pending());
}

TEST(RwLock, MaxReadersLimitsConcurrentReaders) {
  auto l = RwLock<int>::with_max_readers(2, 0);
  EXPECT_EQ(l.max_readers(), 2u);
  auto a = l.try_read(), b = l.try_read();
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(l.try_read().has_value());
}

TEST(RwLock, CancelledWriterLetsBlockedReadersIn) {
  RwLock<int> l(0);
  auto r1 = l.try_read();
  WakeCounter ww, wr;
  std::optional<RwLock<int>::Write> w;
  w.emplace(l.write());
  auto r2 = l.read();
  EXPECT_TRUE(poll_with(*w, ww).is_pending());
  EXPECT_TRUE(poll_with(r2, wr).is_pending());
  w.reset();  // the writer gives up: the reader behind it may proceed
  EXPECT_EQ(wr.wakes(), 1);
  EXPECT_TRUE(poll_with(r2, wr).is_ready());
}

// --- multi-thread ---

struct Pair {
  long a = 0;
  long b = 0;  // always equal to `a` outside a write
};

Task<int> writer(RwLock<Pair>* l, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    auto g = co_await l->write();
    ++g->a;
    if (i % 4 == 0) co_await yield_now();
    ++g->b;
  }
  co_return 0;
}

Task<int> reader(RwLock<Pair>* l, int rounds) {
  int torn = 0;
  for (int i = 0; i < rounds; ++i) {
    auto g = co_await l->read();
    if (g->a != g->b) ++torn;
    if (i % 8 == 0) co_await yield_now();
    if (g->a != g->b) ++torn;
  }
  co_return torn;
}

Task<int> readers_and_writers(RwLock<Pair>* l) {
  std::vector<JoinHandle<int>> hs;
  for (int t = 0; t < 8; ++t) hs.push_back(spawn(writer(l, 300)));
  for (int t = 0; t < 24; ++t) hs.push_back(spawn(reader(l, 300)));
  int torn = 0;
  for (auto& h : hs) torn += *(co_await h);
  co_return torn;
}

STRATA_TEST_ALL_FLAVOURS(RwLockStress, ReadersNeverSeeAHalfDoneWrite) {
  Runtime rt = runtime();
  RwLock<Pair> l;
  EXPECT_EQ(rt.block_on(readers_and_writers(&l)), 0);
  EXPECT_EQ(l.get_mut().a, 8 * 300);
  EXPECT_EQ(l.get_mut().b, 8 * 300);
}

}  // namespace
}  // namespace strata
