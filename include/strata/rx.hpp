// strata/rx: JavaScript's Promise and RxJS's Observable on Strata's runtime (docs/rx.md).
#pragma once

#include "strata/rx/promise.hpp"
