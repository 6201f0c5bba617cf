// SpinLock: a test-and-test-and-set lock for critical sections of a few instructions
// (join wakers, timer entries, channel state). Never held across a syscall or a user callback.
// After a bounded spin it yields the CPU: on an oversubscribed machine the holder may have been
// preempted, and spinning through its time slice would only delay it.
#pragma once

#include <sched.h>
#include <sys/single_threaded.h>

#include "strata/rt/detail/atomic.hpp"

namespace strata::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class SpinLock {
 public:
  void lock() noexcept {
    // A single-threaded process (a current-thread runtime without helper threads) needs no
    // atomic read-modify-write: glibc's own mutex skips it the same way. The flag turns false
    // for good when a second thread is created, which is a full barrier.
    if (__libc_single_threaded) {
      locked_.store(true, std::memory_order_relaxed);  // relaxed: no other thread exists
      return;
    }
    // acquire (here, in try_lock() and lock_contended()): pairs with the release in unlock().
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }
  bool try_lock() noexcept { return !locked_.exchange(true, std::memory_order_acquire); }
  // release: pairs with the acquiring exchanges that take the lock next.
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  // Out of line so that every lock site stays small (inlining decisions of the hot paths).
  [[gnu::noinline, gnu::cold]] void lock_contended() noexcept {
    for (unsigned spins = 0;;) {
      while (locked_.load(std::memory_order_relaxed)) {  // relaxed: the exchange below acquires
        if (++spins < kSpinsBeforeYield) {
          cpu_relax();
        } else {
          sched_yield();
        }
      }
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  static constexpr unsigned kSpinsBeforeYield = 128;
  Atomic<bool> locked_{false};
};

}  // namespace strata::detail
