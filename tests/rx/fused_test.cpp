// Operator fusion (strata/rx/fused.hpp): a chain of fused operators keeps the semantics the
// per-operator subscribers had, and allocates nothing per value. Its own binary: it counts
// allocations by replacing the global operator new.
#include "strata/rx/fused.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "strata/rx.hpp"

#include "../support/count_allocations.hpp"

namespace {

using namespace strata::rx;

// 0, 1, 2, ... up to `n` values, while the subscriber is open; counts what it emitted and how
// often it was subscribed.
struct Counted {
  long emitted = 0;
  int subscriptions = 0;
};
Observable<long> counted_range(long n, Counted& c) {
  return create<long>([n, &c](const Subscriber<long>& s) {
    ++c.subscriptions;
    for (long i = 0; i < n && !s.closed(); ++i) {
      ++c.emitted;
      s.next(i);
    }
    s.complete();
  });
}

TEST(Fused, AnOperatorChainIsOneFusedObservable) {
  auto chain = of(1, 2, 3, 4) | map([](int x) { return x * 10; }) |
               filter([](int x) { return x != 20; }) | take(2);
  static_assert(std::is_same_v<decltype(chain)::value_type, int>);
  static_assert(std::tuple_size_v<std::decay_t<decltype(chain.ops())>> == 3);
  std::vector<int> seen;
  bool done = false;
  chain.subscribe([&](int v) { seen.push_back(v); }, nullptr, [&] { done = true; });
  EXPECT_EQ(seen, (std::vector<int>{10, 30}));
  EXPECT_TRUE(done);
}

TEST(Fused, AnErasedChainBehavesTheSameAndExtends) {
  Observable<int> erased = of(1, 2, 3, 4) | map([](int x) { return x * 10; });
  auto more = erased | filter([](int x) { return x > 10; }) | take(2);
  std::vector<int> a;
  std::vector<int> b;
  more.subscribe([&](int v) { a.push_back(v); });
  Observable<int>(more).subscribe([&](int v) { b.push_back(v); });
  EXPECT_EQ(a, (std::vector<int>{20, 30}));
  EXPECT_EQ(b, a);
}

TEST(Fused, TakeUnsubscribesASynchronousSourceAtOnce) {
  Counted c;
  std::vector<long> seen;
  bool done = false;
  (counted_range(1'000'000, c) | map([](long x) { return x * 2; }) |
   filter([](long x) { return x % 3 != 0; }) | take(3))
      .subscribe([&](long v) { seen.push_back(v); }, nullptr, [&] { done = true; });
  EXPECT_EQ(seen, (std::vector<long>{2, 4, 8}));
  EXPECT_TRUE(done);
  EXPECT_EQ(c.emitted, 5);  // 0..4: the source saw its subscriber close after the third value
}

TEST(Fused, TakeZeroCompletesWithoutSubscribingTheSource) {
  Counted c;
  int completions = 0;
  int upstream_taps = 0;
  (counted_range(10, c) | tap([&](long) { ++upstream_taps; }) | take(0) |
   tap([](long) {}, nullptr, [&] { ++completions; }))
      .subscribe([](long) {});
  EXPECT_EQ(c.subscriptions, 0);
  EXPECT_EQ(upstream_taps, 0);
  EXPECT_EQ(completions, 1);
}

TEST(Fused, AStageSeesNoCompletionOnceTheOutputClosed) {
  // The inner take(1) completes the output; the outer take(1)'s completion then reaches a
  // closed chain, so tap's complete callback never runs (as in RxJS).
  int tap_completions = 0;
  int done = 0;
  std::vector<int> seen;
  (of(1, 2, 3) | take(1) | tap([](int) {}, nullptr, [&] { ++tap_completions; }) | take(1))
      .subscribe([&](int v) { seen.push_back(v); }, nullptr, [&] { ++done; });
  EXPECT_EQ(seen, (std::vector<int>{1}));
  EXPECT_EQ(done, 1);
  EXPECT_EQ(tap_completions, 0);
}

TEST(Fused, AProjectionErrorPassesThroughTapsErrorCallback) {
  std::vector<std::string> events;
  (of(1, 2, 3) | map([](int x) {
     if (x == 2) throw std::runtime_error("two");
     return x;
   }) |
   tap([&](int v) { events.push_back("tap " + std::to_string(v)); },
       [&](std::exception_ptr) { events.push_back("tap error"); }))
      .subscribe([&](int v) { events.push_back("next " + std::to_string(v)); },
                 [&](std::exception_ptr e) {
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::runtime_error& err) {
                     events.push_back(std::string("error ") + err.what());
                   }
                 });
  EXPECT_EQ(events, (std::vector<std::string>{"tap 1", "next 1", "tap error", "error two"}));
}

TEST(Fused, AnObserverThatThrowsIsErroredOnBothPaths) {
  auto chain = of(1, 2, 3) | map([](int x) { return x; });
  for (int erased = 0; erased < 2; ++erased) {
    std::vector<int> seen;
    int errors = 0;
    auto on_next = [&](int v) {
      seen.push_back(v);
      if (v == 2) throw std::runtime_error("observer");
    };
    auto on_error = [&](std::exception_ptr) { ++errors; };
    if (erased) {
      Observable<int>(chain).subscribe(on_next, on_error);
    } else {
      chain.subscribe(on_next, on_error);
    }
    EXPECT_EQ(seen, (std::vector<int>{1, 2})) << erased;
    EXPECT_EQ(errors, 1) << erased;
  }
}

TEST(Fused, StateAndIndexesAreFreshForEachSubscription) {
  auto chain = of(5, 5, 6) | distinct_until_changed() |
               map([](int v, std::size_t i) { return v * 10 + static_cast<int>(i); }) |
               scan([](int acc, int v) { return acc + v; }, 0);
  for (int round = 0; round < 2; ++round) {
    std::vector<int> seen;
    chain.subscribe([&](int v) { seen.push_back(v); });
    EXPECT_EQ(seen, (std::vector<int>{50, 111})) << round;
  }
}

TEST(Fused, ReentrantValuesRunThroughTheChainInRxJsOrder) {
  Subject<int> subject;
  std::vector<int> seen;
  auto sub = (subject.observable() | map([](int x) { return x + 100; }) | tap([&](int v) {
                if (v == 101) subject.next(2);
              }) |
              take(3))
                 .subscribe([&](int v) { seen.push_back(v); });
  subject.next(1);
  subject.next(3);
  subject.next(4);
  EXPECT_EQ(seen, (std::vector<int>{102, 101, 103}));
  EXPECT_TRUE(sub.closed());
  EXPECT_EQ(subject.observer_count(), 0u);
}

TEST(Fused, UnsubscribingFromAnObserverStopsTheSource) {
  Counted c;
  std::vector<long> seen;
  std::optional<Subscriber<long>> dest;
  Observer<long> o;
  o.next = [&](long v) {
    seen.push_back(v);
    if (v == 4) dest->unsubscribe();
  };
  dest.emplace(o);
  (counted_range(100, c) | map([](long x) { return x; }) | filter([](long) {
     return true;
   })).subscribe(*dest);
  EXPECT_EQ(seen, (std::vector<long>{0, 1, 2, 3, 4}));
  EXPECT_EQ(c.emitted, 5);
}

TEST(Fused, AChainAllocatesNothingPerValue) {
  auto subscribe_n = [](long n) {
    Counted c;
    long sum = 0;
    allocations = 0;
    counting = true;
    {
      auto sub =
          (counted_range(n, c) | map([](long x) { return x * 2; }) |
           filter([](long x) { return x % 3 != 0; }) |
           scan([](long acc, long x) { return acc + x; }, 0L) | take(n) | distinct_until_changed() |
           skip(1) | take_while([](long) { return true; }) | tap([](long) {
           })).subscribe([&sum](long v) { sum += v; });
    }
    counting = false;
    EXPECT_GT(sum, 0);
    return allocations.load();
  };
  long few = subscribe_n(10);
  long many = subscribe_n(100'000);
  EXPECT_EQ(few, many);  // all of them at subscription
}

}  // namespace
