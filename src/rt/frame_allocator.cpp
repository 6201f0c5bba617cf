// Frame allocator: per-thread caches of fixed-size batches, and a shared depot between threads.
//
// Why a depot: with a per-thread cache alone, a block freed on another thread than the one that
// allocated it stays in the freeing thread's cache. A thread that only spawns (a remote spawner,
// an acceptor) then mallocs every frame while the workers' caches fill up and overflow into
// free(). Here a thread's cache keeps at most kLocalBatches full batches per size class and hands
// further full batches to the depot, from which any thread takes a whole batch when its own cache
// is empty: one spin-locked push or pop per kBatch blocks. The same bound serves a thread with
// more live tasks than its cache holds (10,000 spawned at once): the surplus parks in the depot
// instead of going back to malloc.
#include "strata/rt/frame_allocator.hpp"

#include <array>
#include <mutex>
#include <new>

#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/sanitizers.hpp"
#include "strata/rt/detail/spin_lock.hpp"

namespace strata {

namespace {

constexpr bool kCacheEnabled = !detail::kSanitizedBuild;

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxBlock = 2048;
constexpr std::size_t kClasses = kMaxBlock / kGranule;
constexpr std::uint32_t kBatch = 32;        // blocks moved between a thread and the depot at once
constexpr std::uint32_t kLocalBatches = 8;  // full batches a thread keeps per class
constexpr std::uint64_t kMaxCachedBytes = 4u << 20;  // per thread
constexpr std::uint64_t kMaxDepotBytes = 64u << 20;  // whole process

// A free block. `next` links the blocks of one batch (null-terminated after kBatch blocks);
// `next_batch` links batches and is meaningful in a batch's first block only.
struct FreeBlock {
  FreeBlock* next;
  FreeBlock* next_batch;
};
static_assert(sizeof(FreeBlock) <= kGranule);

constexpr std::size_t class_of(std::size_t size) noexcept {
  return (size + kGranule - 1) / kGranule - 1;
}
constexpr std::size_t class_bytes(std::size_t c) noexcept {
  return (c + 1) * kGranule;
}

void delete_batch(FreeBlock* b, std::size_t c) noexcept {
  while (b) {
    FreeBlock* next = b->next;
    ::operator delete(b, class_bytes(c));
    b = next;
  }
}

// The shared depot: a stack of full batches per class. Trivially destructible and constant
// initialised, so it outlives every thread's cache (thread exit returns batches to it).
struct alignas(64) DepotClass {
  detail::SpinLock lock;
  detail::Atomic<FreeBlock*> batches{nullptr};  // written under `lock`; read unlocked to peek
};
constinit std::array<DepotClass, kClasses> g_depot{};
constinit detail::Atomic<std::uint64_t> g_depot_bytes{0};

// Takes ownership of a full batch; frees it if the depot is at its bound.
void depot_push(std::size_t c, FreeBlock* batch) noexcept {
  const std::uint64_t bytes = std::uint64_t{kBatch} * class_bytes(c);
  // relaxed (all of g_depot_bytes): a soft bound and a statistic; concurrent pushes may pass
  // the bound by a batch each, which is fine. The batch list itself is ordered by d.lock.
  if (g_depot_bytes.load(std::memory_order_relaxed) + bytes > kMaxDepotBytes) {
    delete_batch(batch, c);
    return;
  }
  g_depot_bytes.fetch_add(bytes, std::memory_order_relaxed);
  DepotClass& d = g_depot[c];
  std::lock_guard lock(d.lock);
  // relaxed: written only under d.lock; the atomic exists for depot_pop()'s unlocked peek.
  batch->next_batch = d.batches.load(std::memory_order_relaxed);
  d.batches.store(batch, std::memory_order_relaxed);
}

FreeBlock* depot_pop(std::size_t c) noexcept {
  DepotClass& d = g_depot[c];
  // Unlocked peek: an empty class costs one load, not a lock. relaxed: a stale answer only
  // means a miss (allocate fresh) or a locked re-check below.
  if (d.batches.load(std::memory_order_relaxed) == nullptr) return nullptr;
  FreeBlock* batch;
  {
    std::lock_guard lock(d.lock);
    batch = d.batches.load(std::memory_order_relaxed);  // under d.lock: relaxed
    if (!batch) return nullptr;
    d.batches.store(batch->next_batch, std::memory_order_relaxed);
  }
  g_depot_bytes.fetch_sub(std::uint64_t{kBatch} * class_bytes(c), std::memory_order_relaxed);
  return batch;
}

// One class of one thread's cache: the batch being used (`current`, up to kBatch blocks) and a
// stack of full batches.
struct ClassCache {
  FreeBlock* current = nullptr;
  std::uint32_t current_count = 0;
  std::uint32_t full_count = 0;
  FreeBlock* full = nullptr;
};

struct ThreadCache {
  std::array<ClassCache, kClasses> classes{};
  FrameAllocatorStats stats;
  bool dead = false;  // set at thread exit: later frees (other thread_locals) bypass the cache

  ~ThreadCache() {
    dead = true;
    for (std::size_t c = 0; c < kClasses; ++c) {
      ClassCache& cc = classes[c];
      while (FreeBlock* b = cc.full) {
        cc.full = b->next_batch;
        depot_push(c, b);  // still useful to the threads that stay
      }
      delete_batch(cc.current, c);
    }
  }

  // The current batch is empty: refill it from a local full batch or from the depot.
  bool refill(std::size_t c) noexcept {
    ClassCache& cc = classes[c];
    FreeBlock* batch = cc.full;
    if (batch) {
      cc.full = batch->next_batch;
      --cc.full_count;
    } else {
      batch = depot_pop(c);
      if (!batch) return false;
      stats.cached_bytes += std::uint64_t{kBatch} * class_bytes(c);
      ++stats.depot_pops;
    }
    cc.current = batch;
    cc.current_count = kBatch;
    return true;
  }

  // The current batch is full: keep it as a full batch, or give it to the depot.
  void spill(std::size_t c) noexcept {
    ClassCache& cc = classes[c];
    FreeBlock* batch = cc.current;
    cc.current = nullptr;
    cc.current_count = 0;
    if (cc.full_count < kLocalBatches && stats.cached_bytes <= kMaxCachedBytes) {
      batch->next_batch = cc.full;
      cc.full = batch;
      ++cc.full_count;
      return;
    }
    stats.cached_bytes -= std::uint64_t{kBatch} * class_bytes(c);
    ++stats.depot_pushes;
    depot_push(c, batch);
  }
};

thread_local ThreadCache tls_cache;

}  // namespace

FrameAllocatorStats frame_allocator_stats() noexcept {
  FrameAllocatorStats s = tls_cache.stats;
  s.depot_bytes = g_depot_bytes.load(std::memory_order_relaxed);  // a statistic
  return s;
}
bool frame_cache_enabled() noexcept {
  return kCacheEnabled;
}

namespace detail {

void* frame_alloc(std::size_t size) {
  if (kCacheEnabled && size <= kMaxBlock && size > 0) {
    ThreadCache& tc = tls_cache;
    const std::size_t c = class_of(size);
    if (!tc.dead) {
      ClassCache& cc = tc.classes[c];
      if (cc.current || tc.refill(c)) {
        FreeBlock* b = cc.current;
        cc.current = b->next;
        --cc.current_count;
        ++tc.stats.cache_hits;
        tc.stats.cached_bytes -= class_bytes(c);
        return b;
      }
      ++tc.stats.cache_misses;
    }
    return ::operator new(class_bytes(c));
  }
  return ::operator new(size);
}

void frame_free(void* p, std::size_t size) noexcept {
  if (kCacheEnabled && size <= kMaxBlock && size > 0) {
    ThreadCache& tc = tls_cache;
    const std::size_t c = class_of(size);
    if (tc.dead) {
      ::operator delete(p, class_bytes(c));
      return;
    }
    ClassCache& cc = tc.classes[c];
    if (cc.current_count == kBatch) tc.spill(c);
    auto* b = static_cast<FreeBlock*>(p);
    b->next = cc.current;
    cc.current = b;
    ++cc.current_count;
    tc.stats.cached_bytes += class_bytes(c);
    return;
  }
  ::operator delete(p, size);
}

}  // namespace detail
}  // namespace strata
