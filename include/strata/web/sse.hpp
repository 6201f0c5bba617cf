// Server-Sent Events from an Observable: a route handler that returns rx::Observable<T> answers
// `text/event-stream` (NestJS's @Sse(): a handler returning Observable<MessageEvent>).
//
//   class Ticker {
//    public:
//     static constexpr std::string_view prefix = "/ticks";
//     rx::Observable<web::MessageEvent> stream() {         // GET /ticks/stream
//       return rx::interval(std::chrono::seconds(1)) | rx::map([](long n) {
//                web::MessageEvent e;
//                e.data = std::to_string(n);
//                e.id = std::to_string(n);
//                return e;
//              });
//     }
//     static constexpr auto routes() { return web::routes(web::get<"stream">(&Ticker::stream)); }
//   };
//
// Each value is one event: a MessageEvent as it is, a std::string as its data, anything else as
// JSON data (web::to_json). The subscription is made when the handler returns, on its thread
// (so a cold source such as interval() runs its timers there), and ends when the client leaves
// or the server shuts down (unsubscribed), when the Observable completes (the stream ends), or
// when it errors (the stream ends; the error is not sent). A source that emits faster than the
// client reads keeps at most SseOptions::buffer values (the oldest are dropped: a live feed
// skips ahead instead of growing memory). Heartbeats and the retry hint come from
// http::sse::StreamConfig. Threads: the source may emit on any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/http/sse/server.hpp"
#include "strata/rx/bridge.hpp"
#include "strata/rx/fused.hpp"
#include "strata/rx/observable.hpp"
#include "strata/web/json.hpp"

namespace strata::web {

// One server-sent event (the fields of the text/event-stream format).
struct MessageEvent {
  std::string data;
  std::string type;  // `event:`; empty: "message"
  std::optional<std::string> id;
  std::optional<std::chrono::milliseconds> retry;
};

struct SseOptions {
  http::sse::StreamConfig stream;  // heartbeats, the retry hint, the connection's queue
  std::size_t buffer = 64;         // values kept for a slow client (the oldest are dropped)
};

namespace detail {

template <class T>
struct IsObservable : std::false_type {};
template <class T>
struct IsObservable<rx::Observable<T>> : std::true_type {
  using value_type = T;
};
// `source | map(...)` is a Fused chain, an Observable by derivation (strata/rx/fused.hpp).
template <class S, class... Ops>
struct IsObservable<rx::Fused<S, Ops...>>
    : IsObservable<rx::Observable<typename rx::Fused<S, Ops...>::value_type>> {};

template <class T>
http::sse::Event to_event(const T& value) {
  http::sse::Event e;
  if constexpr (std::is_same_v<T, MessageEvent>) {
    e.data = value.data;
    e.event = value.type;
    e.id = value.id;
    e.retry = value.retry;
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    e.data = std::string(std::string_view(value));
  } else {
    e.data = json::serialize(to_json(value));
  }
  return e;
}

template <class T>
Task<void> pump_observable(rx::ObservableStream<T> values, http::sse::Sink sink, std::string) {
  for (;;) {
    std::optional<T> v;
    try {
      v = co_await values.next();
    } catch (...) {
      co_return;  // the source errored: end the stream
    }
    if (!v) co_return;  // completed
    Result<void> sent = co_await sink.send(to_event(*v));
    if (!sent) co_return;  // the client left, or the server shuts down
  }
}

}  // namespace detail

// The text/event-stream response for `source` (what a handler returning an Observable gets).
template <class T>
http::Response sse_response(const http::Request& req, const rx::Observable<T>& source,
                            const SseOptions& options = {}) {
  rx::StreamConfig buffering;
  buffering.capacity = options.buffer;
  buffering.overflow = rx::Overflow::drop_oldest;
  return http::sse::response(
      req,
      [values = rx::to_stream(source, buffering)](http::sse::Sink sink,
                                                  std::string last_id) mutable {
        return detail::pump_observable<T>(std::move(values), std::move(sink), std::move(last_id));
      },
      options.stream);
}

}  // namespace strata::web
