// A worker's bounded run queue: single producer (the owning worker), multiple consumers (the
// owner pops, other workers steal half). The algorithm is tokio's (a Chase-Lev variant):
//
//   head = (steal << 32 | real): `real` is the next task to pop; `steal` lags behind `real` while
//   a stealer is copying tasks out, which tells the owner and other stealers that slots between
//   `steal` and `real` are still being read. `tail` is written only by the owner.
//
// push_back() never blocks: when the ring is full, half of it moves to the injection queue in one
// batch (or the task goes there directly while a steal is in progress). Slots are atomics
// accessed relaxed; head/tail acquire/release order the slot accesses.
//
// Capacity: 256 tasks, or STRATA_LOCAL_QUEUE_CAPACITY (a power of two, at least 4). The rt test
// builds with the `q4` suffix (tests/rt/rt.cmake) shrink it to 4, as tokio's loom builds do, so
// overflow to the injection queue and steals happen in ordinary multi-thread tests.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "../task_queue.hpp"
#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/task_cell.hpp"

namespace strata::detail {

class LocalQueue {
 public:
#ifdef STRATA_LOCAL_QUEUE_CAPACITY
  static constexpr std::uint32_t kCapacity = STRATA_LOCAL_QUEUE_CAPACITY;
#else
  static constexpr std::uint32_t kCapacity = 256;
#endif
  static_assert(kCapacity >= 4 && std::has_single_bit(kCapacity),
                "the local queue's capacity is a power of two, at least 4");
  static constexpr std::uint32_t kMask = kCapacity - 1;

  LocalQueue() {
    // relaxed: the queue is not shared before the worker threads start (thread creation orders).
    for (auto& s : buffer_) s.store(nullptr, std::memory_order_relaxed);
  }

  // Owner only. Tasks that do not fit are appended to `overflow` (the caller pushes that batch to
  // the injection queue); returns true when that happened.
  bool push_back(TaskHeader* t, TaskQueue& overflow) noexcept {
    for (;;) {
      // acquire: pairs with the acq_rel CAS in steal_into2() that releases a steal claim, so
      // the stealer's reads of the slots we are about to overwrite happen before our writes.
      std::uint64_t head = head_.load(std::memory_order_acquire);
      std::uint32_t steal = unpack_steal(head), real = unpack_real(head);
      // relaxed: only this thread (the owner) writes tail_.
      std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      if (tail - steal < kCapacity) {
        // relaxed: published by the release store of tail_ just below.
        buffer_[tail & kMask].store(t, std::memory_order_relaxed);
        // release: pairs with the acquire loads of tail_ in steal_into2() and len(); a stealer
        // that sees the new tail sees the slot (and the task) written before it.
        tail_.store(tail + 1, std::memory_order_release);
        return false;
      }
      if (steal != real) {
        // A stealer is freeing room; do not wait for it.
        overflow.push(t);
        return true;
      }
      if (push_overflow(t, real, tail, overflow)) return true;
      // A stealer moved head meanwhile: retry.
    }
  }

  // Owner only.
  TaskHeader* pop() noexcept {
    // acquire: pairs with a stealer's releasing CAS (as in push_back()); the CAS below re-checks.
    std::uint64_t head = head_.load(std::memory_order_acquire);
    std::uint32_t real;
    for (;;) {
      std::uint32_t steal = unpack_steal(head);
      real = unpack_real(head);
      std::uint32_t tail = tail_.load(std::memory_order_relaxed);  // owner-written: relaxed
      if (real == tail) return nullptr;
      std::uint32_t next_real = real + 1;
      std::uint64_t next = steal == real ? pack(next_real, next_real) : pack(steal, next_real);
      // acq_rel: claims slot `real` against stealers' CASes on head_ (acquire their claims'
      // releases, release ours to the next stealer); failure acquire for the same reason.
      if (head_.compare_exchange_weak(head, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        break;
    }
    // relaxed: this thread wrote the slot (push_back) and the claim above keeps stealers off it.
    return buffer_[real & kMask].load(std::memory_order_relaxed);
  }

  // Any thread: moves about half of this queue into `dst` (owned by the calling worker) and
  // returns one of the stolen tasks to run at once, or nullptr.
  TaskHeader* steal_into(LocalQueue& dst) noexcept {
    // relaxed: the caller owns dst, so it is the only writer of dst.tail_.
    std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
    // acquire: pairs with the releasing CAS of a thread stealing from dst, whose slot reads must
    // happen before steal_into2() overwrites them.
    std::uint32_t dst_steal = unpack_steal(dst.head_.load(std::memory_order_acquire));
    if (dst_tail - dst_steal > kCapacity / 2) return nullptr;  // dst has no room for half
    std::uint32_t n = steal_into2(dst, dst_tail);
    if (n == 0) return nullptr;
    --n;
    // relaxed: this thread wrote the slot in steal_into2().
    TaskHeader* ret = dst.buffer_[(dst_tail + n) & kMask].load(std::memory_order_relaxed);
    // release: publishes the copied slots to dst's stealers (acquire loads of tail_), as in
    // push_back().
    if (n > 0) dst.tail_.store(dst_tail + n, std::memory_order_release);
    return ret;
  }

  // Approximate length (any thread).
  // acquire on both: pairs with the releases in push_back()/steal_into2() (tokio does the same);
  // the result is a hint either way, callers re-check with the CASes.
  std::uint32_t len() const noexcept {
    std::uint32_t steal = unpack_steal(head_.load(std::memory_order_acquire));
    return tail_.load(std::memory_order_acquire) - steal;
  }
  bool has_tasks() const noexcept {
    return len() != 0;
  }

 private:
  static constexpr std::uint32_t unpack_steal(std::uint64_t v) noexcept {
    return static_cast<std::uint32_t>(v >> 32);
  }
  static constexpr std::uint32_t unpack_real(std::uint64_t v) noexcept {
    return static_cast<std::uint32_t>(v);
  }
  static constexpr std::uint64_t pack(std::uint32_t steal, std::uint32_t real) noexcept {
    return (std::uint64_t{steal} << 32) | real;
  }

  bool push_overflow(TaskHeader* t, std::uint32_t head, std::uint32_t tail,
                     TaskQueue& overflow) noexcept {
    constexpr std::uint32_t n = kCapacity / 2;
    (void)tail;
    std::uint64_t prev = pack(head, head);
    // Claim the oldest half; fails if a stealer raced us. release (tokio's choice): the claim
    // moves head_ past slots only this thread reads from now on; the next stealer's acquire of
    // head_ orders its later reads after our earlier slot writes. Failure relaxed: the caller
    // reloads head_ with acquire in push_back().
    if (!head_.compare_exchange_strong(prev, pack(head + n, head + n), std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return false;
    }
    // relaxed: this thread wrote these slots, and the claim above keeps stealers off them.
    for (std::uint32_t i = 0; i < n; ++i)
      overflow.push(buffer_[(head + i) & kMask].load(std::memory_order_relaxed));
    overflow.push(t);
    return true;
  }

  std::uint32_t steal_into2(LocalQueue& dst, std::uint32_t dst_tail) noexcept {
    // acquire: pairs with the owner's pop()/push_overflow() CASes and other stealers' releases.
    std::uint64_t prev = head_.load(std::memory_order_acquire);
    std::uint64_t next;
    std::uint32_t n;
    for (;;) {
      std::uint32_t steal = unpack_steal(prev), real = unpack_real(prev);
      // acquire: pairs with the release store of tail_ in push_back(): the slots up to `tail`
      // (and the tasks they point to) are visible.
      std::uint32_t tail = tail_.load(std::memory_order_acquire);
      if (steal != real) return 0;  // another worker is stealing
      n = tail - real;
      n -= n / 2;
      if (n == 0) return 0;
      next = pack(steal, real + n);
      // acq_rel: the claim; acquire orders the slot reads below after the owner's writes (with
      // the tail_ acquire above), release hands our view to the owner and other stealers.
      if (head_.compare_exchange_weak(prev, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        break;
    }
    std::uint32_t first = unpack_steal(next);
    // relaxed: the source slots were published by the tail_ acquire above and are claimed; the
    // destination slots are published by the release store of dst.tail_ in steal_into().
    for (std::uint32_t i = 0; i < n; ++i) {
      TaskHeader* t = buffer_[(first + i) & kMask].load(std::memory_order_relaxed);
      dst.buffer_[(dst_tail + i) & kMask].store(t, std::memory_order_relaxed);
    }
    // Release the claim: steal catches up with real (which the owner may have advanced).
    prev = next;
    for (;;) {
      std::uint32_t real = unpack_real(prev);
      // acq_rel: release pairs with the owner's acquire of head_ in push_back(): our slot reads
      // above happen before it overwrites those slots.
      if (head_.compare_exchange_weak(prev, pack(real, real), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return n;
      }
    }
  }

  alignas(64) Atomic<std::uint64_t> head_{0};
  alignas(64) Atomic<std::uint32_t> tail_{0};
  std::array<Atomic<TaskHeader*>, kCapacity> buffer_;
};

}  // namespace strata::detail
