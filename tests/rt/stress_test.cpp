// Multi-thread runtime stress: a million tasks with cross-thread wakes, spawn storms from inside
// and outside the runtime, shutdown while foreign threads keep spawning. Run under TSan in CI
// (label runtime), where every counter below also proves that no wake-up was lost. Sizes scale
// with STRATA_STRESS_SCALE (test_util.hpp); the defaults are CI-sized.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "strata/rt.hpp"
#include "strata/rt/sync.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

Task<void> reply_after_yield(sync::oneshot::Sender<int> tx, int v) {
  co_await yield_now();
  (void)tx.send(v);
}

Task<std::uint64_t> await_reply(sync::oneshot::Receiver<int> rx) {
  Result<int> v = co_await std::move(rx);
  co_return v ? static_cast<std::uint64_t>(*v) : 0;
}

// 1,000 rounds (scaled) of 500 sender/receiver pairs: 1,000,000 tasks. Pairs land on either
// worker (spawns go to the spawner's queue, the other worker steals), so many wakes cross threads.
TEST(Stress, AMillionTasksWithCrossThreadWakes) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  constexpr std::uint64_t kPairs = 500;
  const std::uint64_t rounds = test::stress_iters(1000);
  std::uint64_t total = rt.block_on([](std::uint64_t n_rounds) -> Task<std::uint64_t> {
    std::uint64_t sum = 0;
    std::vector<JoinHandle<std::uint64_t>> receivers;
    receivers.reserve(kPairs);
    for (std::uint64_t r = 0; r < n_rounds; ++r) {
      receivers.clear();
      for (std::uint64_t p = 0; p < kPairs; ++p) {
        auto [tx, rx] = sync::oneshot::channel<int>();
        receivers.push_back(spawn(await_reply(std::move(rx))));
        spawn(reply_after_yield(std::move(tx), static_cast<int>(p + 1))).detach();
      }
      for (auto& h : receivers) sum += *(co_await h);
    }
    co_return sum;
  }(rounds));
  EXPECT_EQ(total, rounds * kPairs * (kPairs + 1) / 2);
  RuntimeMetrics m = rt.metrics();
  EXPECT_GE(m.spawned, 2 * rounds * kPairs);
}

// Four foreign threads and a task inside the runtime spawn 100,000 tasks (scaled) each, at once.
TEST(Stress, SpawnStormFromInsideAndOutside) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  constexpr int kThreads = 4;
  const auto per_thread = static_cast<std::int64_t>(test::stress_iters(100'000));
  std::atomic<std::int64_t> done{0};
  auto work = [](std::atomic<std::int64_t>* d) -> Task<void> {
    co_await yield_now();
    d->fetch_add(1, std::memory_order_relaxed);
  };
  auto inside = rt.spawn([](std::atomic<std::int64_t>* d, auto make, std::int64_t n) -> Task<void> {
    for (std::int64_t i = 0; i < n; ++i) spawn(make(d)).detach();
    co_return;
  }(&done, work, per_thread));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, h = rt.handle()]() mutable {
      for (std::int64_t i = 0; i < per_thread; ++i) h.spawn(work(&done)).detach();
    });
  }
  for (auto& t : threads) t.join();
  const std::int64_t expected = (kThreads + 1) * per_thread;
  const auto limit =
      std::chrono::steady_clock::now() + 120s * std::max<std::int64_t>(1, per_thread / 100'000);
  while (done.load() != expected && std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(done.load(), expected);
  EXPECT_GE(rt.metrics().remote_schedules, static_cast<std::uint64_t>(kThreads * per_thread));
}

// Shutdown while foreign threads keep spawning and tasks keep spawning: spawns after the
// shutdown are refused (their handles report cancelled), nothing leaks, nothing races. Three
// rounds (scaled).
TEST(Stress, ShutdownWhileForeignThreadsSpawn) {
  const std::uint64_t rounds = test::stress_iters(3);
  for (std::uint64_t round = 0; round < rounds; ++round) {
    Runtime rt(RuntimeConfig::multi_thread(2));
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, h = rt.handle()]() mutable {
        while (!stop.load(std::memory_order_relaxed)) {
          auto j = h.spawn([]() -> Task<void> {
            spawn([]() -> Task<void> { co_await yield_now(); }()).detach();
            co_await yield_now();
          }());
          if (j.is_finished()) refused.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    std::this_thread::sleep_for(5ms);
    rt.shutdown(2s);
    std::this_thread::sleep_for(1ms);
    stop = true;
    for (auto& t : threads) t.join();
    auto late = rt.spawn([]() -> Task<int> { co_return 1; }());
    EXPECT_TRUE(late.is_finished());
  }
}

}  // namespace
}  // namespace strata
