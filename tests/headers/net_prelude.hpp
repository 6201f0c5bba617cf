// The prelude of the strata/net header examples (cmake/header_examples.py): the net layer and the
// io prelude below it.
#pragma once

#include <cstdio>

#include <strata/net.hpp>

#include "io_prelude.hpp"
