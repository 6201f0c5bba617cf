// strata/rx: JavaScript's Promise and RxJS's Observable on Strata's runtime (docs/rx.md).
#pragma once

#include "strata/rx/bridge.hpp"
#include "strata/rx/observable.hpp"
#include "strata/rx/observe_on.hpp"
#include "strata/rx/operators.hpp"
#include "strata/rx/promise.hpp"
#include "strata/rx/scheduler.hpp"
#include "strata/rx/share.hpp"
#include "strata/rx/subject.hpp"
#include "strata/rx/subscription.hpp"
