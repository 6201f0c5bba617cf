// join(), join_all() and select(): outputs, concurrency (shown by the order of side effects, not
// by timing), destruction of select's losers, and exceptions.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "../support/flavours.hpp"
#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using test::DropCounter;
using test::Trigger;
using test::Triggered;
using TriggerPtr = std::shared_ptr<Trigger<int>>;
using Log = std::vector<std::string>;

Task<int> value(int v) {
  co_return v;
}
Task<void> nothing() {
  co_return;
}

struct Ready42 {
  Ready42() noexcept {}
  Poll<int> poll(Context&) { return 42; }
};

struct ReadyVoid {
  ReadyVoid() noexcept {}
  Poll<void> poll(Context&) { return ready; }
};

// Logs its start, waits for the trigger, logs its end.
Task<int> logged_wait(std::string name, TriggerPtr trig, Log* log) {
  log->push_back(name + " start");
  int v = co_await Triggered<int>(trig);
  log->push_back(name + " end");
  co_return v;
}

// Logs each step, yielding in between.
Task<int> stepper(std::string name, int steps, Log* log) {
  for (int i = 0; i < steps; ++i) {
    log->push_back(name + std::to_string(i));
    co_await yield_now();
  }
  co_return steps;
}

// Holds a DropCounter and never finishes.
Task<int> counted_forever(std::atomic<int>* live, Log* log, std::string name) {
  DropCounter c(live);
  log->push_back(name + " start");
  co_await test::Never();
  log->push_back(name + " resumed");  // never reached
  co_return -1;
}

Task<int> throws_after_yield(int yields) {
  for (int i = 0; i < yields; ++i) co_await yield_now();
  throw std::runtime_error("combinator boom");
}

STRATA_TEST_ALL_FLAVOURS(Join, OfTwoFuturesReturnsBothOutputs) {
  auto rt = runtime();
  auto [a, b] = rt.block_on(
      []() -> Task<std::tuple<int, int>> { co_return co_await join(value(1), value(2)); }());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
}

STRATA_TEST_ALL_FLAVOURS(Join, VoidOutputsBecomeMonostate) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    auto out = co_await join(nothing(), value(7), sleep(std::chrono::milliseconds(1)));
    static_assert(std::is_same_v<decltype(out), std::tuple<std::monostate, int, std::monostate>>);
    EXPECT_EQ(std::get<1>(out), 7);
  }());
}

STRATA_TEST_ALL_FLAVOURS(Join, MixesTasksAndHandWrittenFutures) {
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = runtime();
  auto out = rt.block_on([](TriggerPtr tr) -> Task<std::tuple<int, int, int, std::string>> {
    JoinHandle<std::string> h = spawn([]() -> Task<std::string> { co_return "spawned"; }());
    auto fire = [](TriggerPtr t) -> Task<int> {
      co_await yield_now();
      t->fire(3);
      co_return 0;
    };
    auto [a, b, c, d, e] =
        co_await join(value(1), Ready42(), Triggered<int>(tr), fire(tr), std::move(h));
    co_return std::tuple<int, int, int, std::string>(a, b, c + d, e.value_or("error"));
  }(trig));
  EXPECT_EQ(out, (std::tuple<int, int, int, std::string>(1, 42, 3, "spawned")));
}

TEST(Join, RunsItsFuturesConcurrently) {
  // Sequential awaiting would give "A start, A end, B start, B end" (and A would wait forever:
  // its trigger is fired only after B finished).
  auto ta = std::make_shared<Trigger<int>>();
  auto tb = std::make_shared<Trigger<int>>();
  Log log;
  auto rt = Runtime::current_thread();
  rt.block_on([](TriggerPtr a, TriggerPtr b, Log* l) -> Task<void> {
    // Fires B first, lets the joining task run, then fires A once B's end is logged.
    JoinHandle<void> firer = spawn([](TriggerPtr fa, TriggerPtr fb, Log* fl) -> Task<void> {
      fb->fire(2);
      while (fl->empty() || fl->back() != "B end") co_await yield_now();
      fa->fire(1);
    }(a, b, l));
    auto [x, y] = co_await join(logged_wait("A", a, l), logged_wait("B", b, l));
    EXPECT_EQ(x, 1);
    EXPECT_EQ(y, 2);
    (void)co_await firer;
  }(ta, tb, &log));
  EXPECT_EQ(log, (Log{"A start", "B start", "B end", "A end"}));
}

STRATA_TEST_ALL_FLAVOURS(Join, InterleavesFuturesThatYield) {
  Log log;
  auto rt = runtime();
  rt.block_on([](Log* l) -> Task<void> {
    auto [a, b] = co_await join(stepper("A", 3, l), stepper("B", 2, l));
    EXPECT_EQ(a, 3);
    EXPECT_EQ(b, 2);
  }(&log));
  EXPECT_EQ(log, (Log{"A0", "B0", "A1", "B1", "A2"}));
}

// The counter is a parameter: it lives as long as the coroutine frame, i.e. until the finished
// Task is destroyed (locals are gone as soon as the body ends).
Task<int> counted_yield_once(DropCounter c) {
  co_await yield_now();
  (void)c;
  co_return 1;
}

TEST(Join, DestroysEachFutureAsSoonAsItFinishes) {
  std::atomic<int> live{0};
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = Runtime::current_thread();
  rt.block_on([](std::atomic<int>* l, TriggerPtr tr) -> Task<void> {
    // Looks at the counter while the join still waits for the trigger, then fires it.
    JoinHandle<int> checker = spawn([](std::atomic<int>* cl, TriggerPtr ct) -> Task<int> {
      co_await yield_now();
      co_await yield_now();
      int seen = cl->load();
      ct->fire(2);
      co_return seen;
    }(l, tr));
    auto j = join(counted_yield_once(DropCounter(l)), Triggered<int>(tr));
    auto [a, b] = co_await j;
    EXPECT_EQ(a + b, 3);
    Result<int> seen = co_await checker;
    EXPECT_EQ(seen.value_or(-1), 0);  // the finished branch was gone while the join waited
  }(&live, trig));
  EXPECT_EQ(live.load(), 0);
}

STRATA_TEST_ALL_FLAVOURS(Join, AllReturnsResultsInInputOrder) {
  // The tasks finish in reverse order; the results still come in input order.
  Log log;
  auto rt = runtime();
  auto out = rt.block_on([](Log* l) -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(stepper("t" + std::to_string(i), 5 - i, l));
    co_return co_await join_all(std::move(tasks));
  }(&log));
  EXPECT_EQ(out, (std::vector<int>{5, 4, 3, 2, 1}));
  // Round-robin: all five started before any took a second step.
  ASSERT_GE(log.size(), 6u);
  EXPECT_EQ((Log(log.begin(), log.begin() + 6)), (Log{"t00", "t10", "t20", "t30", "t40", "t01"}));
}

STRATA_TEST_ALL_FLAVOURS(Join, AllOfManyHandlesAndOfNothing) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < 1000; ++i) hs.push_back(spawn(value(i)));
    std::vector<Result<int>> rs = co_await join_all(std::move(hs));
    EXPECT_EQ(rs.size(), 1000u);
    bool in_order = true;
    for (int i = 0; i < 1000; ++i)
      in_order = in_order && rs[static_cast<std::size_t>(i)].value_or(-1) == i;
    EXPECT_TRUE(in_order);

    std::vector<int> none = co_await join_all(std::vector<Task<int>>{});
    EXPECT_TRUE(none.empty());

    std::vector<Task<void>> voids;
    voids.push_back(nothing());
    voids.push_back(nothing());
    std::vector<std::monostate> vs = co_await join_all(std::move(voids));
    EXPECT_EQ(vs.size(), 2u);
  }());
}

STRATA_TEST_ALL_FLAVOURS(Join, ExceptionPropagatesAndDestroysTheOtherFutures) {
  std::atomic<int> live{0};
  Log log;
  auto rt = runtime();
  rt.block_on([](std::atomic<int>* l, Log* lg) -> Task<void> {
    // Thrown on the first poll.
    try {
      (void)co_await join(counted_forever(l, lg, "f1"), throws_after_yield(0));
      ADD_FAILURE() << "join did not throw";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "combinator boom");
      EXPECT_EQ(l->load(), 0);
    }
    // Thrown after both futures suspended (from a later poll).
    try {
      (void)co_await join(counted_forever(l, lg, "f2"), throws_after_yield(2));
      ADD_FAILURE() << "join did not throw";
    } catch (const std::runtime_error&) {
      EXPECT_EQ(l->load(), 0);
    }
    // join_all too.
    try {
      std::vector<Task<int>> ts;
      ts.push_back(counted_forever(l, lg, "f3"));
      ts.push_back(throws_after_yield(1));
      (void)co_await join_all(std::move(ts));
      ADD_FAILURE() << "join_all did not throw";
    } catch (const std::runtime_error&) {
      EXPECT_EQ(l->load(), 0);
    }
  }(&live, &log));
  EXPECT_EQ(live.load(), 0);
  EXPECT_EQ(log, (Log{"f1 start", "f2 start", "f3 start"}));
}

STRATA_TEST_ALL_FLAVOURS(Select, ReturnsTheIndexAndValueOfTheWinner) {
  std::atomic<int> live{0};
  Log log;
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = runtime();
  rt.block_on([](std::atomic<int>* l, Log* lg, TriggerPtr tr) -> Task<void> {
    auto fire = spawn([](TriggerPtr t) -> Task<void> {
      t->fire(9);
      co_return;
    }(tr));
    auto r = co_await select(counted_forever(l, lg, "loser"), Triggered<int>(tr), test::Never());
    static_assert(std::is_same_v<decltype(r), std::variant<int, int, std::monostate>>);
    EXPECT_EQ(r.index(), 1u);
    EXPECT_TRUE(r.index() == 1 && std::get<1>(r) == 9);
    (void)co_await fire;

    auto v = co_await select(test::Never(), nothing());
    EXPECT_EQ(v.index(), 1u);
  }(&live, &log, trig));
  EXPECT_EQ(live.load(), 0);
}

// Checks the DropCounter right when select returns. The Select is awaited as an lvalue, so it is
// still alive here: only select itself can have destroyed the losers.
Task<int> select_and_check(std::atomic<int>* live, Log* log, TriggerPtr trig) {
  auto sel = select(counted_forever(live, log, "loser1"), Triggered<int>(trig),
                    counted_forever(live, log, "loser2"));
  auto r = co_await sel;
  const int at_return = live->load();
  log->push_back("select returned, live=" + std::to_string(at_return));
  EXPECT_EQ(r.index(), 1u);
  co_return at_return;
}

TEST(Select, DestroysLosersBeforeReturning) {
  std::atomic<int> live{0};
  Log log;
  auto trig = std::make_shared<Trigger<int>>();
  auto rt = Runtime::current_thread();
  int at_return = rt.block_on([](std::atomic<int>* l, Log* lg, TriggerPtr tr) -> Task<int> {
    JoinHandle<int> h = spawn(select_and_check(l, lg, tr));
    co_await yield_now();
    EXPECT_EQ(l->load(), 2);  // both losers are suspended, holding their counters
    tr->fire(1);
    Result<int> r = co_await h;
    co_return r.value_or(-1);
  }(&live, &log, trig));
  EXPECT_EQ(at_return, 0);
  EXPECT_EQ(live.load(), 0);
  // The losers start in select's (random) polling order; both are destroyed before it returns.
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ((std::set<std::string>{log[0], log[1]}),
            (std::set<std::string>{"loser1 start", "loser2 start"}));
  EXPECT_EQ(log[2], "select returned, live=0");
}

STRATA_TEST_ALL_FLAVOURS(Select, WhenSeveralAreReadyExactlyOneWins) {
  auto rt = runtime();
  rt.block_on([]() -> Task<void> {
    for (int round = 0; round < 4; ++round) {
      int ran = 0;
      auto body = [](int* r, int id) -> Task<int> {
        ++*r;
        co_return id;
      };
      auto v = co_await select(body(&ran, 0), body(&ran, 1), body(&ran, 2));
      EXPECT_EQ(ran, 1) << "only the winner may run when it is ready at once";
      EXPECT_EQ(std::visit([](int x) { return x; }, v), static_cast<int>(v.index()));
    }
    // Two ready hand-written futures: one result, never both.
    auto w = co_await select(Ready42(), value(7));
    EXPECT_TRUE((w.index() == 0 && std::get<0>(w) == 42) ||
                (w.index() == 1 && std::get<1>(w) == 7));
  }());
}

STRATA_TEST_ALL_FLAVOURS(Select, StartsAtARandomBranchSoNoBranchStarves) {
  // Both branches are always ready: the winner is whichever is polled first. Each poll starts at
  // a random branch (like tokio's select!), so over many selects both branches win often.
  struct Always {
    int id;
    explicit Always(int i) : id(i) {}
    Poll<int> poll(Context&) { return id; }
  };
  auto rt = runtime();
  int wins1 = rt.block_on([]() -> Task<int> {
    int n = 0;
    for (int i = 0; i < 1000; ++i) {
      auto r = co_await select(Always(0), Always(1));
      n += static_cast<int>(r.index());
    }
    co_return n;
  }());
  EXPECT_GT(wins1, 300);
  EXPECT_LT(wins1, 700);
}

STRATA_TEST_ALL_FLAVOURS(Select, ExceptionPropagatesAndDestroysTheOthers) {
  std::atomic<int> live{0};
  Log log;
  auto rt = runtime();
  rt.block_on([](std::atomic<int>* l, Log* lg) -> Task<void> {
    try {
      (void)co_await select(counted_forever(l, lg, "a"), throws_after_yield(0));
      ADD_FAILURE() << "select did not throw";
    } catch (const std::runtime_error&) {
      EXPECT_EQ(l->load(), 0);
    }
    try {
      (void)co_await select(counted_forever(l, lg, "b"), throws_after_yield(3));
      ADD_FAILURE() << "select did not throw";
    } catch (const std::runtime_error&) {
      EXPECT_EQ(l->load(), 0);
    }
  }(&live, &log));
  EXPECT_EQ(live.load(), 0);
  // "a" starts only if select polled it before the branch that throws at once (random order).
  EXPECT_TRUE(log == (Log{"a start", "b start"}) || log == (Log{"b start"}));
}

}  // namespace
}  // namespace strata
