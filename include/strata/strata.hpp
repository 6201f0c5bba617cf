// Strata: the whole library. Include the layer headers (strata/rt.hpp, ...) for less.
#pragma once

#include "strata/http.hpp"
#include "strata/io.hpp"
#include "strata/net.hpp"
#include "strata/rt.hpp"
#include "strata/tls.hpp"
