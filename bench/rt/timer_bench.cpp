// Timer costs: the TimerWheel data structure alone, the runtime's TimerDriver (lock, Instant →
// tick, waker bookkeeping), and Sleep futures polled by tasks on a running runtime.
//
// Batches: one iteration performs a batch of operations (10,000 timers unless stated) and is timed
// around the batch only (manual time; set-up and tear-down are outside it). Counters: ns_per_op
// (mean over iterations), median and min of the per-iteration values.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "bench_util.hpp"

namespace strata_bench {
namespace {

using strata::Runtime;
using strata::Task;
using strata::Waker;
using strata::detail::SleepEntry;
using strata::detail::TimerDriver;
using strata::detail::TimerEntry;
using strata::detail::TimerWheel;
using namespace std::chrono_literals;

constexpr std::size_t kTimers = 10'000;

double since_ns(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
}

// Deadlines (ms ticks, > 0). near: uniform in [1, 63] (all in level 0). spread: log-uniform in
// [1, 2^24) (≈ 4.7 h; every level 0..3 about equally). Fixed seed.
enum class Spread { near, spread, upto4096 };

std::vector<std::uint64_t> deadlines(Spread s, std::size_t n) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> d(n);
  for (auto& x : d) {
    switch (s) {
      case Spread::near:
        x = std::uniform_int_distribution<std::uint64_t>(1, 63)(rng);
        break;
      case Spread::spread: {
        double e = std::uniform_real_distribution<double>(0.0, 24.0)(rng);
        x = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::exp2(e)));
        break;
      }
      case Spread::upto4096:
        x = std::uniform_int_distribution<std::uint64_t>(1, 4096)(rng);
        break;
    }
  }
  return d;
}

std::vector<std::size_t> shuffled_indices(std::size_t n) {
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  std::shuffle(idx.begin(), idx.end(), std::mt19937_64(7));
  return idx;
}

// ---------------------------------------------------------------------------------------------
// TimerWheel alone (detail::TimerWheel): insert, remove (cancel), advance (expire).

// timer_wheel/insert/{near,spread}: insert 10,000 entries into an empty wheel. ns per insert.
void wheel_insert(benchmark::State& state, Spread s) {
  auto dl = deadlines(s, kTimers);
  std::vector<TimerEntry> entries(kTimers);
  PerOp per(s == Spread::near ? "timer_wheel/insert/near" : "timer_wheel/insert/spread",
            "ns/insert");
  for (auto _ : state) {
    auto wheel = std::make_unique<TimerWheel>();
    for (std::size_t i = 0; i < kTimers; ++i) entries[i] = TimerEntry{.deadline = dl[i]};
    auto t0 = std::chrono::steady_clock::now();
    for (auto& e : entries) wheel->insert(&e);
    double ns = since_ns(t0);
    check(wheel->size() == kTimers, "timer_wheel/insert: size");
    for (auto& e : entries) wheel->remove(&e);
    finish_batch(state, per, ns, kTimers);
  }
  per.report(state);
}
BENCHMARK_CAPTURE(wheel_insert, near, Spread::near)
    ->Name("timer_wheel/insert/near")
    ->UseManualTime();
BENCHMARK_CAPTURE(wheel_insert, spread, Spread::spread)
    ->Name("timer_wheel/insert/spread")
    ->UseManualTime();

// timer_wheel/remove: 10,000 entries (spread deadlines) inserted untimed, then removed in random
// order (cancellation). ns per remove.
void wheel_remove(benchmark::State& state) {
  auto dl = deadlines(Spread::spread, kTimers);
  auto order = shuffled_indices(kTimers);
  std::vector<TimerEntry> entries(kTimers);
  PerOp per("timer_wheel/remove", "ns/remove");
  for (auto _ : state) {
    auto wheel = std::make_unique<TimerWheel>();
    for (std::size_t i = 0; i < kTimers; ++i) {
      entries[i] = TimerEntry{.deadline = dl[i]};
      wheel->insert(&entries[i]);
    }
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i : order) wheel->remove(&entries[i]);
    double ns = since_ns(t0);
    check(wheel->empty(), "timer_wheel/remove: not empty");
    finish_batch(state, per, ns, kTimers);
  }
  per.report(state);
}
BENCHMARK(wheel_remove)->Name("timer_wheel/remove")->UseManualTime();

// timer_wheel/insert_remove: one entry armed 30 s ahead and cancelled at once, 10,000 times
// (the common "timeout that does not fire" pattern, cache-hot). ns per insert + remove pair.
void wheel_insert_remove(benchmark::State& state) {
  PerOp per("timer_wheel/insert_remove", "ns/pair");
  auto wheel = std::make_unique<TimerWheel>();
  TimerEntry e;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < kTimers; ++i) {
      e.deadline = 30'000 + (i & 63);
      wheel->insert(&e);
      benchmark::DoNotOptimize(e);
      wheel->remove(&e);
    }
    double ns = since_ns(t0);
    finish_batch(state, per, ns, kTimers);
  }
  per.report(state);
}
BENCHMARK(wheel_insert_remove)->Name("timer_wheel/insert_remove")->UseManualTime();

// timer_wheel/advance/{step,jump}: 10,000 entries with deadlines uniform in [1, 4096] ms (levels
// 0 and 1: most cascade once), then the wheel advanced to 4096 either one tick at a time (4,096
// advance() calls, as a runtime processing every millisecond) or in one call. ns per expired
// timer (cascades and empty ticks included).
void wheel_advance(benchmark::State& state, bool step) {
  auto dl = deadlines(Spread::upto4096, kTimers);
  std::vector<TimerEntry> entries(kTimers);
  PerOp per(step ? "timer_wheel/advance/step" : "timer_wheel/advance/jump", "ns/timer");
  for (auto _ : state) {
    auto wheel = std::make_unique<TimerWheel>();
    for (std::size_t i = 0; i < kTimers; ++i) {
      entries[i] = TimerEntry{.deadline = dl[i]};
      wheel->insert(&entries[i]);
    }
    std::size_t fired = 0;
    auto on_expire = [&fired](TimerEntry*) { ++fired; };
    auto t0 = std::chrono::steady_clock::now();
    if (step) {
      for (std::uint64_t t = 1; t <= 4096; ++t) wheel->advance(t, on_expire);
    } else {
      wheel->advance(4096, on_expire);
    }
    double ns = since_ns(t0);
    check(fired == kTimers && wheel->empty(), "timer_wheel/advance: not every timer fired");
    finish_batch(state, per, ns, kTimers);
  }
  per.report(state);
}
BENCHMARK_CAPTURE(wheel_advance, step, true)->Name("timer_wheel/advance/step")->UseManualTime();
BENCHMARK_CAPTURE(wheel_advance, jump, false)->Name("timer_wheel/advance/jump")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// The runtime's TimerDriver (detail::TimerDriver): spin lock, Instant → tick, waker clone/drop.
// Wakers are no-op wakers here (task wakers add a reference count each: see sleep/* below).

// timer_driver/arm_disarm: one entry armed 10 ms ahead and disarmed, 10,000 times. ns per pair.
void driver_arm_disarm(benchmark::State& state) {
  PerOp per("timer_driver/arm_disarm", "ns/pair");
  const strata::Instant start = strata::Clock::now();
  TimerDriver driver(start);
  const Waker noop = Waker::noop();
  SleepEntry e;
  const strata::Instant deadline = start + 10ms;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < kTimers; ++i) {
      bool armed = driver.arm(&e, deadline, noop);
      benchmark::DoNotOptimize(armed);
      driver.disarm(&e);
    }
    double ns = since_ns(t0);
    finish_batch(state, per, ns, kTimers);
  }
  per.report(state);
}
BENCHMARK(driver_arm_disarm)->Name("timer_driver/arm_disarm")->UseManualTime();

// timer_driver/process: 10,000 entries armed with deadlines uniform in [1, 4096] ms (untimed),
// then process() called for every millisecond up to 4096 (timed), as a runtime that wakes each
// millisecond. ns per fired timer (locking, cascades, collecting and calling the wakers).
void driver_process(benchmark::State& state) {
  PerOp per("timer_driver/process", "ns/timer");
  auto dl = deadlines(Spread::upto4096, kTimers);
  const Waker noop = Waker::noop();
  std::vector<SleepEntry> entries(kTimers);
  for (auto _ : state) {
    const strata::Instant start = strata::Clock::now();
    auto driver = std::make_unique<TimerDriver>(start);
    for (std::size_t i = 0; i < kTimers; ++i) {
      entries[i].fired = false;
      check(driver->arm(&entries[i], start + std::chrono::milliseconds(dl[i]), noop),
            "timer_driver/process: arm");
    }
    std::size_t fired = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int ms = 1; ms <= 4096; ++ms)
      fired += driver->process(start + std::chrono::milliseconds(ms));
    double ns = since_ns(t0);
    check(fired == kTimers, "timer_driver/process: not every timer fired");
    finish_batch(state, per, ns, kTimers);
  }
  per.report(state);
}
BENCHMARK(driver_process)->Name("timer_driver/process")->UseManualTime();

// ---------------------------------------------------------------------------------------------
// Sleep on a running runtime. In-runtime timing (inside the task doing the work).

// sleep/arm_cancel/{10ms,30s}: a task creates a Sleep (sleep(d): one clock read), polls it once
// (pending: it arms the timer with the task's waker) and destroys it (disarm), 10,000 times.
// ns per create + arm + cancel. Counter fired_at_once: sleeps that were already due when polled
// (only when the thread lost the CPU for longer than d in between; 0 on an idle machine).
struct ArmCancelResult {
  std::uint64_t ns = 0;
  std::size_t fired = 0;
};

Task<ArmCancelResult> arm_cancel_root(strata::Duration d) {
  ArmCancelResult r;
  std::uint64_t t0 = now_ns();
  for (std::size_t i = 0; i < kTimers; ++i) {
    strata::Sleep s = strata::sleep(d);
    bool fired = co_await PollOnce<strata::Sleep>{&s};
    r.fired += fired;
  }
  r.ns = now_ns() - t0;
  co_return r;
}

void sleep_arm_cancel(benchmark::State& state, strata::Duration d, const char* name) {
  auto rt = Runtime::current_thread();
  PerOp per(name, "ns/sleep");
  std::size_t fired = 0;
  (void)rt.block_on(arm_cancel_root(d));
  for (auto _ : state) {
    ArmCancelResult r = rt.block_on(arm_cancel_root(d));
    fired += r.fired;
    finish_batch(state, per, static_cast<double>(r.ns), kTimers);
  }
  per.report(state);
  state.counters["fired_at_once"] = static_cast<double>(fired);
}
BENCHMARK_CAPTURE(sleep_arm_cancel, 10ms, strata::Duration(10ms), "sleep/arm_cancel/10ms")
    ->Name("sleep/arm_cancel/10ms")
    ->UseManualTime();
BENCHMARK_CAPTURE(sleep_arm_cancel, 30s, strata::Duration(30s), "sleep/arm_cancel/30s")
    ->Name("sleep/arm_cancel/30s")
    ->UseManualTime();

// sleep/arm_cancel_select: `co_await select(sleep(10ms), <ready future>)`, 10,000 times: the
// select polls the sleep first (arms it), then the ready future wins and the sleep is destroyed.
// ns per select. Counter fired_at_once as above (the sleep won the select).
Task<ArmCancelResult> select_root() {
  ArmCancelResult r;
  std::uint64_t t0 = now_ns();
  for (std::size_t i = 0; i < kTimers; ++i) {
    auto won = co_await strata::select(strata::sleep(10ms), ReadyUnit{});
    r.fired += won.index() == 0;
  }
  r.ns = now_ns() - t0;
  co_return r;
}

void sleep_arm_cancel_select(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  PerOp per("sleep/arm_cancel_select", "ns/select");
  std::size_t fired = 0;
  (void)rt.block_on(select_root());
  for (auto _ : state) {
    ArmCancelResult r = rt.block_on(select_root());
    fired += r.fired;
    finish_batch(state, per, static_cast<double>(r.ns), kTimers);
  }
  per.report(state);
  state.counters["fired_at_once"] = static_cast<double>(fired);
}
BENCHMARK(sleep_arm_cancel_select)->Name("sleep/arm_cancel_select")->UseManualTime();

// sleep/expire: 10,000 tasks sleep until one common deadline 10 ms ahead; when it passes the
// runtime fires them all in one process() and polls each task. Time from the first task resumed
// to the last, per timer: the wake → poll → Sleep ready → task complete path per fired timer
// (process() itself runs before the first task resumes: see timer_driver/process). Counter
// late_us: how long after the deadline the first task resumed (timer resolution is 1 ms; the
// runtime parks in epoll_wait with a millisecond timeout). A sample in which some task was first
// polled only after the deadline (the thread lost the CPU for ~10 ms) is discarded and counted
// in the counter discarded.
struct ExpireState {
  strata::Instant deadline;
  std::uint64_t deadline_ns = 0;
  std::size_t resumed = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::size_t unarmed = 0;  // sleeps already due at their first poll
  strata::sync::Notify done;
};

Task<void> sleeper(ExpireState* st) {
  strata::Sleep s = strata::sleep_until(st->deadline);
  if (co_await PollOnce<strata::Sleep>{&s}) {
    ++st->unarmed;
  } else {
    co_await s;
  }
  std::uint64_t t = now_ns();
  if (st->resumed++ == 0) st->first = t;
  if (st->resumed == kTimers) {
    st->last = t;
    st->done.notify_one();
  }
}

Task<void> expire_root(ExpireState* st) {
  for (std::size_t i = 0; i < kTimers; ++i) strata::spawn(sleeper(st)).detach();
  co_await st->done.notified();
}

void sleep_expire(benchmark::State& state) {
  auto rt = Runtime::current_thread();
  PerOp per("sleep/expire", "ns/timer");
  double late_sum = 0;
  std::size_t late_n = 0;
  std::size_t discarded = 0;
  auto sample = [&](bool keep) {
    ExpireState st;
    st.deadline = strata::Clock::now() + 10ms;
    st.deadline_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(st.deadline - strata_rt_bench::g_base)
            .count());
    rt.block_on(expire_root(&st));
    double ns = static_cast<double>(st.last - st.first);
    if (st.unarmed) {
      discarded += keep;
      if (keep) state.SetIterationTime(ns / 1e9);
      return;
    }
    if (keep) {
      finish_batch(state, per, ns * kTimers / (kTimers - 1), kTimers);
      late_sum += static_cast<double>(st.first - st.deadline_ns) / 1e3;
      ++late_n;
    }
  };
  sample(false);
  for (auto _ : state) sample(true);
  per.report(state);
  state.counters["late_us"] = late_n ? late_sum / static_cast<double>(late_n) : 0.0;
  state.counters["discarded"] = static_cast<double>(discarded);
}
BENCHMARK(sleep_expire)->Name("sleep/expire")->UseManualTime()->Iterations(20);

}  // namespace
}  // namespace strata_bench
