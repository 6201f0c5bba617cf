// The recycling allocator behind coroutine frames and spawned task cells.
//
// Blocks are grouped in 16-byte size classes up to 2 KiB. A freed block goes to the freeing
// thread's cache and is reused by the next allocation of its class, so steady-state spawning does
// no malloc. Each thread keeps a few batches of 32 blocks per class; beyond that, whole batches go
// to a process-wide depot that any thread refills from, so blocks freed on one thread (a worker
// finishing a task) come back to the thread that allocates (a remote spawner). The depot is
// bounded (64 MiB); larger blocks and overflow go to operator new. Sanitizer builds bypass the
// cache so that ASan sees every use-after-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata {

// Counters of the calling thread's cache (depot_bytes: of the whole process), for tests and
// metrics.
struct FrameAllocatorStats {
  std::uint64_t cache_hits = 0;    // allocations served from the cache
  std::uint64_t cache_misses = 0;  // allocations that went to operator new
  std::uint64_t cached_bytes = 0;  // bytes currently held in the cache
  std::uint64_t depot_pops = 0;    // batches taken from the shared depot
  std::uint64_t depot_pushes = 0;  // batches given to the shared depot
  std::uint64_t depot_bytes = 0;   // bytes held in the depot now (all threads)
};

FrameAllocatorStats frame_allocator_stats() noexcept;
// False in sanitizer builds, where every block goes straight to operator new/delete.
bool frame_cache_enabled() noexcept;

namespace detail {
void* frame_alloc(std::size_t size);
void frame_free(void* p, std::size_t size) noexcept;
}  // namespace detail

// A standard allocator over the same per-thread caches, for small containers that are created
// and destroyed per request (a response's header list): steady state does no malloc.
//
//   std::vector<Field, RecyclingAllocator<Field>> fields;
template <class T>
struct RecyclingAllocator {
  using value_type = T;
  RecyclingAllocator() noexcept = default;
  template <class U>
  RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) { return static_cast<T*>(detail::frame_alloc(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { detail::frame_free(p, n * sizeof(T)); }
  template <class U>
  friend bool operator==(const RecyclingAllocator&, const RecyclingAllocator<U>&) noexcept {
    return true;
  }
};

}  // namespace strata
