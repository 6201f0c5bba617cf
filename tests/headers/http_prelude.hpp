// The prelude of the strata/http header examples (cmake/header_examples.py): the http layer and
// the net prelude below it.
#pragma once

#include <strata/http.hpp>

#include "tls_prelude.hpp"

namespace strata_examples {
namespace h1 = strata::http::h1;
extern http::Request& req;                           // the request a handler received
Task<http::Response> show_user(http::Request& req);  // handlers a router dispatches to
Task<http::Response> create_user(http::Request& req);
}  // namespace strata_examples
