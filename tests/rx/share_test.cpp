// The typed API of share, share_replay, with_latest_from, timeout and retry's config: what the
// JSON conformance runner cannot express (tuples, connectors, error types, the runtime's real
// timers). Event orders are checked against RxJS by tests/rx/conformance.
#include "strata/rx/share.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "strata/rt.hpp"
#include "strata/rx.hpp"

namespace strata::rx {
namespace {

using namespace std::chrono_literals;

TEST(RxShare, WithLatestFromGivesTuplesOfEachType) {
  auto sch = std::make_shared<TestScheduler>();
  Subject<int> source;
  BehaviorSubject<std::string> name("a");
  Subject<double> scale;
  std::vector<std::tuple<int, std::string, double>> seen;
  auto sub = (source.observable() | with_latest_from(name.observable(), scale.observable()))
                 .subscribe([&](const auto& t) { seen.push_back(t); });
  source.next(1);  // scale has no value yet: dropped
  scale.next(0.5);
  source.next(2);
  name.next("b");
  source.next(3);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_tuple(2, std::string("a"), 0.5));
  EXPECT_EQ(seen[1], std::make_tuple(3, std::string("b"), 0.5));
  sub.unsubscribe();  // a subject's subscriber holds itself until it ends (subject.hpp)
}

TEST(RxShare, TimeoutErrorIsCatchableWithTheSeenCount) {
  auto sch = std::make_shared<TestScheduler>();
  std::size_t seen_count = 99;
  bool timed_out = false;
  auto sub = (interval(5ms, sch) | take(2) |
              concat_map([](long v) { return v == 0 ? of(v) : never<long>(); }) |
              timeout(TimeoutConfig{.each = 10ms, .first = std::nullopt, .scheduler = sch}))
                 .subscribe([](long) {},
                            [&](std::exception_ptr e) {
                              try {
                                std::rethrow_exception(e);
                              } catch (const TimeoutError& t) {
                                timed_out = true;
                                seen_count = t.seen;
                              }
                            });
  sch->flush(1s);
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(seen_count, 1u);
}

TEST(RxShare, TimeoutWithoutADurationIsRejected) {
  EXPECT_THROW((void)(of(1) | timeout(TimeoutConfig{})), std::invalid_argument);
}

TEST(RxShare, ShareWithABehaviorSubjectConnectorStartsWithItsValue) {
  Subject<int> hot;
  auto shared = hot.observable() | share({}, [] { return BehaviorSubject<int>(-1); });
  std::vector<int> a, b;
  auto sa = shared.subscribe([&](int v) { a.push_back(v); });
  hot.next(1);
  auto sb = shared.subscribe([&](int v) { b.push_back(v); });
  hot.next(2);
  EXPECT_EQ(a, (std::vector<int>{-1, 1, 2}));
  EXPECT_EQ(b, (std::vector<int>{1, 2}));
  EXPECT_EQ(hot.observer_count(), 1u);  // one connection for both
  sa.unsubscribe();
  sb.unsubscribe();
  EXPECT_EQ(hot.observer_count(), 0u);  // ref count zero: the connection is gone
}

TEST(RxShare, ShareReplayRunsTheSourceOnce) {
  int subscriptions = 0;
  auto source = defer([&] {
    ++subscriptions;
    return of<int>({1, 2, 3});
  });
  auto cached = source | share_replay(2);
  std::vector<int> a, b;
  auto sa = cached.subscribe([&](int v) { a.push_back(v); });
  auto sb = cached.subscribe([&](int v) { b.push_back(v); });
  EXPECT_EQ(subscriptions, 1);
  EXPECT_EQ(a, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(b, (std::vector<int>{2, 3}));
}

Task<void> retry_on_the_runtime(int& subscriptions, std::vector<std::string>& events) {
  auto source = defer([&] {
    ++subscriptions;
    return subscriptions < 3 ? throw_error<int>(std::string("fail")) : of(7);
  });
  auto done = std::make_shared<PromiseWithResolvers<void>>(Promise<void>::with_resolvers());
  auto sub =
      (source | retry(RetryConfig{
                    .count = 5, .delay = 2ms, .reset_on_success = false, .scheduler = nullptr}))
          .subscribe([&](int v) { events.push_back("next " + std::to_string(v)); },
                     [&, done](std::exception_ptr) {
                       events.push_back("error");
                       done->resolve();
                     },
                     [&, done] {
                       events.push_back("complete");
                       done->resolve();
                     });
  co_await done->promise;
}

TEST(RxShare, RetryDelaysOnTheRuntimeTimers) {
  int subscriptions = 0;
  std::vector<std::string> events;
  Runtime rt = Runtime::current_thread();
  rt.block_on(retry_on_the_runtime(subscriptions, events));
  EXPECT_EQ(subscriptions, 3);
  EXPECT_EQ(events, (std::vector<std::string>{"next 7", "complete"}));
}

}  // namespace
}  // namespace strata::rx
