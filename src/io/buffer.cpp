// The per-thread buffer pool: a free list per size class, bounded by bytes per thread.
#include "strata/io/buffer.hpp"

#include <array>
#include <new>

#include "strata/rt/detail/sanitizers.hpp"

namespace strata::io {

namespace {

constexpr bool kCacheEnabled = !strata::detail::kSanitizedBuild;

constexpr std::array<std::size_t, 3> kClassSize{BufferPool::small_size, BufferPool::medium_size,
                                                BufferPool::large_size};
constexpr std::uint32_t kUnpooled = 0xffffffff;

std::size_t alloc_size(std::size_t capacity) noexcept {
  return sizeof(detail::BufferBlock) + capacity;
}

detail::BufferBlock* new_block(std::uint32_t cls, std::size_t capacity) {
  void* mem = ::operator new (alloc_size(capacity), std::align_val_t{alignof(detail::BufferBlock)});
  auto* b = new (mem) detail::BufferBlock;
  b->size_class = cls;
  b->capacity = capacity;
  return b;
}

void free_block(detail::BufferBlock* b) noexcept {
  const std::size_t n = alloc_size(b->capacity);
  b->~BufferBlock();
  ::operator delete (static_cast<void*>(b), n, std::align_val_t{alignof(detail::BufferBlock)});
}

struct ThreadPool {
  std::array<detail::BufferBlock*, kClassSize.size()> heads{};
  BufferPoolStats stats;
  std::size_t max_bytes = 4u << 20;

  void trim() noexcept {
    for (auto& head : heads) {
      while (detail::BufferBlock* b = head) {
        head = b->next;
        free_block(b);
      }
    }
    stats.cached_bytes = 0;
    stats.cached_blocks = 0;
  }
  ~ThreadPool() { trim(); }
};

// Set once this thread's pool is destroyed: blocks released later (by other thread_local
// destructors) are freed directly. Trivially destructible, so it outlives the pool.
thread_local bool tls_pool_dead = false;
struct PoolGuard {
  ThreadPool pool;
  ~PoolGuard() { tls_pool_dead = true; }
};
thread_local PoolGuard tls_pool;

}  // namespace

namespace detail {

void release_block(BufferBlock* b) noexcept {
  if (b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (!kCacheEnabled || b->size_class == kUnpooled || tls_pool_dead) return free_block(b);
  ThreadPool& p = tls_pool.pool;
  if (p.stats.cached_bytes + b->capacity > p.max_bytes) return free_block(b);
  b->refs.store(1, std::memory_order_relaxed);
  b->next = p.heads[b->size_class];
  p.heads[b->size_class] = b;
  p.stats.cached_bytes += b->capacity;
  ++p.stats.cached_blocks;
}

}  // namespace detail

Buffer BufferPool::acquire(std::size_t min_capacity) {
  std::uint32_t cls = 0;
  while (cls < kClassSize.size() && kClassSize[cls] < min_capacity) ++cls;
  if (cls == kClassSize.size()) return Buffer(new_block(kUnpooled, min_capacity));
  ThreadPool& p = tls_pool.pool;
  if (detail::BufferBlock* b = p.heads[cls]) {
    p.heads[cls] = b->next;
    b->next = nullptr;
    p.stats.cached_bytes -= b->capacity;
    --p.stats.cached_blocks;
    ++p.stats.hits;
    return Buffer(b);
  }
  ++p.stats.misses;
  return Buffer(new_block(cls, kClassSize[cls]));
}

BufferPoolStats BufferPool::stats() noexcept {
  return tls_pool.pool.stats;
}

void BufferPool::trim() noexcept {
  tls_pool.pool.trim();
}

void BufferPool::set_max_cached_bytes(std::size_t bytes) noexcept {
  ThreadPool& p = tls_pool.pool;
  p.max_bytes = bytes;
  if (p.stats.cached_bytes > bytes) p.trim();
}

std::size_t BufferPool::max_cached_bytes() noexcept {
  return tls_pool.pool.max_bytes;
}

bool BufferPool::caching_enabled() noexcept {
  return kCacheEnabled;
}

}  // namespace strata::io
