// strata/net: addresses today; sockets, TCP, UDP, Unix sockets and DNS as they land.
#pragma once

#include "strata/net/ip_addr.hpp"
#include "strata/net/socket_addr.hpp"
