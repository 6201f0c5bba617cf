// strata/rt: the runtime core — futures, tasks, executors, the reactor, timers, combinators.
#pragma once

#include "strata/rt/blocking.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/frame_allocator.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/join.hpp"
#include "strata/rt/join_handle.hpp"
#include "strata/rt/microtask.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/reactor.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/select.hpp"
#include "strata/rt/sync.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"
#include "strata/rt/timer_wheel.hpp"
#include "strata/rt/waker.hpp"
