// The showcase program started by `make run`. For now it demonstrates the runtime core: tasks,
// timers, join/select and cancellation on a current-thread runtime. Later layers replace it with
// the full application (HTTP server, framework).
#include <cstdio>

#include "strata/strata.hpp"

using namespace std::chrono_literals;
using strata::Task;

namespace {

Task<int> countdown(const char* name, int from, strata::Duration step) {
  for (int i = from; i > 0; --i) {
    std::printf("  %s: %d\n", name, i);
    co_await strata::sleep(step);
  }
  co_return from;
}

Task<void> showcase() {
  std::printf("strata %s runtime showcase\n", "current-thread");

  std::printf("join: two countdowns interleaved on one thread\n");
  auto [a, b] = co_await strata::join(countdown("fast", 3, 20ms), countdown("slow", 2, 35ms));
  std::printf("  both done: %d + %d\n", a, b);

  std::printf("select: a 50 ms sleep races a 2 s countdown; the loser is cancelled\n");
  auto winner = co_await strata::select(strata::sleep(50ms), countdown("loser", 100, 1s));
  std::printf("  winner: #%zu\n", winner.index());

  std::printf("timeout: a task that takes too long\n");
  auto r = co_await strata::timeout(30ms, countdown("late", 10, 10ms));
  std::printf("  result: %s\n", r ? "finished" : r.error().message().c_str());

  std::printf("spawn + interval: 5 ticks every 10 ms in a spawned task\n");
  auto h = strata::spawn([]() -> Task<int> {
    auto iv = strata::interval(10ms);
    auto start = strata::Clock::now();
    for (int i = 0; i < 5; ++i) {
      auto t = co_await iv.tick();
      std::printf("  tick %d at +%lld ms\n", i,
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(t - start).count()));
    }
    co_return 5;
  }());
  auto ticks = co_await h;
  std::printf("  ticks: %d\n", ticks.value());
}

}  // namespace

int main() {
  auto rt = strata::Runtime::current_thread();
  rt.block_on(showcase());
  std::printf("done\n");
  return 0;
}
