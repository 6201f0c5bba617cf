// The tls layer: TLS 1.2/1.3 on OpenSSL 3 for every Strata stream (docs/tls.md).
//
//   #include "strata/tls.hpp"
//   auto ctx = strata::tls::ClientContext::create({});
#pragma once

#include "strata/tls/certificate.hpp"
#include "strata/tls/config.hpp"
#include "strata/tls/context.hpp"
#include "strata/tls/error.hpp"
#include "strata/tls/session.hpp"
#include "strata/tls/stream.hpp"
