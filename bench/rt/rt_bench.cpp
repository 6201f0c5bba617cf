#include <benchmark/benchmark.h>

#include "strata/rt.hpp"

static void BM_placeholder_spawn(benchmark::State& state) {
  auto rt = strata::Runtime::current_thread();
  for (auto _ : state) {
    rt.block_on([]() -> strata::Task<int> { co_return 1; }());
  }
}
BENCHMARK(BM_placeholder_spawn);
BENCHMARK_MAIN();
