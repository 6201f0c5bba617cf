#include <gtest/gtest.h>

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
using sync::Mutex;
using test::poll_with;
using test::WakeCounter;

TEST(Mutex, GuardGivesAccessAndUnlocksOnDestruction) {
  Mutex<std::string> m("a");
  WakeCounter w;
  {
    auto f = m.lock();
    auto g = poll_with(f, w).take();
    g->append("b");
    EXPECT_FALSE(m.try_lock().has_value());
  }
  auto g = m.try_lock();
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(**g, "ab");
  g->unlock();
  EXPECT_TRUE(m.try_lock().has_value());
}

TEST(Mutex, WaitersGetTheLockInArrivalOrder) {
  Mutex<std::vector<int>> m;
  auto held = m.try_lock();
  WakeCounter w1, w2, w3;
  auto a = m.lock(), b = m.lock(), c = m.lock();
  EXPECT_TRUE(poll_with(a, w1).is_pending());
  EXPECT_TRUE(poll_with(b, w2).is_pending());
  EXPECT_TRUE(poll_with(c, w3).is_pending());
  held.reset();
  EXPECT_EQ(w1.wakes() + w2.wakes() + w3.wakes(), 1);
  EXPECT_EQ(w1.wakes(), 1);
  EXPECT_TRUE(poll_with(c, w3).is_pending());
  { auto g = poll_with(a, w1).take(); }
  EXPECT_EQ(w2.wakes(), 1);
  EXPECT_EQ(w3.wakes(), 0);
  { auto g = poll_with(b, w2).take(); }
  EXPECT_EQ(w3.wakes(), 1);
  EXPECT_TRUE(poll_with(c, w3).is_ready());
}

TEST(Mutex, CancelledLockThatWasGrantedPassesItOn) {
  Mutex<int> m(0);
  auto held = m.try_lock();
  WakeCounter wa, wb;
  std::optional<Mutex<int>::Lock> a;
  a.emplace(m.lock());
  auto b = m.lock();
  EXPECT_TRUE(poll_with(*a, wa).is_pending());
  EXPECT_TRUE(poll_with(b, wb).is_pending());
  held.reset();  // the lock goes to `a` ...
  EXPECT_EQ(wa.wakes(), 1);
  a.reset();  // ... which is dropped before it noticed: the lock goes to `b`
  EXPECT_EQ(wb.wakes(), 1);
  EXPECT_TRUE(poll_with(b, wb).is_ready());
}

Task<int> lock_with_timeout(Mutex<int>* m) {
  auto held = co_await m->lock();
  auto r = co_await select(m->lock(), sleep(2ms));  // cannot succeed: we hold it
  EXPECT_EQ(r.index(), 1u);
  held.unlock();
  auto g = co_await select(m->lock(), sleep(1s));
  co_return g.index() == 0 ? 1 : 0;
}

STRATA_TEST_ALL_FLAVOURS(Mutex, TimedOutLockLeavesTheMutexUsable) {
  Runtime rt = runtime();
  Mutex<int> m(0);
  EXPECT_EQ(rt.block_on(lock_with_timeout(&m)), 1);
  EXPECT_TRUE(m.try_lock().has_value());
}

// --- multi-thread ---

struct Counter {
  long value = 0;  // deliberately not atomic: the mutex must order every access
  int holders = 0;
};

Task<int> increment(Mutex<Counter>* m, int rounds, int id) {
  int bad = 0, attempts = 0;
  for (int i = 0; i < rounds; ++i) {
    std::optional<sync::MutexGuard<Counter>> g;
    if ((i + id) % 8 == 7) {
      // Give up after a few polls (varying, so that two retrying tasks cannot keep handing the
      // lock to each other and cancelling before they notice).
      auto r = co_await select(m->lock(), test::YieldTimes(1 + attempts++ % 4));
      if (r.index() == 1) {
        --i;  // gave up: retry this increment
        continue;
      }
      g.emplace(std::move(std::get<0>(r)));
    } else {
      g.emplace(co_await m->lock());
    }
    if (++(*g)->holders != 1) ++bad;
    (*g)->value += 1;
    if (i % 8 == 0) co_await yield_now();  // hold the lock across a suspension
    --(*g)->holders;
  }
  co_return bad;
}

Task<int> contend(Mutex<Counter>* m, int tasks, int rounds) {
  std::vector<JoinHandle<int>> hs;
  for (int t = 0; t < tasks; ++t) hs.push_back(spawn(increment(m, rounds, t)));
  int bad = 0;
  for (auto& h : hs) bad += *(co_await h);
  co_return bad;
}

STRATA_TEST_ALL_FLAVOURS(MutexStress, IncrementsFromManyTasksAreNeverLost) {
  Runtime rt = runtime();
  Mutex<Counter> m;
  constexpr int kTasks = 32;
  const int rounds = static_cast<int>(test::stress_iters(300));
  EXPECT_EQ(rt.block_on(contend(&m, kTasks, rounds)), 0);
  EXPECT_EQ(m.get_mut().value, static_cast<long>(kTasks) * rounds);
}

}  // namespace
}  // namespace strata
