// WebSocket messages as Observables, and Observables as WebSocket messages: the rx bridge of
// http::ws (the WebSocket counterpart of web/sse.hpp).
//
//   Task<http::Response> chat(http::Request& req) {
//     co_return http::ws::accept(req, [](http::ws::WebSocket& socket) -> Task<void> {
//       auto replies = web::ws_messages(socket)
//                      | rx::take_while([](const http::ws::Message& m) { return m.data != "bye"; })
//                      | rx::map([](const http::ws::Message& m) { return "echo: " + m.data; });
//       Result<void> sent = co_await web::ws_send_all(socket, replies);   // until "bye" arrives
//       if (sent) (void)co_await socket.send_text("goodbye");
//     });
//   }
//
// ws_messages(socket) is the Observable of the messages `socket` receives: subscribing spawns a
// task on the current runtime that receives whole messages and emits each one; it completes
// when the connection closes (the peer's close, or ours: socket.peer_close() tells the code),
// and errors with the connection's strata::Error when it fails (read it with
// rx::reason_as<Error>). Unsubscribing aborts the task; between messages that loses nothing
// (WebSocket's cancel safety), mid-message it leaves the connection unusable, so close it then.
// One subscription at a time: another one while the first's task runs errors with
// std::logic_error. The socket must outlive the subscription (a session returning closes it).
//
// ws_send_all(socket, source, buffering) subscribes to `source` and sends each value as one
// message, in order: an http::ws::Message as it is, text for what converts to
// std::string_view, binary for std::vector<std::byte>, and JSON text (web::to_json) for the
// rest. It returns once the source completed and every value was sent (it does not close the
// socket), or with the send's error when a send fails (the source is then unsubscribed). A
// source error closes the socket with 1011 (internal error) and returns that code as the
// error. Backpressure: sends wait for the peer (a slow reader slows them), and the values that
// arrive meanwhile wait in rx::to_stream's buffer, whose bound and overflow policy are
// `buffering` (rx::StreamConfig: 1024 values, the oldest dropped first, by default).
// Threads: ws_messages emits on the runtime's workers (subscribe on a current-thread or
// one-worker runtime, or add rx::observe_on); ws_send_all's source may emit on any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/http/ws/websocket.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/runtime.hpp"
#include "strata/rt/task.hpp"
#include "strata/rx/bridge.hpp"
#include "strata/rx/observable.hpp"
#include "strata/web/json.hpp"

namespace strata::web {

namespace detail {

// Receives and emits until the subscriber closes or the connection ends; clears `active` when
// its frame goes (returned, or aborted).
inline Task<void> pump_ws_messages(http::ws::WebSocket* socket, rx::Subscriber<http::ws::Message> s,
                                   std::shared_ptr<std::atomic<bool>> active) {
  struct Release {
    std::shared_ptr<std::atomic<bool>> flag;
    // release: pairs with the exchange in ws_messages' subscribe.
    ~Release() { flag->store(false, std::memory_order_release); }
  } release{std::move(active)};
  while (!s.closed()) {
    Result<http::ws::Message> m = co_await socket->receive();
    if (!m) {
      if (m.error() == Errc::closed) {
        s.complete();
      } else {
        s.error(rx::make_reason(m.error()));
      }
      co_return;
    }
    s.next(*m);
  }
}

template <class T>
struct WsPayload {
  static constexpr bool text = !std::is_same_v<T, std::vector<std::byte>>;
  static std::string encode(const T& v) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return std::string(std::string_view(v));
    } else if constexpr (std::is_same_v<T, std::vector<std::byte>>) {
      return std::string(reinterpret_cast<const char*>(v.data()), v.size());
    } else {
      return json::serialize(to_json(v));
    }
  }
};

}  // namespace detail

// The messages `socket` receives (see the top).
inline rx::Observable<http::ws::Message> ws_messages(http::ws::WebSocket& socket) {
  auto active = std::make_shared<std::atomic<bool>>(false);
  return rx::Observable<http::ws::Message>(
      [socket = &socket, active](const rx::Subscriber<http::ws::Message>& s) {
        // acquire: pairs with the release store when the previous subscription's task ended.
        if (active->exchange(true, std::memory_order_acquire)) {
          throw std::logic_error("web::ws_messages: already subscribed");
        }
        auto task =
            std::make_shared<JoinHandle<void>>(spawn(detail::pump_ws_messages(socket, s, active)));
        // The task holds the subscriber and the subscriber's finalizer the task's handle: the
        // cycle ends with the task (done, aborted, or destroyed with its runtime).
        s.add([task] { task->abort(); });
      });
}

// Sends every value of `source` on `socket` (see the top).
template <class T>
Task<Result<void>> ws_send_all(http::ws::WebSocket& socket, rx::Observable<T> source,
                               rx::StreamConfig buffering = {}) {
  auto values = rx::to_stream(source, buffering);
  for (;;) {
    std::optional<T> v;
    bool failed = false;
    try {
      v = co_await values.next();
    } catch (...) {
      failed = true;  // the source's error (co_await is not allowed in a handler)
    }
    if (failed) {
      Result<void> closed = co_await socket.close(http::ws::CloseCode::internal_error, {});
      (void)closed;
      co_return std::unexpected(
          Error(make_error_code(http::ws::CloseCode::internal_error), "ws_send_all: source"));
    }
    if (!v) co_return Result<void>{};
    Result<void> sent;
    if constexpr (std::is_same_v<T, http::ws::Message>) {
      sent = co_await socket.send(v->type, v->bytes());
    } else {
      std::string payload = detail::WsPayload<T>::encode(*v);
      auto type =
          detail::WsPayload<T>::text ? http::ws::MessageType::text : http::ws::MessageType::binary;
      sent = co_await socket.send(type, std::as_bytes(std::span(payload)));
    }
    if (!sent) co_return std::unexpected(sent.error());
  }
}

}  // namespace strata::web
