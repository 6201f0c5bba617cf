// The prelude of the strata/tls header examples (cmake/header_examples.py): the tls layer and
// the net prelude below it.
#pragma once

#include <strata/tls.hpp>

#include "net_prelude.hpp"

namespace strata_examples {
extern net::SocketAddr addr;  // the address an example connects to
}  // namespace strata_examples
