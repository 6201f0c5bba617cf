// The prelude of the strata/rx header examples (cmake/header_examples.py): the rx layer and the
// rt prelude below it.
#pragma once

#include <strata/rx.hpp>

#include "rt_prelude.hpp"

namespace strata_examples {
using namespace strata::rx;  // rx examples name the layer's types unqualified
}  // namespace strata_examples
