// Shared pieces of the runtime micro-benchmarks (strata-bench-rt).
//
// The workloads re-implement shared/bench/tokio-rt one for one (same sizes, same clock reads, same
// completion signalling) so that the numbers can be read beside tokio's current-thread runtime.
// Everything the runtime does not provide yet (tokio's Notify and oneshot) is written here,
// minimal but thread-safe, because tokio's counterparts are thread-safe too.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/rt.hpp"

namespace strata_bench {

using strata::Context;
using strata::Poll;
using strata::Waker;

// ---------------------------------------------------------------------------------------------
// Clock: steady_clock (CLOCK_MONOTONIC through the vDSO, like Rust's Instant), as ns since a
// process-wide base.

inline const std::chrono::steady_clock::time_point g_clock_base = std::chrono::steady_clock::now();

inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now() - g_clock_base)
                                        .count());
}

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "strata-bench-rt: check failed: %s\n", what);
  std::abort();
}
inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// ---------------------------------------------------------------------------------------------
// Notify: tokio::sync::Notify reduced to one waiter. notify_one() stores a permit and wakes the
// registered waiter, if any; `co_await n.notified()` consumes the permit or registers the task's
// waker and suspends. A mutex guards the permit and the waker (tokio's Notify takes its waiter
// lock on the same paths: registering, and notifying a registered waiter). The waker is woken
// outside the lock.

class Notify {
 public:
  void notify_one() noexcept {
    Waker w;
    {
      std::lock_guard lock(mu_);
      permit_ = true;
      w = std::move(waker_);
    }
    std::move(w).wake();  // a no-op when nobody was registered
  }

  struct Notified {
    Notify* n;
    Poll<void> poll(Context& cx) {
      std::lock_guard lock(n->mu_);
      if (n->permit_) {
        n->permit_ = false;
        return strata::ready;
      }
      if (!n->waker_.will_wake(cx.waker())) n->waker_ = cx.waker();
      return strata::pending;
    }
  };
  Notified notified() noexcept { return {this}; }

 private:
  std::mutex mu_;
  bool permit_ = false;
  Waker waker_;
};

// ---------------------------------------------------------------------------------------------
// Oneshot: a single-use channel (tokio::sync::oneshot). One heap state shared by the two ends
// (refcount 2). `bits` publishes the value (kSent), a dropped sender (kClosed) and a registered
// receiver waker (kRxWaker). The receiver only writes its waker while kRxWaker is clear; the
// sender only reads it after observing kRxWaker in the same atomic that publishes the value, so
// the two never touch the waker at the same time.

struct Unit {};

template <class T>
class Oneshot {
  struct State {
    std::atomic<std::uint32_t> bits{0};
    std::atomic<std::uint32_t> refs{2};
    std::optional<T> value;
    Waker rx_waker;
  };
  static constexpr std::uint32_t kSent = 1, kClosed = 2, kRxWaker = 4;

  static void unref(State* s) noexcept {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
  }
  // Publishes `bit` and wakes the receiver if it registered a waker.
  static void publish(State* s, std::uint32_t bit) noexcept {
    std::uint32_t b = s->bits.fetch_or(bit, std::memory_order_acq_rel);
    if (b & kRxWaker) s->rx_waker.wake_by_ref();
    unref(s);
  }

 public:
  class Sender {
   public:
    explicit Sender(State* s) noexcept : s_(s) {}
    Sender(Sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Sender& operator=(Sender&&) = delete;
    ~Sender() {
      if (s_) publish(std::exchange(s_, nullptr), kClosed);
    }
    void send(T v) && {
      State* s = std::exchange(s_, nullptr);
      s->value.emplace(std::move(v));
      publish(s, kSent);
    }

   private:
    State* s_;
  };

  // A Future: Ready(value), or Ready(nullopt) when the sender was dropped without sending.
  class Receiver {
   public:
    explicit Receiver(State* s) noexcept : s_(s) {}
    Receiver(Receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Receiver& operator=(Receiver&&) = delete;
    ~Receiver() {
      if (s_) unref(s_);
    }

    Poll<std::optional<T>> poll(Context& cx) {
      std::uint32_t b = s_->bits.load(std::memory_order_acquire);
      if (b & (kSent | kClosed)) return take(b);
      if (b & kRxWaker) {
        if (s_->rx_waker.will_wake(cx.waker())) return strata::pending;
        // Take the waker slot back before replacing the waker.
        b = s_->bits.fetch_and(~kRxWaker, std::memory_order_acq_rel);
        if (b & (kSent | kClosed)) return take(b);
      }
      s_->rx_waker = cx.waker();
      b = s_->bits.fetch_or(kRxWaker, std::memory_order_acq_rel);
      if (b & (kSent | kClosed)) return take(b);
      return strata::pending;
    }

   private:
    std::optional<T> take(std::uint32_t b) {
      if (b & kSent) return std::move(s_->value);
      return std::nullopt;
    }
    State* s_;
  };

  static std::pair<Sender, Receiver> channel() {
    auto* s = new State;
    return {Sender(s), Receiver(s)};
  }
};

// ---------------------------------------------------------------------------------------------
// Small futures.

// Polls `*f` exactly once: Ready(true) if it completed, Ready(false) if it was pending (it then
// stays armed until *f is destroyed).
template <class F>
struct PollOnce {
  F* f;
  Poll<bool> poll(Context& cx) { return f->poll(cx).is_ready(); }
};

// Always ready.
struct ReadyUnit {
  Poll<void> poll(Context&) noexcept { return strata::ready; }
};

// Polls the inner future; on its first poll, which must be Pending (the waiter is registered and
// the task is about to suspend), stores `val` in `flag` (tokio-rt's PublishWhenPending).
template <class F>
struct PublishWhenPending {
  F inner;
  std::atomic<std::uint64_t>* flag;
  std::uint64_t val;
  bool first = true;

  Poll<void> poll(Context& cx) {
    Poll<void> r = inner.poll(cx);
    if (first) {
      first = false;
      check(r.is_pending(), "wake_latency_thread: the waiter found a stray permit");
      flag->store(val, std::memory_order_release);
    }
    return r;
  }
};

// ---------------------------------------------------------------------------------------------
// Count-down completion signal (tokio-rt's `Done`): armed to the number of work units; each unit
// counts down once, and the one that reaches zero reads t1, stores the elapsed time since start()
// and notifies.

struct CountDown {
  std::atomic<std::size_t> remaining{0};
  std::atomic<std::uint64_t> t0{0};
  std::atomic<std::uint64_t> elapsed{0};
  Notify notify;

  void arm(std::size_t n) noexcept { remaining.store(n, std::memory_order_relaxed); }
  void start() noexcept { t0.store(now_ns(), std::memory_order_release); }
  void count_down() noexcept {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::uint64_t t1 = now_ns();
      elapsed.store(t1 - t0.load(std::memory_order_acquire), std::memory_order_release);
      notify.notify_one();
    }
  }
  // Main thread: drives the runtime until the last unit counted down.
  void wait(strata::Runtime& rt) { rt.block_on(notify.notified()); }
};

// ---------------------------------------------------------------------------------------------
// Results: every benchmark reports per-operation values through Google Benchmark counters and
// also records them here, for the tokio-rt style summary tables and JSON written by main().

struct Record {
  std::string bench;
  std::string unit;
  bool latency = false;        // values are raw latency samples (ns), not per-sample values
  std::vector<double> values;  // per-sample ns per operation, or latency samples
};

// Replaces an earlier record of the same bench (Google Benchmark calls a benchmark function
// several times while it settles the iteration count; the last call is the reported one).
void record(Record r);
const std::vector<Record>& records();

struct Dist {
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};
// Nearest-rank percentiles (sorted[ceil(q*n) - 1]), as tokio-rt.
Dist distribution(std::vector<double> v);
double median(std::vector<double> v);

// Collects one per-operation value per iteration of a benchmark (one iteration = one sample of
// the tokio-rt workload) and reports them: counters ns_per_op (mean over iterations), median and
// min; the unit goes in the label.
class PerOp {
 public:
  PerOp(std::string bench, std::string unit) : bench_(std::move(bench)), unit_(std::move(unit)) {}
  void add(double ns_per_op) { v_.push_back(ns_per_op); }
  void report(benchmark::State& state);

 private:
  std::string bench_;
  std::string unit_;
  std::vector<double> v_;
};

// Latency samples (ns): counters min/p50/p90/p99/p999/max/mean.
void report_latency(benchmark::State& state, const std::string& bench,
                    const std::vector<std::uint64_t>& samples);

// Options of the program that are not Google Benchmark flags (parsed in main()).
struct Options {
  std::size_t wake_samples = 100'000;
  std::size_t wake_thread_samples = 20'000;
  std::size_t wake_warmup = 1'000;
  std::uint64_t wake_gap_us = 20;
  int notifier_cpu = -1;
};
Options& options();

}  // namespace strata_bench
