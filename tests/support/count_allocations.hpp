// Counts calls to the global operator new, for tests that prove a path allocates nothing.
//
//   #include "../support/count_allocations.hpp"   // in exactly ONE source file of the binary
//   allocations = 0; counting = true;  run();  counting = false;
//   EXPECT_EQ(allocations.load(), 0);
//
// It replaces the global operator new/delete, so a test binary that includes it must keep its
// allocation tests to itself. `counted_thread` (per thread, default true) excludes threads
// whose allocations do not matter, e.g. a test's client thread.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

// g++ flags free() inside a replaced operator delete as mismatched; the pair here is consistent.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

inline std::atomic<bool> counting{false};
inline std::atomic<long> allocations{0};
inline thread_local bool counted_thread = true;

void* operator new(std::size_t n) {
  if (counting.load(std::memory_order_relaxed) && counted_thread) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
