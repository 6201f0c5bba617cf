// Proves that steady-state spawning allocates nothing: this binary replaces the global
// operator new to count every allocation made while tasks are spawned, run and completed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "strata/rt.hpp"
#include "strata/rt/sync.hpp"

#include "../support/count_allocations.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

Task<int> leaf(int v) {
  co_return v;
}

Task<int> child(int v) {
  co_await yield_now();
  co_return co_await leaf(v) + 1;
}

// Spawns `n` tasks (each awaiting a nested coroutine and yielding once) and awaits them all.
Task<long> spawn_batch(int n) {
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    auto h = spawn(child(i));
    auto r = co_await h;
    sum += *r;
  }
  co_return sum;
}

class CountAllocations {
 public:
  CountAllocations() {
    allocations = 0;
    counting = true;
  }
  ~CountAllocations() { counting = false; }
  long count() const { return allocations.load(); }
};

TEST(FrameAllocator, SteadyStateSpawnDoesNoMalloc) {
  if (!frame_cache_enabled())
    GTEST_SKIP() << "sanitizer build: the frame cache is bypassed by design";
  auto rt = Runtime::current_thread();
  long expected = 0;
  for (int i = 0; i < 1000; ++i) expected += i + 1;
  // Warm-up fills the per-thread frame cache and the runtime's reusable buffers.
  EXPECT_EQ(rt.block_on(spawn_batch(1000)), expected);
  auto before = frame_allocator_stats();
  long n;
  {
    CountAllocations c;
    // The block_on root task itself is a spawn too: also served from the cache.
    long sum = rt.block_on(spawn_batch(1000));
    n = c.count();
    EXPECT_EQ(sum, expected);
  }
  EXPECT_EQ(n, 0) << "operator new was called " << n << " times while spawning 1000 tasks";
  auto after = frame_allocator_stats();
  EXPECT_GE(after.cache_hits - before.cache_hits, 3000u);  // a cell and two frames per task
  EXPECT_EQ(after.cache_misses, before.cache_misses);
}

TEST(FrameAllocator, SteadyStateSleepDoesNoMalloc) {
  if (!frame_cache_enabled())
    GTEST_SKIP() << "sanitizer build: the frame cache is bypassed by design";
  auto rt = Runtime::current_thread();
  auto sleeper = []() -> Task<int> {
    for (int i = 0; i < 3; ++i) co_await sleep(1ms);
    co_return 1;
  };
  EXPECT_EQ(rt.block_on(sleeper()), 1);
  long n;
  {
    CountAllocations c;
    EXPECT_EQ(rt.block_on(sleeper()), 1);
    n = c.count();
  }
  EXPECT_EQ(n, 0);
}

TEST(FrameAllocator, ReusesFreedBlocksOfTheSameClass) {
  if (!frame_cache_enabled())
    GTEST_SKIP() << "sanitizer build: the frame cache is bypassed by design";
  void* a = detail::frame_alloc(100);
  detail::frame_free(a, 100);
  void* b = detail::frame_alloc(110);  // same 16-byte class as 100 (112)
  EXPECT_EQ(a, b);
  detail::frame_free(b, 110);
  void* big = detail::frame_alloc(1 << 20);  // beyond the cache: plain operator new
  detail::frame_free(big, 1 << 20);
}

// More live blocks than a thread's cache keeps: the surplus waits in the shared depot instead of
// going back to malloc, so a second round of the same size mallocs nothing.
TEST(FrameAllocator, SurplusBeyondTheThreadCacheIsRecycledThroughTheDepot) {
  if (!frame_cache_enabled())
    GTEST_SKIP() << "sanitizer build: the frame cache is bypassed by design";
  constexpr std::size_t kBlocks = 10'000;
  constexpr std::size_t kSize = 200;
  std::vector<void*> blocks(kBlocks);
  for (auto& b : blocks) b = detail::frame_alloc(kSize);
  auto before_free = frame_allocator_stats();
  for (void* b : blocks) detail::frame_free(b, kSize);
  auto after_free = frame_allocator_stats();
  EXPECT_GT(after_free.depot_pushes, before_free.depot_pushes);
  EXPECT_GT(after_free.depot_bytes, 0u);
  for (auto& b : blocks) b = detail::frame_alloc(kSize);
  auto after_alloc = frame_allocator_stats();
  EXPECT_EQ(after_alloc.cache_misses, after_free.cache_misses);
  EXPECT_GT(after_alloc.depot_pops, after_free.depot_pops);
  for (void* b : blocks) detail::frame_free(b, kSize);
}

// Remote spawns: the main thread allocates every task's cell and frame, the workers free them.
// Batches freed on the workers come back to the spawning thread through the depot: after two
// warm-up rounds, spawning from outside the runtime mallocs nothing. Every task of a round waits
// at a gate until all are spawned, so each round has the same number of live blocks whatever the
// timing.
TEST(FrameAllocator, FramesFreedOnWorkersReturnToTheRemoteSpawner) {
  if (!frame_cache_enabled())
    GTEST_SKIP() << "sanitizer build: the frame cache is bypassed by design";
  // Gates outlive the runtime: a task may still drop its permit after it counted itself done.
  std::vector<std::unique_ptr<sync::Semaphore>> gates;
  Runtime rt(RuntimeConfig::multi_thread(2));
  std::atomic<int> done{0};
  auto task = [](std::atomic<int>* d, sync::Semaphore* gate) -> Task<void> {
    auto permit = co_await gate->acquire();
    d->fetch_add(1, std::memory_order_release);
  };
  auto round = [&](int n) {
    sync::Semaphore* gate = gates.emplace_back(std::make_unique<sync::Semaphore>(0)).get();
    done = 0;
    for (int i = 0; i < n; ++i) (void)rt.spawn(task(&done, gate));  // detached
    gate->add_permits(static_cast<std::size_t>(n));
    while (done.load(std::memory_order_acquire) != n) std::this_thread::yield();
  };
  round(4096);
  round(4096);
  auto before = frame_allocator_stats();
  round(2048);
  auto after = frame_allocator_stats();
  EXPECT_EQ(after.cache_misses, before.cache_misses);
  EXPECT_GT(after.depot_pops, before.depot_pops);
}

}  // namespace
}  // namespace strata
