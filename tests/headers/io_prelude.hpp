// The prelude of the strata/io header examples (cmake/header_examples.py): the io layer and the
// rt prelude below it.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include <strata/io.hpp>

#include "rt_prelude.hpp"
