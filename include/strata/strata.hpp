// Strata: the whole library. Include the layer headers (strata/rt.hpp, ...) for less.
#pragma once

#include "strata/rt.hpp"
#include "strata/net.hpp"
