// The server-sent events umbrella: the event and its encoding, the parser, the server's
// streamed response, the client's EventSource.
#pragma once

#include "strata/http/sse/client.hpp"
#include "strata/http/sse/event.hpp"
#include "strata/http/sse/parser.hpp"
#include "strata/http/sse/server.hpp"
