// strata/http: HTTP types, the HTTP/1.1 codec, routing, the server, static files and the client.
#pragma once

// The layers it stands on, so that one include is enough for a server.
#include "strata/net.hpp"
#include "strata/rt.hpp"

#include "strata/http/body.hpp"
#include "strata/http/client.hpp"
#include "strata/http/date.hpp"
#include "strata/http/h1/chunked.hpp"
#include "strata/http/h1/parser.hpp"
#include "strata/http/h1/serializer.hpp"
#include "strata/http/h1/server_connection.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/method.hpp"
#include "strata/http/mime.hpp"
#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/route_tree.hpp"
#include "strata/http/router.hpp"
#include "strata/http/server.hpp"
#include "strata/http/static_files.hpp"
#include "strata/http/status.hpp"
#include "strata/http/upgrade.hpp"
#include "strata/http/uri.hpp"
#include "strata/http/version.hpp"
