// The stress build's scheduling points (include/strata/rt/detail/atomic.hpp): seeding and
// pausing. Compiled to nothing unless STRATA_STRESS_ATOMICS is defined.
#include "strata/rt/detail/atomic.hpp"

#ifdef STRATA_STRESS_ATOMICS

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "strata/rt/detail/spin_lock.hpp"

namespace strata::detail::stress {

namespace {

struct Config {
  std::uint64_t seed;
  std::uint64_t mask;  // a point pauses when (random & mask) == 0
};

// A positive integer from the environment, or `fallback` when unset; a malformed value aborts
// rather than quietly running another schedule.
std::uint64_t env_u64(const char* name, std::uint64_t fallback) noexcept {
  const char* s = std::getenv(name);
  if (!s || !*s) return fallback;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 0);
  if (end == s || *end != '\0') {
    std::fprintf(stderr, "%s=%s: expected an unsigned integer\n", name, s);
    std::abort();
  }
  return v;
}

const Config& config() noexcept {
  static const Config c = [] {
    const auto now =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const std::uint64_t seed =
        env_u64("STRATA_STRESS_SEED", now ^ (static_cast<std::uint64_t>(getpid()) << 40));
    std::uint64_t one_in = env_u64("STRATA_STRESS_ONE_IN", 16);
    if (one_in == 0) one_in = 1;
    std::uint64_t pow2 = 1;  // rounded up to a power of two, so a mask decides
    while (pow2 < one_in && pow2 < (std::uint64_t{1} << 62)) pow2 <<= 1;
    // Printed once per process: a failing test's output shows how to replay its schedule.
    std::fprintf(stderr,
                 "strata: stress atomics: STRATA_STRESS_SEED=%llu STRATA_STRESS_ONE_IN=%llu\n",
                 static_cast<unsigned long long>(seed), static_cast<unsigned long long>(pow2));
    return Config{seed, pow2 - 1};
  }();
  return c;
}

// The facade's own bookkeeping: a plain std::atomic, no point of its own.
std::atomic<std::uint64_t> g_threads{0};

}  // namespace

void seed_thread() noexcept {
  const Config& c = config();
  // relaxed: only distinct indices matter. Threads seeded in the same order get the same streams.
  const std::uint64_t index = g_threads.fetch_add(1, std::memory_order_relaxed) + 1;
  std::uint64_t z = c.seed + index * 0x9e3779b97f4a7c15;  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  z ^= z >> 31;
  t_mask = c.mask;
  t_state = z != 0 ? z : 1;
}

void pause(std::uint64_t r) noexcept {
  // Half the pauses give the CPU away (the other thread runs a whole stretch); half spin up to
  // 255 pause instructions (a short window for another core to act).
  if (r & (std::uint64_t{1} << 40)) {
    sched_yield();
    return;
  }
  for (std::uint64_t n = (r >> 48) & 0xff; n > 0; --n) cpu_relax();
}

}  // namespace strata::detail::stress

#endif  // STRATA_STRESS_ATOMICS
