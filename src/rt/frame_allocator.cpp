#include "strata/rt/frame_allocator.hpp"

#include <array>
#include <new>

namespace strata {

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kCacheEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kCacheEnabled = false;
#else
constexpr bool kCacheEnabled = true;
#endif
#else
constexpr bool kCacheEnabled = true;
#endif

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxBlock = 2048;
constexpr std::size_t kClasses = kMaxBlock / kGranule;
constexpr std::uint32_t kMaxPerClass = 4096;
constexpr std::uint64_t kMaxCachedBytes = 4u << 20;

struct FreeBlock {
  FreeBlock* next;
};

// One thread's cache: a free list per size class. Blocks may come from any thread's
// allocations; they all come from operator new, so any thread may return them to it.
struct ThreadCache {
  std::array<FreeBlock*, kClasses> heads{};
  std::array<std::uint32_t, kClasses> counts{};
  FrameAllocatorStats stats;
  bool dead = false;  // set at thread exit: later frees (other thread_locals) bypass the cache

  ~ThreadCache() {
    dead = true;
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* b = heads[c]) {
        heads[c] = b->next;
        ::operator delete(b, (c + 1) * kGranule);
      }
    }
  }
};

thread_local ThreadCache tls_cache;

constexpr std::size_t class_of(std::size_t size) noexcept {
  return (size + kGranule - 1) / kGranule - 1;
}

}  // namespace

FrameAllocatorStats frame_allocator_stats() noexcept {
  return tls_cache.stats;
}
bool frame_cache_enabled() noexcept {
  return kCacheEnabled;
}

namespace detail {

void* frame_alloc(std::size_t size) {
  if (kCacheEnabled && size <= kMaxBlock && size > 0) {
    ThreadCache& tc = tls_cache;
    std::size_t c = class_of(size);
    if (tc.dead) return ::operator new((c + 1) * kGranule);
    if (FreeBlock* b = tc.heads[c]) {
      tc.heads[c] = b->next;
      --tc.counts[c];
      ++tc.stats.cache_hits;
      tc.stats.cached_bytes -= (c + 1) * kGranule;
      return b;
    }
    ++tc.stats.cache_misses;
    return ::operator new((c + 1) * kGranule);
  }
  return ::operator new(size);
}

void frame_free(void* p, std::size_t size) noexcept {
  if (kCacheEnabled && size <= kMaxBlock && size > 0) {
    ThreadCache& tc = tls_cache;
    std::size_t c = class_of(size);
    std::size_t bytes = (c + 1) * kGranule;
    if (!tc.dead && tc.counts[c] < kMaxPerClass &&
        tc.stats.cached_bytes + bytes <= kMaxCachedBytes) {
      auto* b = static_cast<FreeBlock*>(p);
      b->next = tc.heads[c];
      tc.heads[c] = b;
      ++tc.counts[c];
      tc.stats.cached_bytes += bytes;
      return;
    }
    ::operator delete(p, bytes);
    return;
  }
  ::operator delete(p, size);
}

}  // namespace detail
}  // namespace strata
