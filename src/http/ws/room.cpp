// ws::Room (strata/http/ws/room.hpp).
#include "strata/http/ws/room.hpp"

namespace strata::http::ws {

namespace {

Task<Result<void>> forward_frames(WebSocket& ws, sync::broadcast::Receiver<EncodedFrame> rx) {
  if (ws.role() != Role::server)
    co_return fail(Errc::invalid_input, "ws: room members are servers");
  for (;;) {
    auto ev = co_await rx.recv();
    if (!ev) {
      if (ev.error().is_closed()) co_return Result<void>{};
      (void)co_await ws.close(CloseCode::policy_violation, "too slow");
      co_return fail(Errc::closed, "ws: room member lagged");
    }
    Result<void> w = co_await ws.send_encoded(std::move(*ev));
    if (!w) co_return w;
  }
}

}  // namespace

Room::Room(std::size_t capacity)
    : tx_(std::move(sync::broadcast::channel<EncodedFrame>(capacity).first)) {}

std::size_t Room::publish(MessageType type, std::span<const std::byte> payload) {
  if (tx_.receiver_count() == 0) return 0;
  auto sent = tx_.send(encode_message(type, payload));
  return sent ? *sent : 0;
}

Task<Result<void>> Room::forward(WebSocket& ws) {
  return forward_frames(ws, tx_.subscribe());
}

}  // namespace strata::http::ws
