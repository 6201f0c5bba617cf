// Who is searching for work and who sleeps: the multi-thread scheduler's idle protocol (tokio's
// design). Two counters share one atomic word: workers searching (trying to steal) and workers
// unparked. A new task wakes a sleeper only when nobody is searching, and at most half of the
// workers search at once, so a burst of spawns wakes workers one by one (each woken searcher that
// finds work wakes the next) instead of a thundering herd. The last searcher to park re-checks
// every queue, so a task pushed while everyone was going to sleep is never stranded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "strata/rt/detail/atomic.hpp"

namespace strata::detail {

class Idle {
 public:
  explicit Idle(std::uint32_t workers) : workers_(workers), state_(pack(0, workers)) {
    sleepers_.reserve(workers);
  }

  // Picks a parked worker to wake for new work, if waking one is useful.
  // seq_cst on every access to state_: the notifiers' loads here pair with the parkers'
  // fetch_subs in transition_to_parked() and the searchers' updates, with the seq_cst counters of
  // queued work (inject_len_) on the other side: a worker parks only after its last look at the
  // queues, and a notifier that queued work first sees it parked or searching (tokio's idle.rs).
  std::optional<std::uint32_t> worker_to_notify() {
    if (!should_wake(state_.load(std::memory_order_seq_cst))) return std::nullopt;
    std::lock_guard lock(mu_);
    if (!should_wake(state_.load(std::memory_order_seq_cst)) || sleepers_.empty())
      return std::nullopt;
    // The woken worker starts out searching.
    state_.fetch_add(pack(1, 1), std::memory_order_seq_cst);
    std::uint32_t w = sleepers_.back();
    sleepers_.pop_back();
    return w;
  }

  // Returns false when enough workers are already searching.
  bool transition_to_searching() noexcept {
    std::uint32_t s = state_.load(std::memory_order_seq_cst);
    if (2 * searching(s) >= workers_) return false;
    state_.fetch_add(pack(1, 0), std::memory_order_seq_cst);
    return true;
  }

  // Returns true when the caller was the last searcher (it must then wake another worker).
  bool transition_from_searching() noexcept {
    std::uint32_t prev = state_.fetch_sub(pack(1, 0), std::memory_order_seq_cst);
    return searching(prev) == 1;
  }

  // Returns true when the caller was the last searcher (it must re-check all queues).
  bool transition_to_parked(std::uint32_t worker, bool is_searching) {
    std::lock_guard lock(mu_);
    std::uint32_t prev = state_.fetch_sub(pack(is_searching ? 1 : 0, 1), std::memory_order_seq_cst);
    sleepers_.push_back(worker);
    return is_searching && searching(prev) == 1;
  }

  // A worker woken by I/O or a timer takes itself off the sleepers list. Returns false when
  // another thread already did (it was notified, and counted as searching).
  bool unpark_worker_by_id(std::uint32_t worker) {
    std::lock_guard lock(mu_);
    auto it = std::find(sleepers_.begin(), sleepers_.end(), worker);
    if (it == sleepers_.end()) return false;
    sleepers_.erase(it);
    state_.fetch_add(pack(0, 1), std::memory_order_seq_cst);
    return true;
  }

  bool is_parked(std::uint32_t worker) {
    std::lock_guard lock(mu_);
    return std::find(sleepers_.begin(), sleepers_.end(), worker) != sleepers_.end();
  }

  // relaxed: snapshots for metrics and tests, not used to decide anything.
  std::uint32_t num_searching() const noexcept {
    return searching(state_.load(std::memory_order_relaxed));
  }
  std::uint32_t num_unparked() const noexcept {
    return unparked(state_.load(std::memory_order_relaxed));
  }

 private:
  static constexpr std::uint32_t pack(std::uint32_t searching, std::uint32_t unparked) noexcept {
    return searching | (unparked << 16);
  }
  static constexpr std::uint32_t searching(std::uint32_t s) noexcept { return s & 0xffff; }
  static constexpr std::uint32_t unparked(std::uint32_t s) noexcept { return s >> 16; }
  bool should_wake(std::uint32_t s) const noexcept {
    return searching(s) == 0 && unparked(s) < workers_;
  }

  const std::uint32_t workers_;
  Atomic<std::uint32_t> state_;
  std::mutex mu_;
  std::vector<std::uint32_t> sleepers_;
};

}  // namespace strata::detail
