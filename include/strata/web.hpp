// strata/web: the application framework — modules, controllers, dependency injection and the
// NestJS request pipeline on Strata's HTTP server (docs/web.md).
#pragma once

#include "strata/web/app.hpp"
#include "strata/web/auth.hpp"
#include "strata/web/compression.hpp"
#include "strata/web/config.hpp"
#include "strata/web/context.hpp"
#include "strata/web/controller.hpp"
#include "strata/web/cors.hpp"
#include "strata/web/di.hpp"
#include "strata/web/exception.hpp"
#include "strata/web/extract.hpp"
#include "strata/web/json.hpp"
#include "strata/web/module.hpp"
#include "strata/web/openapi.hpp"
#include "strata/web/pipeline.hpp"
#include "strata/web/rate_limit.hpp"
#include "strata/web/reply.hpp"
#include "strata/web/sse.hpp"
#include "strata/web/validate.hpp"
#include "strata/web/ws.hpp"
