// strata-bench-rx: the rx layer's costs beside their references (docs/rx.md has the table).
//
// - rx_pipeline/strata: events per second through map | filter | scan | take |
//   distinct_until_changed, from a synchronous source of 100,000 ints.
// - rx_pipeline/callbacks: the same five steps as hand-written nested callbacks (RxCpp-style
//   inlined lambdas, no subscriptions): the lower bound.
// - rx_pipeline/callbacks_erased: those callbacks behind one std::function call per value, the
//   one type-erased call a source Observable makes per value into a fused chain.
// - promise_then_chain/1000: a pending Promise<int>, 1000 then(x + 1) attached, resolved, the
//   microtask queue drained; the time is per chain.
// Each reports allocations per event (or per then) from a counting operator new.
// The Node side (RxJS 7.8.2, native Promise, JS callbacks) is bench/rx/node_bench.js.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "strata/rt/microtask.hpp"
#include "strata/rx.hpp"

#include "../../tests/support/count_allocations.hpp"

namespace {

using namespace strata::rx;

constexpr long events = 100'000;

// A synchronous source of 0..n-1 that stops once its subscriber closed.
Observable<long> range(long n) {
  return create<long>([n](const Subscriber<long>& s) {
    for (long i = 0; i < n && !s.closed(); ++i) s.next(i);
    s.complete();
  });
}

void rx_pipeline_strata(benchmark::State& state) {
  auto pipeline = range(events) | map([](long x) { return x * 2; }) |
                  filter([](long x) { return x % 3 != 0; }) |
                  scan([](long acc, long x) { return acc + x; }, 0L) | take(events) |
                  distinct_until_changed();
  long sink = 0;
  std::size_t allocs = 0;
  for (auto _ : state) {
    std::size_t before = static_cast<std::size_t>(allocations.load(std::memory_order_relaxed));
    auto sub = pipeline.subscribe([&sink](long v) { sink += v; });
    allocs += static_cast<std::size_t>(allocations.load(std::memory_order_relaxed)) - before;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * events);
  state.counters["allocs_per_event"] =
      static_cast<double>(allocs) / static_cast<double>(state.iterations() * events);
}
BENCHMARK(rx_pipeline_strata)->Name("rx_pipeline/strata");

// The lower bound: each step a lambda calling the next one, as RxCpp's inlined operators.
template <class Next>
auto map2(Next next) {
  return [next](long x) mutable { next(x * 2); };
}
template <class Next>
auto filter3(Next next) {
  return [next](long x) mutable {
    if (x % 3 != 0) next(x);
  };
}
template <class Next>
auto scan_sum(Next next) {
  return [next, acc = 0L](long x) mutable { next(acc += x); };
}
template <class Next>
auto take_n(Next next, long n, bool& done) {
  return [next, n, &done, seen = 0L](long x) mutable {
    if (++seen <= n) next(x);
    if (seen >= n) done = true;
  };
}
template <class Next>
auto distinct(Next next) {
  return [next, prev = 0L, has = false](long x) mutable {
    if (!has || x != prev) {
      has = true;
      prev = x;
      next(x);
    }
  };
}

// Erased = false: the chain inlined into the loop. Erased = true: the same chain behind one
// type-erased call per value, as a source Observable's Subscriber calls its observer: the floor
// for a pipeline whose source is an Observable<T>.
template <bool Erased>
void rx_pipeline_callbacks(benchmark::State& state) {
  long sink = 0;
  std::size_t allocs = 0;
  for (auto _ : state) {
    std::size_t before = static_cast<std::size_t>(allocations.load(std::memory_order_relaxed));
    bool done = false;
    auto inlined =
        map2(filter3(scan_sum(take_n(distinct([&sink](long v) { sink += v; }), events, done))));
    using Chain = std::conditional_t<Erased, std::function<void(const long&)>, decltype(inlined)>;
    Chain chain = std::move(inlined);
    for (long i = 0; i < events && !done; ++i) chain(i);
    allocs += static_cast<std::size_t>(allocations.load(std::memory_order_relaxed)) - before;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * events);
  state.counters["allocs_per_event"] =
      static_cast<double>(allocs) / static_cast<double>(state.iterations() * events);
}
BENCHMARK(rx_pipeline_callbacks<false>)->Name("rx_pipeline/callbacks");
BENCHMARK(rx_pipeline_callbacks<true>)->Name("rx_pipeline/callbacks_erased");

void promise_then_chain(benchmark::State& state) {
  const int length = static_cast<int>(state.range(0));
  std::size_t allocs = 0;
  long sink = 0;
  for (auto _ : state) {
    std::size_t before = static_cast<std::size_t>(allocations.load(std::memory_order_relaxed));
    auto pr = Promise<int>::with_resolvers();
    Promise<int> p = pr.promise;
    for (int i = 0; i < length; ++i) p = p.then([](int x) { return x + 1; });
    auto last = p.then([&sink](int x) { sink += x; });
    pr.resolve(0);
    strata::run_microtasks();
    allocs += static_cast<std::size_t>(allocations.load(std::memory_order_relaxed)) - before;
  }
  if (sink != static_cast<long>(state.iterations()) * length) state.SkipWithError("wrong result");
  state.SetItemsProcessed(state.iterations() * length);
  state.counters["allocs_per_then"] =
      static_cast<double>(allocs) / static_cast<double>(state.iterations() * length);
}
BENCHMARK(promise_then_chain)->Name("promise_then_chain")->Arg(1000);

}  // namespace

int main(int argc, char** argv) {
  counting = true;  // every allocation of the benchmarks (one thread)
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
