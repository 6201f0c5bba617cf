// Atomic<T>: the one door through which the runtime (include/strata/rt/**, src/rt/**) uses
// std::atomic, so that a stress build can turn every atomic operation into a scheduling point
// (the idea of tokio's loom, without its model checker).
//
// - Normal builds: `Atomic<T>` is an alias of `std::atomic<T>`: the same type, the same code.
// - STRATA_STRESS_ATOMICS builds (tests/rt/rt.cmake, `make stress`): a wrapper with the same
//   members and layout that calls stress::point() before and after each load, store,
//   read-modify-write and compare-exchange. A point yields the thread now and then, chosen by a
//   thread-local xorshift generator: interleavings that a 2-core machine almost never shows
//   (a steal between a load of `head_` and its CAS, a wake between a state check and a park)
//   become common. Seeded from STRATA_STRESS_SEED (printed at start, so a failing test's
//   output names it); STRATA_STRESS_ONE_IN sets how often a point pauses (default 1 in 16).
//
// Only std::atomic's members that the runtime uses are forwarded; add others the same way.
#pragma once

#include <atomic>
#include <cstdint>

namespace strata::detail {

#ifndef STRATA_STRESS_ATOMICS

template <class T>
using Atomic = std::atomic<T>;

#else

namespace stress {

// Per-thread generator state; 0 until the thread's first point seeds it.
inline thread_local std::uint64_t t_state = 0;
inline thread_local std::uint64_t t_mask = 0;

// src/rt/stress_atomics.cpp: seeds this thread (the process seed, read once and printed, mixed
// with the thread's creation index); pauses the thread (yields, or spins a few hundred cycles).
[[gnu::cold, gnu::noinline]] void seed_thread() noexcept;
[[gnu::noinline]] void pause(std::uint64_t r) noexcept;

// A scheduling point: pauses with probability 1 / (t_mask + 1).
inline void point() noexcept {
  if (t_state == 0) seed_thread();
  std::uint64_t x = t_state;  // xorshift64 (Marsaglia): never 0 once seeded
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  t_state = x;
  if ((x & t_mask) == 0) pause(x);
}

}  // namespace stress

template <class T>
class Atomic {
 public:
  using value_type = T;
  static constexpr bool is_always_lock_free = std::atomic<T>::is_always_lock_free;

  constexpr Atomic() noexcept = default;
  constexpr Atomic(T v) noexcept : a_(v) {}  // implicit, as std::atomic's
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;
  // seq_cst, as std::atomic's.
  T operator=(T v) noexcept {
    store(v);
    return v;
  }
  operator T() const noexcept { return load(); }

  T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
    return around([&] { return a_.load(o); });
  }
  void store(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    stress::point();
    a_.store(v, o);
    stress::point();
  }
  T exchange(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.exchange(v, o); });
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure) noexcept {
    return around([&] { return a_.compare_exchange_weak(expected, desired, success, failure); });
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.compare_exchange_weak(expected, desired, o); });
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    return around([&] { return a_.compare_exchange_strong(expected, desired, success, failure); });
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.compare_exchange_strong(expected, desired, o); });
  }
  // Integral and pointer types only (std::atomic<T> has these members for them).
  template <class D>
  T fetch_add(D d, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.fetch_add(d, o); });
  }
  template <class D>
  T fetch_sub(D d, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.fetch_sub(d, o); });
  }
  T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.fetch_and(v, o); });
  }
  T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.fetch_or(v, o); });
  }
  T fetch_xor(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
    return around([&] { return a_.fetch_xor(v, o); });
  }
  bool is_lock_free() const noexcept { return a_.is_lock_free(); }

 private:
  template <class F>
  static auto around(F f) noexcept {
    stress::point();
    auto r = f();
    stress::point();
    return r;
  }

  std::atomic<T> a_;
};

#endif  // STRATA_STRESS_ATOMICS

// Layout is the same in both builds: the structures built on Atomic (task cells, queue slots,
// cache-line-aligned counters) keep their sizes and the static_asserts on them hold.
static_assert(sizeof(Atomic<bool>) == sizeof(std::atomic<bool>));
static_assert(alignof(Atomic<bool>) == alignof(std::atomic<bool>));
static_assert(sizeof(Atomic<std::uint32_t>) == sizeof(std::atomic<std::uint32_t>));
static_assert(alignof(Atomic<std::uint32_t>) == alignof(std::atomic<std::uint32_t>));
static_assert(sizeof(Atomic<std::uint64_t>) == sizeof(std::atomic<std::uint64_t>));
static_assert(alignof(Atomic<std::uint64_t>) == alignof(std::atomic<std::uint64_t>));
static_assert(sizeof(Atomic<void*>) == sizeof(std::atomic<void*>));
static_assert(alignof(Atomic<void*>) == alignof(std::atomic<void*>));
static_assert(Atomic<std::uint64_t>::is_always_lock_free);

}  // namespace strata::detail
