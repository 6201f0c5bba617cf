// strata/rx/detail/operator_support.hpp: helpers the operator headers share (indexed
// projections, the "unbounded" concurrency, RxJS's executeSchedule).
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <type_traits>
#include <utility>

#include "strata/rx/observable.hpp"

namespace strata::rx {

namespace detail {

// Calls f(v, i) or f(v).
template <class F, class T>
decltype(auto) call_indexed(F& f, const T& v, std::size_t i) {
  if constexpr (std::is_invocable_v<F&, const T&, std::size_t>) {
    return f(v, i);
  } else {
    (void)i;
    return f(v);
  }
}

// Calls f(v, index++) or f(v): the index counts only for functions that take it.
template <class F, class T>
decltype(auto) call_counted(F& f, const T& v, std::size_t& index) {
  if constexpr (std::is_invocable_v<F&, const T&, std::size_t>) {
    return f(v, index++);
  } else {
    (void)index;
    return f(v);
  }
}

template <class F, class T>
using ProjectedValue = typename std::decay_t<decltype(call_indexed(
    std::declval<F&>(), std::declval<const T&>(), 0))>::value_type;

inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

// RxJS's executeSchedule: runs `work` on `sch` after `delay` as a child of `parent` (cancelled
// with it), and leaves `parent` once it ran. Returns the action's subscription.
inline Subscription execute_schedule(const Subscription& parent, const SchedulerRef& sch,
                                     Duration delay, std::function<void()> work) {
  Subscription action;
  action.add(sch->schedule(delay, [weak = WeakSubscription(action), work = std::move(work)] {
    work();
    weak.unsubscribe();
  }));
  parent.add(action);
  return action;
}

}  // namespace detail

}  // namespace strata::rx
