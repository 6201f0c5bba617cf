// The WebSocket umbrella: frames, UTF-8, the WebSocket, server accept, client connect, rooms.
#pragma once

#include "strata/http/ws/client.hpp"
#include "strata/http/ws/deflate.hpp"
#include "strata/http/ws/frame.hpp"
#include "strata/http/ws/room.hpp"
#include "strata/http/ws/server.hpp"
#include "strata/http/ws/utf8.hpp"
#include "strata/http/ws/websocket.hpp"
