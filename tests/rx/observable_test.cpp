#include "strata/rx/observable.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/rt.hpp"
#include "strata/rx.hpp"

namespace strata::rx {
namespace {

using namespace std::chrono_literals;

// Records every event with its virtual time in ms.
struct Recorder {
  std::shared_ptr<TestScheduler> sch;
  std::vector<std::string> events;
  template <class T>
  Observer<T> observer() {
    Observer<T> o;
    o.next = [this](const T& v) { events.push_back(stamp() + " " + std::to_string(v)); };
    o.error = [this](std::exception_ptr) { events.push_back(stamp() + " error"); };
    o.complete = [this] { events.push_back(stamp() + " complete"); };
    return o;
  }
  std::string stamp() const {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(sch->now()).count());
  }
};

using Events = std::vector<std::string>;

TEST(Observable, ExhaustMapDropsValuesWhileAnInnerRuns) {
  auto sch = std::make_shared<TestScheduler>();
  Recorder r{sch, {}};
  auto sub = (interval(4ms, sch) | take(5) | exhaust_map([sch](long n) {
                return timer(6ms, sch) | map([n](long) { return n; });
              })).subscribe(r.observer<long>());
  sch->flush();
  // 0 at 4 (inner until 10), 1 at 8 dropped, 2 at 12 (until 18), 3 at 16 dropped, 4 at 20.
  EXPECT_EQ(r.events, (Events{"10 0", "18 2", "26 4", "26 complete"}));
}

TEST(Observable, TakeUntilCompletesOnTheNotifierAndUnsubscribesTheSource) {
  auto sch = std::make_shared<TestScheduler>();
  Recorder r{sch, {}};
  auto sub = (interval(3ms, sch) | take_until(timer(10ms, sch))).subscribe(r.observer<long>());
  sch->flush();
  EXPECT_EQ(r.events, (Events{"3 0", "6 1", "9 2", "10 complete"}));
  EXPECT_EQ(sch->pending(), 0u);  // the interval was unsubscribed
}

TEST(Observable, FirstAndLastRaiseEmptyErrorOnAnEmptySource) {
  auto sch = std::make_shared<TestScheduler>();
  Recorder r{sch, {}};
  auto a =
      (of<long>({1, 2, 3}) | first([](long x) { return x > 1; })).subscribe(r.observer<long>());
  auto b = (of<long>({1, 2, 3}) | last()).subscribe(r.observer<long>());
  bool empty_error = false;
  auto c = (empty<long>() | first())
               .subscribe([](long) {},
                          [&](std::exception_ptr e) {
                            empty_error = reason_as<EmptyError>(e).has_value();
                          });
  EXPECT_EQ(r.events, (Events{"0 2", "0 complete", "0 3", "0 complete"}));
  EXPECT_TRUE(empty_error);
}

TEST(Observable, BufferTimeEmitsEverySpanAndTheRestAtCompletion) {
  auto sch = std::make_shared<TestScheduler>();
  std::vector<std::pair<long, std::size_t>> seen;
  auto sub = (interval(3ms, sch) | take(5) | buffer_time(7ms, sch))
                 .subscribe([&](const std::vector<long>& b) {
                   seen.emplace_back(
                       std::chrono::duration_cast<std::chrono::milliseconds>(sch->now()).count(),
                       b.size());
                 });
  sch->flush();
  // values at 3, 6 | 9, 12 | 15 (complete at 15)
  EXPECT_EQ(seen, (std::vector<std::pair<long, std::size_t>>{{7, 2}, {14, 2}, {15, 1}}));
}

TEST(Observable, DelayShiftsValuesAndCompletion) {
  auto sch = std::make_shared<TestScheduler>();
  Recorder r{sch, {}};
  auto sub = (of<long>({1, 2}) | delay(5ms, sch)).subscribe(r.observer<long>());
  sch->flush();
  EXPECT_EQ(r.events, (Events{"5 1", "5 2", "5 complete"}));
}

TEST(Observable, TapAndFinalizeSeeEveryPath) {
  std::vector<std::string> log;
  auto sub = (of<long>({1}) |
              tap([&](long v) { log.push_back("tap " + std::to_string(v)); }, nullptr,
                  [&] { log.push_back("tap complete"); }) |
              finalize([&] { log.push_back("finalize"); }))
                 .subscribe([&](long) { log.push_back("next"); }, nullptr,
                            [&] { log.push_back("complete"); });
  EXPECT_EQ(log,
            (std::vector<std::string>{"tap 1", "next", "tap complete", "complete", "finalize"}));
}

TEST(Observable, UnsubscribeRunsTeardownOnceAndNestedChildren) {
  int outer = 0, inner = 0;
  auto src = create<long>([&](const Subscriber<long>& s) {
    Subscription child;
    child.add([&] { ++inner; });
    s.add(child);
    s.add([&] { ++outer; });
  });
  auto sub = src.subscribe([](long) {});
  sub.unsubscribe();
  sub.unsubscribe();
  EXPECT_EQ(outer, 1);
  EXPECT_EQ(inner, 1);
}

TEST(Observable, SubscriberStopsAfterErrorAndAProducerThrowErrors) {
  std::vector<std::string> log;
  auto src = create<long>([](const Subscriber<long>& s) {
    s.next(1);
    throw std::runtime_error("producer failed");
  });
  auto sub = src.subscribe(
      [&](long) { log.push_back("next"); },
      [&](std::exception_ptr e) { log.push_back(reason_as<std::runtime_error>(e)->what()); });
  EXPECT_EQ(log, (std::vector<std::string>{"next", "producer failed"}));
  EXPECT_TRUE(sub.closed());
}

TEST(Observable, AsyncSubjectEmitsTheLastValueOnCompletion) {
  AsyncSubject<long> s;
  std::vector<long> early, late;
  auto a = s.observable().subscribe([&](long v) { early.push_back(v); });
  s.next(1);
  s.next(2);
  EXPECT_TRUE(early.empty());
  s.complete();
  auto b = s.observable().subscribe([&](long v) { late.push_back(v); });
  EXPECT_EQ(early, (std::vector<long>{2}));
  EXPECT_EQ(late, (std::vector<long>{2}));
}

TEST(Observable, SubjectForgetsUnsubscribedObservers) {
  Subject<long> s;
  auto a = s.observable().subscribe([](long) {});
  auto b = s.observable().subscribe([](long) {});
  EXPECT_EQ(s.observer_count(), 2u);
  a.unsubscribe();
  EXPECT_EQ(s.observer_count(), 1u);
  b.unsubscribe();
  EXPECT_EQ(s.observer_count(), 0u);
}

// A subscriber that is never unsubscribed is freed with its subject (no self-owning teardown).
TEST(Observable, SubjectDoesNotLeakSubscribersNeverUnsubscribed) {
  auto token = std::make_shared<int>(0);
  {
    Subject<long> s;
    BehaviorSubject<long> b(1);
    ReplaySubject<long> r;
    (void)s.observable().subscribe([token](long) {});
    (void)b.observable().subscribe([token](long) {});
    (void)r.observable().subscribe([token](long) {});
    s.next(1);
    EXPECT_EQ(token.use_count(), 4);
  }
  EXPECT_EQ(token.use_count(), 1);  // every observer (and its callback's copy) is gone
}

TEST(Observable, LongLivedParentDoesNotGrowWithFinishedInners) {
  auto sch = std::make_shared<TestScheduler>();
  long last = -1;
  auto sub = (interval(1ms, sch) | merge_map([](long n) {
                return of<long>({n});
              })).subscribe([&](long v) { last = v; });
  sch->advance_to(1000ms);
  EXPECT_EQ(last, 999);
  EXPECT_EQ(sch->pending(), 1u);  // only the interval's next tick
  sub.unsubscribe();
  EXPECT_EQ(sch->pending(), 0u);
}

Task<void> runtime_timers_and_promises() {
  auto sch = runtime_scheduler();
  std::vector<long> ticks;
  auto done = Promise<void>::with_resolvers();
  auto sub =
      (interval(2ms, sch) | take(3))
          .subscribe([&](long v) { ticks.push_back(v); }, nullptr, [done] { done.resolve(); });
  co_await done.promise;
  EXPECT_EQ(ticks, (std::vector<long>{0, 1, 2}));
  long from_promise = 0;
  auto p = Promise<long>::resolve(7);
  auto sub2 = from(p).subscribe([&](long v) { from_promise = v; });
  co_await yield_now();
  EXPECT_EQ(from_promise, 7);
}

TEST(Observable, RunsOnTheRuntimeTimersAndFromAPromise) {
  Runtime rt = Runtime::current_thread();
  rt.block_on(runtime_timers_and_promises());
}

}  // namespace
}  // namespace strata::rx
