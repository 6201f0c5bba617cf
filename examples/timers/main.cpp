// Example: timers on a current-thread runtime. Prints three ticks and exits.
#include <cstdio>

#include "strata/rt.hpp"

using namespace std::chrono_literals;

strata::Task<int> ticks() {
  auto iv = strata::interval(5ms);
  for (int i = 0; i < 3; ++i) co_await iv.tick();
  co_return 3;
}

int main() {
  strata::Runtime rt = strata::Runtime::current_thread();
  int n = rt.block_on(ticks());
  std::printf("ticks: %d\n", n);
  return n == 3 ? 0 : 1;
}
