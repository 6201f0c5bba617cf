// rx across threads: SyncSubject fed from the workers of a multi-thread runtime, observe_on and
// subscribe_on moving the work onto another runtime. Run under TSan too (docs/rx.md).
#include "strata/rx/observe_on.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "strata/rt.hpp"
#include "strata/rx.hpp"

namespace strata::rx {
namespace {

using namespace std::chrono_literals;

constexpr long producers = 4;
constexpr long per_producer = 2000;

Task<void> produce(SyncSubject<long> subject, long id) {
  for (long i = 0; i < per_producer; ++i) {
    subject.next(id * per_producer + i);
    if (i % 64 == 0) co_await yield_now();
  }
}

Task<void> produce_all(SyncSubject<long> subject) {
  std::vector<JoinHandle<void>> hs;
  for (long id = 0; id < producers; ++id) hs.push_back(spawn(produce(subject, id)));
  for (auto& h : hs) (void)co_await h;
}

// What the downstream saw; written only by the target runtime's drain task.
struct Seen {
  std::vector<long> values;
  std::vector<std::thread::id> threads;
  int completions = 0;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::promise<void> done;
};

Observer<long> recording(Seen& seen) {
  Observer<long> o;
  o.next = [&seen](long v) {
    int now = seen.in_flight.fetch_add(1) + 1;
    int max = seen.max_in_flight.load();
    while (now > max && !seen.max_in_flight.compare_exchange_weak(max, now)) {
    }
    seen.values.push_back(v);
    seen.threads.push_back(std::this_thread::get_id());
    seen.in_flight.fetch_sub(1);
  };
  o.complete = [&seen] {
    ++seen.completions;
    seen.done.set_value();
  };
  return o;
}

std::thread::id worker_thread(Runtime& rt) {
  return rt.block_on([]() -> Task<std::thread::id> { co_return std::this_thread::get_id(); }());
}

// Several workers feed one SyncSubject; observe_on(handle) of a one-worker runtime delivers
// every value there, one at a time, each producer's values in its order.
void check_fan_in(std::uint32_t producer_workers, std::uint32_t target_workers) {
  Runtime target(RuntimeConfig::multi_thread(target_workers));
  Runtime source(RuntimeConfig::multi_thread(producer_workers));
  SyncSubject<long> subject;
  Seen seen;
  auto sub = (subject.observable() | observe_on(target.handle()) | take(producers * per_producer))
                 .subscribe(recording(seen));
  source.block_on(produce_all(subject));
  ASSERT_EQ(seen.done.get_future().wait_for(20s), std::future_status::ready);
  EXPECT_EQ(seen.completions, 1);
  ASSERT_EQ(seen.values.size(), static_cast<std::size_t>(producers * per_producer));
  std::vector<long> next(producers, 0);
  for (long v : seen.values) {
    long id = v / per_producer;
    EXPECT_EQ(v % per_producer, next[id]) << "producer " << id << " out of order";
    next[id] = v % per_producer + 1;
  }
  EXPECT_EQ(seen.max_in_flight.load(), 1);
  if (target_workers == 1) {
    auto tid = worker_thread(target);
    for (auto& t : seen.threads) ASSERT_EQ(t, tid);
  }
  // take() finished the downstream on the target (its finalizer runs just after the completion
  // we waited for): the source side leaves the subject at a next value after that, on the
  // emitting thread. Bounded: at most 2000 tries, 1 ms apart.
  for (int i = 0; i < 2000 && subject.observer_count() > 0; ++i) {
    subject.next(-1);
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(subject.observer_count(), 0u);
  EXPECT_EQ(seen.values.size(), static_cast<std::size_t>(producers * per_producer));
}

TEST(RxThreads, SubjectFedFromTwoWorkersArrivesOnOneExecutorThread) {
  check_fan_in(2, 1);
}

TEST(RxThreads, SubjectFedFromFourWorkersArrivesSeriallyOnATwoWorkerRuntime) {
  check_fan_in(4, 2);
}

// The downstream finishing on the target (take) stops a source that runs forever: the source
// side sees the flag at its next value and unsubscribes from the subject.
TEST(RxThreads, DownstreamFinishingOnTheTargetStopsTheSource) {
  Runtime target(RuntimeConfig::multi_thread(1));
  Runtime source(RuntimeConfig::multi_thread(2));
  SyncSubject<long> subject;
  Seen seen;
  auto sub =
      (subject.observable() | observe_on(target.handle()) | take(100)).subscribe(recording(seen));
  long sent = source.block_on([](SyncSubject<long> s) -> Task<long> {
    long n = 0;
    // Bounded: stops once the subject has no observer left, or after a million values.
    while (s.observer_count() > 0 && n < 1'000'000) {
      s.next(n++);
      if (n % 32 == 0) co_await yield_now();
    }
    co_return n;
  }(subject));
  ASSERT_EQ(seen.done.get_future().wait_for(20s), std::future_status::ready);
  EXPECT_LT(sent, 1'000'000);
  EXPECT_EQ(seen.values.size(), 100u);
  EXPECT_EQ(subject.observer_count(), 0u);
}

// subscribe_on(handle): the source's subscribe function runs on the target runtime.
TEST(RxThreads, SubscribeOnRunsTheSubscriptionOnTheTarget) {
  Runtime target(RuntimeConfig::multi_thread(1));
  auto tid = worker_thread(target);
  std::promise<std::thread::id> subscribed_on;
  Seen seen;
  auto source = create<long>([&subscribed_on](const Subscriber<long>& s) {
    subscribed_on.set_value(std::this_thread::get_id());
    s.next(1);
    s.next(2);
    s.complete();
  });
  auto sub = (source | subscribe_on(target.handle())).subscribe(recording(seen));
  auto f = subscribed_on.get_future();
  ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(f.get(), tid);
  ASSERT_EQ(seen.done.get_future().wait_for(20s), std::future_status::ready);
  EXPECT_EQ(seen.values, (std::vector<long>{1, 2}));
  for (auto& t : seen.threads) EXPECT_EQ(t, tid);
}

// Cancelling a subscribe_on whose action has not run yet, from another thread: never subscribes.
TEST(RxThreads, SubscribeOnCancelledBeforeItRunsNeverSubscribes) {
  Runtime target(RuntimeConfig::multi_thread(1));
  std::atomic<int> subscriptions{0};
  auto source = create<long>([&subscriptions](const Subscriber<long>&) { ++subscriptions; });
  SchedulerRef sch = executor_scheduler(target.handle());
  auto sub = (source | subscribe_on(sch, 50ms)).subscribe([](long) {});
  sub.unsubscribe();
  target.block_on(sleep(100ms));
  EXPECT_EQ(subscriptions.load(), 0);
}

}  // namespace
}  // namespace strata::rx
