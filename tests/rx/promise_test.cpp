#include "strata/rx/promise.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../support/flavours.hpp"
#include "strata/rt.hpp"

namespace strata::rx {
namespace {

using Log = std::vector<std::string>;

// Runs `body` as the main task of a current-thread runtime; microtasks drain after its poll.
template <class F>
void run_main(F body) {
  Runtime rt = Runtime::current_thread();
  rt.block_on([](F b) -> Task<void> {
    b();
    co_return;
  }(std::move(body)));
}

// Captures unhandled rejections while alive.
struct UnhandledLog {
  std::vector<std::exception_ptr> seen;
  UnhandledRejectionHook prev;
  UnhandledLog() {
    prev = on_unhandled_rejection([this](const std::exception_ptr& r) { seen.push_back(r); });
  }
  ~UnhandledLog() { on_unhandled_rejection(std::move(prev)); }
};

TEST(Promise, HandlersRunAfterTheSynchronousCode) {
  Log log;
  run_main([&] {
    auto p = Promise<int>::resolve(1);
    (void)p.then([&](int v) { log.push_back("then " + std::to_string(v)); });
    log.push_back("sync");
  });
  EXPECT_EQ(log, (Log{"sync", "then 1"}));
}

TEST(Promise, OutsideARuntimeHandlersWaitForRunMicrotasks) {
  int seen = 0;
  auto p = Promise<int>::resolve(7).then([&](int v) { seen = v; });
  EXPECT_EQ(seen, 0);
  EXPECT_TRUE(p.is_pending());
  EXPECT_EQ(run_microtasks(), 1u);
  EXPECT_EQ(seen, 7);
  EXPECT_TRUE(p.is_fulfilled());
}

TEST(Promise, ExecutorResolvesOnceAndItsThrowRejects) {
  Log log;
  UnhandledLog unhandled;
  run_main([&] {
    Promise<int> a([](auto resolve, auto reject) {
      resolve(1);
      resolve(2);
      reject(std::string("ignored"));
    });
    Promise<int> b([](Resolve<int>, Reject) { throw std::string("thrown"); });
    (void)a.then([&](int v) { log.push_back("a " + std::to_string(v)); });
    (void)b.catch_([&](std::exception_ptr e) {
      log.push_back("b " + *reason_as<std::string>(e));
      return 0;
    });
  });
  EXPECT_EQ(log, (Log{"a 1", "b thrown"}));
  EXPECT_TRUE(unhandled.seen.empty());
}

TEST(Promise, InterleavesChainsLikeJavaScript) {
  // a1 b1 a2 b2: each then costs one microtask turn.
  Log log;
  run_main([&] {
    auto p = Promise<void>::resolve();
    (void)p.then([&] { log.push_back("a1"); }).then([&] { log.push_back("a2"); });
    (void)p.then([&] { log.push_back("b1"); }).then([&] { log.push_back("b2"); });
  });
  EXPECT_EQ(log, (Log{"a1", "b1", "a2", "b2"}));
}

TEST(Promise, AdoptingAReturnedPromiseCostsTwoTurns) {
  // As in Node: returning a promise from a handler delays the chain by two turns.
  Log log;
  run_main([&] {
    auto p = Promise<int>::resolve(1);
    (void)p.then([&](int) { return Promise<int>::resolve(5); }).then([&](int v) {
      log.push_back("adopted " + std::to_string(v));
    });
    (void)p.then([&](int) { log.push_back("t1"); })
        .then([&] { log.push_back("t2"); })
        .then([&] { log.push_back("t3"); })
        .then([&] { log.push_back("t4"); });
  });
  EXPECT_EQ(log, (Log{"t1", "t2", "t3", "adopted 5", "t4"}));
}

TEST(Promise, MaybePromiseChoosesAtRunTime) {
  std::vector<int> seen;
  run_main([&] {
    for (int k = 0; k < 2; ++k) {
      (void)Promise<int>::resolve(k)
          .then([](int v) -> MaybePromise<int> {
            if (v == 0) return v + 10;
            return Promise<int>::resolve(v + 20);
          })
          .then([&](int v) { seen.push_back(v); });
    }
  });
  EXPECT_EQ(seen, (std::vector<int>{10, 21}));
}

TEST(Promise, FinallyPassesTheOutcomeOnAndItsThrowReplacesIt) {
  Log log;
  run_main([&] {
    (void)Promise<int>::resolve(3).finally([&] { log.push_back("f1"); }).then([&](int v) {
      log.push_back("v " + std::to_string(v));
    });
    (void)Promise<int>::reject(std::string("r"))
        .finally([&] { log.push_back("f2"); })
        .catch_([&](std::exception_ptr e) {
          log.push_back("e " + *reason_as<std::string>(e));
          return 0;
        });
    (void)Promise<int>::resolve(4)
        .finally([] { throw std::string("replaced"); })
        .catch_([&](std::exception_ptr e) {
          log.push_back("e " + *reason_as<std::string>(e));
          return 0;
        });
  });
  // Node prints the same: a throw needs no adoption, so it overtakes the passed-on outcomes.
  EXPECT_EQ(log, (Log{"f1", "f2", "e replaced", "v 3", "e r"}));
}

TEST(Promise, ResolvingWithItselfRejectsWithATypeError) {
  bool rejected = false;
  run_main([&] {
    auto pr = Promise<int>::with_resolvers();
    pr.resolve(pr.promise);
    (void)pr.promise.catch_([&](std::exception_ptr e) {
      rejected = reason_as<std::logic_error>(e).has_value();
      return 0;
    });
  });
  EXPECT_TRUE(rejected);
}

TEST(Promise, AllKeepsInputOrderAndRejectsWithTheFirstReason) {
  std::vector<int> values;
  std::string reason;
  run_main([&] {
    auto a = Promise<int>::with_resolvers();
    auto b = Promise<int>::resolve(2);
    (void)Promise<int>::all({a.promise, b}).then([&](const std::vector<int>& v) { values = v; });
    a.resolve(1);
    (void)Promise<int>::all(
        {Promise<int>::reject(std::string("x")), Promise<int>::reject(std::string("y"))})
        .catch_([&](std::exception_ptr e) {
          reason = *reason_as<std::string>(e);
          return std::vector<int>{};
        });
  });
  EXPECT_EQ(values, (std::vector<int>{1, 2}));
  EXPECT_EQ(reason, "x");
}

TEST(Promise, AnyAggregatesEveryReasonAndRejectsOnEmptyInput) {
  std::vector<std::string> reasons;
  bool empty_rejected = false;
  run_main([&] {
    (void)Promise<int>::any(
        {Promise<int>::reject(std::string("a")), Promise<int>::reject(std::string("b"))})
        .catch_([&](std::exception_ptr e) {
          auto agg = reason_as<AggregateError>(e);
          for (auto& r : agg->errors()) reasons.push_back(*reason_as<std::string>(r));
          return 0;
        });
    (void)Promise<int>::any({}).catch_([&](std::exception_ptr e) {
      empty_rejected = reason_as<AggregateError>(e)->errors().empty();
      return 0;
    });
  });
  EXPECT_EQ(reasons, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(empty_rejected);
}

TEST(Promise, RaceAndAllSettled) {
  int winner = 0;
  std::vector<bool> fulfilled;
  run_main([&] {
    auto slow = Promise<int>::with_resolvers();
    (void)Promise<int>::race({slow.promise, Promise<int>::resolve(9)}).then([&](int v) {
      winner = v;
    });
    (void)Promise<int>::all_settled(
        {Promise<int>::resolve(1), Promise<int>::reject(std::string("n"))})
        .then([&](const std::vector<Settled<int>>& s) {
          for (auto& x : s) fulfilled.push_back(x.fulfilled);
        });
    slow.resolve(1);
  });
  EXPECT_EQ(winner, 9);
  EXPECT_EQ(fulfilled, (std::vector<bool>{true, false}));
}

TEST(Promise, ReportsUnhandledRejectionsOnceTheQueueDrains) {
  UnhandledLog unhandled;
  run_main([&] {
    auto handled_late = Promise<int>::reject(std::string("late"));
    (void)Promise<int>::reject(std::string("lost"));
    // Attached by a microtask of the same drain: still handled.
    (void)Promise<void>::resolve().then(
        [handled_late] { (void)handled_late.catch_([](std::exception_ptr) { return 0; }); });
  });
  ASSERT_EQ(unhandled.seen.size(), 1u);
  EXPECT_EQ(*reason_as<std::string>(unhandled.seen[0]), "lost");
}

Task<int> forty() {
  co_await yield_now();
  co_return 40;
}

Task<void> await_promises() {
  auto p = Promise<int>::from(forty());
  int v = co_await p;
  EXPECT_EQ(v, 40);
  auto q = Promise<int>::from(spawn(forty())).map([](int x) { return x + 2; });
  int w = co_await Promise<int>::to_task(q);
  EXPECT_EQ(w, 42);
  auto r = Promise<int>::reject(std::string("no"));
  std::string caught;
  try {
    (void)co_await r;
  } catch (const std::string& s) {
    caught = s;
  }
  EXPECT_EQ(caught, "no");
}

STRATA_TEST_ALL_FLAVOURS(Promise, AwaitsTasksJoinHandlesAndRejections) {
  run(await_promises());
}

}  // namespace
}  // namespace strata::rx
