// strata/rx/operators.hpp: RxJS 7's operators and static combinators, as composable values.
//
// Each operator follows the RxJS 7.8 source for when values, completion and errors pass, and
// when inner subscriptions are made and unsubscribed, so event orders match event for event
// (tests/rx/conformance checks them against RxJS itself).
//
//     auto sch = std::make_shared<TestScheduler>();
//     std::vector<long> seen;
//     auto sub = (interval(10ms, sch)
//                 | switch_map([sch](long n) { return timer(5ms, sch) | map([n](long) { return n;
//                 }); }) | take(3))
//                    .subscribe([&](long v) { seen.push_back(v); });
//     sch->flush();   // seen == {0, 1, 2}
//
// The operators live in one header per job; this umbrella includes them all:
// operators/transform.hpp (map, scan, reduce, buffer_count, tap), operators/filter.hpp (filter,
// skip, take, take_while, take_until, first, last, distinct_until_changed), operators/flatten.hpp
// (merge_map, concat_map, switch_map, exhaust_map), operators/combine.hpp (merge, concat, zip,
// combine_latest, start_with, with_latest_from), operators/time.hpp (debounce_time,
// throttle_time, sample, sample_time, delay, buffer_time, timeout) and operators/errors.hpp
// (retry, catch_error, finalize).
//
// Projections may take (value) or (value, index). Errors thrown by user functions error the
// output. Higher-order operators keep their inner subscriptions as children of the output
// subscription: unsubscribing the output unsubscribes everything.
// Threads and allocation: see observable.hpp.
#pragma once

#include "strata/rx/operators/combine.hpp"
#include "strata/rx/operators/errors.hpp"
#include "strata/rx/operators/filter.hpp"
#include "strata/rx/operators/flatten.hpp"
#include "strata/rx/operators/time.hpp"
#include "strata/rx/operators/transform.hpp"
