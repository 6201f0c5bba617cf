// The handler of one multiplexed stream (HTTP/2, HTTP/3), polled by its connection's task: the
// connection owns every stream's handler and polls them in turn, so a handler that waits never
// blocks the others and no lock is needed. Private to src/http.
#pragma once

#include <optional>

#include "strata/http/response.hpp"
#include "strata/http/status.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/waker.hpp"

namespace strata::http::detail {

// Polls `handler` once. Running: nullopt. Finished: its response, and the handler is released;
// a handler that threw, or that asked to switch protocols (there is no upgrade on a stream of
// HTTP/2 or HTTP/3, RFC 9113 §8.6), answers 500.
inline std::optional<Response> poll_stream_handler(std::optional<Task<Response>>& handler,
                                                   Context& cx) {
  std::optional<Response> done;
  try {
    Poll<Response> p = handler->poll(cx);
    if (!p.is_ready()) return std::nullopt;
    done.emplace(p.take());
  } catch (...) {
    done.emplace(Response::error(StatusCode::internal_server_error));
  }
  handler.reset();
  if (done->status == StatusCode::switching_protocols) {
    *done = Response::error(StatusCode::internal_server_error);
  }
  return done;
}

}  // namespace strata::http::detail
