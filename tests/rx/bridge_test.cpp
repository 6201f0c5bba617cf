// Channels to Observables and back (strata/rx/bridge.hpp): completion, cancellation, and what a
// fast producer does to the buffer under each overflow policy.
#include "strata/rx/bridge.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/rt.hpp"
#include "strata/rx.hpp"

namespace strata::rx {
namespace {

using namespace std::chrono_literals;

Task<void> send_range(sync::mpsc::Sender<int> tx, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = co_await tx.send(i);
    if (!r) co_return;
  }
}

Task<std::vector<std::string>> collect_from_channel() {
  auto [tx, rx] = sync::mpsc::channel<int>(4);
  std::vector<std::string> events;
  auto done = std::make_shared<PromiseWithResolvers<void>>(Promise<void>::with_resolvers());
  auto sub = from(std::move(rx))
                 .subscribe([&](int v) { events.push_back(std::to_string(v)); },
                            [&, done](std::exception_ptr) {
                              events.push_back("error");
                              done->resolve();
                            },
                            [&, done] {
                              events.push_back("complete");
                              done->resolve();
                            });
  (void)spawn(send_range(std::move(tx), 5));
  co_await done->promise;
  co_return events;
}

TEST(RxBridge, FromReceiverEmitsUntilEverySenderIsGone) {
  Runtime rt = Runtime::current_thread();
  EXPECT_EQ(rt.block_on(collect_from_channel()),
            (std::vector<std::string>{"0", "1", "2", "3", "4", "complete"}));
}

Task<bool> unsubscribe_closes_channel() {
  auto [tx, rx] = sync::mpsc::channel<int>(4);
  std::vector<int> seen;
  auto sub = (from(std::move(rx)) | take(2)).subscribe([&](int v) { seen.push_back(v); });
  for (int i = 0; i < 2; ++i) (void)co_await tx.send(i);
  for (int i = 0; i < 10 && !tx.is_closed(); ++i) co_await yield_now();
  co_return tx.is_closed() && seen == std::vector<int>{0, 1};
}

TEST(RxBridge, UnsubscribingDropsTheReceiver) {
  Runtime rt = Runtime::current_thread();
  EXPECT_TRUE(rt.block_on(unsubscribe_closes_channel()));
}

TEST(RxBridge, AReceiverObservableSubscribesOnce) {
  Runtime rt = Runtime::current_thread();
  rt.block_on([]() -> Task<void> {
    auto [tx, rx] = sync::mpsc::channel<int>(1);
    auto o = from(std::move(rx));
    auto first = o.subscribe([](int) {});
    bool errored = false;
    auto second = o.subscribe([](int) {}, [&](std::exception_ptr) { errored = true; });
    EXPECT_TRUE(errored);
    first.unsubscribe();
    co_return;
  }());
}

// A synchronous source of n values, counting how many it emitted before being stopped.
Observable<int> burst(int n, int& emitted) {
  return create<int>([n, &emitted](const Subscriber<int>& s) {
    for (int i = 0; i < n && !s.closed(); ++i) {
      ++emitted;
      s.next(i);
    }
    s.complete();
  });
}

template <class T>
Task<std::vector<T>> drain(ObservableStream<T>& stream, std::string& error) {
  std::vector<T> out;
  try {
    while (std::optional<T> v = co_await stream.next()) out.push_back(*v);
  } catch (const OverflowError&) {
    error = "overflow";
  } catch (const std::string& e) {
    error = e;
  }
  co_return out;
}

constexpr int burst_size = 100'000;
constexpr std::size_t capacity = 64;

TEST(RxBridge, DropOldestKeepsTheLatestValuesWithinTheBound) {
  Runtime rt = Runtime::current_thread();
  int emitted = 0;
  auto stream = to_stream(burst(burst_size, emitted),
                          StreamConfig{.capacity = capacity, .overflow = Overflow::drop_oldest});
  std::string error;
  auto values = rt.block_on(drain(stream, error));
  ASSERT_EQ(values.size(), capacity);
  EXPECT_EQ(values.front(), burst_size - static_cast<int>(capacity));
  EXPECT_EQ(values.back(), burst_size - 1);
  EXPECT_EQ(stream.dropped(), burst_size - capacity);
  EXPECT_EQ(stream.max_buffered(), capacity);
  EXPECT_EQ(error, "");
}

TEST(RxBridge, DropNewestKeepsTheFirstValues) {
  Runtime rt = Runtime::current_thread();
  int emitted = 0;
  auto stream = to_stream(burst(burst_size, emitted),
                          StreamConfig{.capacity = capacity, .overflow = Overflow::drop_newest});
  std::string error;
  auto values = rt.block_on(drain(stream, error));
  ASSERT_EQ(values.size(), capacity);
  EXPECT_EQ(values.front(), 0);
  EXPECT_EQ(values.back(), static_cast<int>(capacity) - 1);
  EXPECT_EQ(stream.dropped(), burst_size - capacity);
}

TEST(RxBridge, OverflowErrorStopsTheSourceAfterTheBufferedValues) {
  Runtime rt = Runtime::current_thread();
  int emitted = 0;
  auto stream = to_stream(burst(burst_size, emitted),
                          StreamConfig{.capacity = capacity, .overflow = Overflow::error});
  std::string error;
  auto values = rt.block_on(drain(stream, error));
  EXPECT_EQ(values.size(), capacity);
  EXPECT_EQ(error, "overflow");
  EXPECT_EQ(emitted, static_cast<int>(capacity) + 1);  // the source stopped at the overflow
}

TEST(RxBridge, TheSourceErrorComesAfterTheBufferedValues) {
  Runtime rt = Runtime::current_thread();
  auto source = concat<int>({of<int>({1, 2}), throw_error<int>(std::string("boom"))});
  auto stream = to_stream(source);
  std::string error;
  auto values = rt.block_on(drain(stream, error));
  EXPECT_EQ(values, (std::vector<int>{1, 2}));
  EXPECT_EQ(error, "boom");
}

Task<std::vector<long>> consume_all(ObservableStream<long>& stream) {
  std::vector<long> out;
  while (std::optional<long> v = co_await stream.next()) out.push_back(*v);
  co_return out;
}

Task<void> produce_fast(SyncSubject<long> subject, long n) {
  for (long i = 0; i < n; ++i) {
    subject.next(i);
    if (i % 256 == 0) co_await yield_now();
  }
  subject.complete();
}

// A producer on one runtime's workers, the consumer on another: the buffer stays within its
// bound, values arrive in order, the last value always arrives (drop_oldest).
TEST(RxBridge, CrossThreadFastProducerStaysBounded) {
  constexpr long n = 50'000;
  Runtime consumer(RuntimeConfig::multi_thread(1));
  Runtime producer(RuntimeConfig::multi_thread(2));
  SyncSubject<long> subject;
  auto stream = to_stream(subject.observable(),
                          StreamConfig{.capacity = 16, .overflow = Overflow::drop_oldest});
  auto h = consumer.spawn(consume_all(stream));
  producer.block_on(produce_fast(subject, n));
  auto values = consumer.block_on(std::move(h));
  ASSERT_TRUE(values.has_value());
  ASSERT_FALSE(values->empty());
  EXPECT_EQ(values->back(), n - 1);
  for (std::size_t i = 1; i < values->size(); ++i) ASSERT_LT((*values)[i - 1], (*values)[i]);
  EXPECT_LE(stream.max_buffered(), 16u);
  EXPECT_EQ(values->size() + stream.dropped(), static_cast<std::size_t>(n));
}

}  // namespace
}  // namespace strata::rx
