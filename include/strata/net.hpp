// strata/net: addresses, sockets (TCP, UDP, Unix), DNS and connection pools.
#pragma once

#include "strata/net/dns.hpp"
#include "strata/net/ip_addr.hpp"
#include "strata/net/pool.hpp"
#include "strata/net/socket.hpp"
#include "strata/net/socket_addr.hpp"
#include "strata/net/split.hpp"
#include "strata/net/tcp_listener.hpp"
#include "strata/net/tcp_stream.hpp"
#include "strata/net/udp_socket.hpp"
#include "strata/net/unix_addr.hpp"
#include "strata/net/unix_datagram.hpp"
#include "strata/net/unix_listener.hpp"
#include "strata/net/unix_stream.hpp"
