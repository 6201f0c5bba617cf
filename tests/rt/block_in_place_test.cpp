// block_in_place(): the worker's other tasks, timers and I/O keep running on another thread
// while the calling task blocks; the task then continues on its own thread with its core back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

// Spins (sleeping) until `flag` is set or `limit` passes; returns whether it was set.
bool wait_for_flag(const std::atomic<bool>& flag, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!flag.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

Task<void> set_after_sleep(std::atomic<bool>* flag) {
  co_await sleep(2ms);  // a timer of the worker's timer wheel: needs the handed-off core
  flag->store(true, std::memory_order_release);
}

// With one worker, the only thread that could run the other task is the one blocking: without
// the hand-off this would wait for the flag until the limit and fail.
TEST(BlockInPlace, OtherTasksOfTheWorkerRunMeanwhile) {
  Runtime rt(RuntimeConfig::multi_thread(1));
  bool seen = rt.block_on([]() -> Task<bool> {
    std::atomic<bool> flag{false};
    auto h = spawn(set_after_sleep(&flag));
    bool ok = block_in_place([&] { return wait_for_flag(flag); });
    co_await h;
    co_return ok;
  }());
  EXPECT_TRUE(seen);
}

TEST(BlockInPlace, ReturnsTheValueAndTheTaskContinuesWithTimers) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  std::string out = rt.block_on([]() -> Task<std::string> {
    std::string local = "borrowed";
    std::string r = block_in_place([&] { return local + " from the frame"; });
    co_await sleep(1ms);  // the core is back: timers work again
    block_in_place([&] { r += "!"; });
    co_await yield_now();
    co_return r;
  }());
  EXPECT_EQ(out, "borrowed from the frame!");
}

TEST(BlockInPlace, ExceptionsPropagateAndTheCoreIsTakenBack) {
  Runtime rt(RuntimeConfig::multi_thread(1));
  int v = rt.block_on([]() -> Task<int> {
    int caught = 0;
    try {
      block_in_place([]() -> int { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom" ? 1 : 0;
    }
    co_await sleep(1ms);
    co_return caught;
  }());
  EXPECT_EQ(v, 1);
}

// Inside the function the thread is not a worker: spawn() goes to the runtime (and the task
// runs while the function still blocks), timers and sockets are refused with a clear error.
TEST(BlockInPlace, InsideTheFunctionSpawnWorksButTimersAndSocketsAreRefused) {
  Runtime rt(RuntimeConfig::multi_thread(1));
  bool ok = rt.block_on([]() -> Task<bool> {
    std::atomic<bool> ran{false};
    bool refused_socket = false;
    bool spawned_ran = block_in_place([&] {
      (void)spawn([](std::atomic<bool>* r) -> Task<void> {
        r->store(true, std::memory_order_release);
        co_return;
      }(&ran));
      int fds[2];
      if (pipe(fds) == 0) {
        try {
          (void)IoRegistration::create(fds[0]);
        } catch (const std::logic_error&) {
          refused_socket = true;
        }
        close(fds[0]);
        close(fds[1]);
      }
      return wait_for_flag(ran);
    });
    co_return spawned_ran&& refused_socket;
  }());
  EXPECT_TRUE(ok);
}

TEST(BlockInPlace, NestedCallsRunInline) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  int v = rt.block_on([]() -> Task<int> {
    int r = block_in_place([] { return block_in_place([] { return 41; }) + 1; });
    co_return r;
  }());
  EXPECT_EQ(v, 42);
}

TEST(BlockInPlace, CurrentThreadRuntimeRefusesOutsideARuntimeRunsInline) {
  auto rt = Runtime::current_thread();
  bool threw = rt.block_on([]() -> Task<bool> {
    try {
      block_in_place([] {});
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  }());
  EXPECT_TRUE(threw);
  EXPECT_EQ(block_in_place([] { return 7; }), 7);
}

// Many tasks block at once on two workers while others ping each other: every blocking call
// returns, every ping arrives, and the cores end up back with worker loops. 50 rounds (scaled).
TEST(BlockInPlace, StressManyConcurrentCallsWithTrafficAround) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  constexpr int kBlockers = 64;
  constexpr int kPingers = 64;
  const int rounds = static_cast<int>(test::stress_iters(50));
  long total = rt.block_on([](int n_rounds) -> Task<long> {
    std::vector<JoinHandle<long>> hs;
    for (int i = 0; i < kBlockers; ++i) {
      hs.push_back(spawn([](int id, int blocks) -> Task<long> {
        long sum = 0;
        for (int r = 0; r < blocks; ++r) {
          sum += block_in_place([id] {
            std::this_thread::sleep_for(100us);
            return static_cast<long>(id);
          });
          co_await yield_now();
        }
        co_return sum;
      }(i, n_rounds / 10)));
    }
    for (int i = 0; i < kPingers; ++i) {
      hs.push_back(spawn([](int pings) -> Task<long> {
        long n = 0;
        for (int r = 0; r < pings; ++r) {
          co_await yield_now();
          ++n;
        }
        co_return n;
      }(n_rounds)));
    }
    long sum = 0;
    for (auto& h : hs) sum += *(co_await h);
    co_return sum;
  }(rounds));
  long expected = static_cast<long>(kPingers) * rounds;
  for (int i = 0; i < kBlockers; ++i) expected += static_cast<long>(i) * (rounds / 10);
  EXPECT_EQ(total, expected);
}

// Shutdown while a task is inside block_in_place: shutdown waits for the function to return,
// the task is destroyed at its next suspension point, nothing leaks (ASan) or races (TSan).
TEST(BlockInPlace, ShutdownWaitsForTheBlockingFunction) {
  Runtime rt(RuntimeConfig::multi_thread(2));
  std::atomic<bool> entered{false};
  std::atomic<bool> returned{false};
  std::atomic<bool> resumed_after{false};
  auto h = rt.spawn(
      [](std::atomic<bool>* in, std::atomic<bool>* out, std::atomic<bool>* after) -> Task<void> {
        block_in_place([&] {
          in->store(true, std::memory_order_release);
          std::this_thread::sleep_for(50ms);
          out->store(true, std::memory_order_release);
        });
        co_await sleep(10s);  // cancelled by the shutdown
        after->store(true);
      }(&entered, &returned, &resumed_after));
  ASSERT_TRUE(wait_for_flag(entered));
  rt.shutdown();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(resumed_after.load());
  EXPECT_TRUE(h.is_finished());
}

}  // namespace
}  // namespace strata
