// The chat: rooms over WebSocket, with names, a short history and presence.
//
//   const ws = new WebSocket("wss://localhost:8443/chat/ws?room=lobby&name=ada");
//   ws.onmessage = (e) => console.log(JSON.parse(e.data));   // {type, room, name, text, ...}
//   ws.send("hello");                                          // a text frame is one message
//
// A member receives, in order: the room's history (`history`, the last 50 messages), then
// every `message`, `join` and `leave` of the room (each with the names present). A room's
// frames are encoded once and written to every member (ws::Room); a member that falls too far
// behind is closed with 1008. `GET /chat/rooms` lists the rooms with their members.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "strata/http.hpp"
#include "strata/http/ws.hpp"
#include "strata/web.hpp"

namespace showcase {

// What the server sends: one JSON object per WebSocket message.
struct ChatEvent {
  std::string type;  // "message", "join", "leave", "history"
  std::string room;
  std::string name;
  std::string text;
  std::int64_t ts_ms = 0;            // Unix time
  std::vector<std::string> members;  // join/leave: who is in the room now
  std::vector<ChatEvent> messages;   // history: the recent messages, oldest first
};
BOOST_DESCRIBE_STRUCT(ChatEvent, (), (type, room, name, text, ts_ms, members, messages))

struct RoomInfo {
  std::string name;
  std::vector<std::string> members;
  std::size_t messages = 0;
};
BOOST_DESCRIBE_STRUCT(RoomInfo, (), (name, members, messages))

// The rooms (a singleton provider; any thread).
class ChatService {
 public:
  static constexpr std::size_t history_size = 50;
  static constexpr std::size_t max_message_bytes = 2000;
  static constexpr std::size_t max_rooms = 64;

  struct Room;
  struct Membership {
    std::shared_ptr<Room> room;  // null: max_rooms exist already
    ChatEvent history;           // to send first
    // Writes the room's frames to the member; subscribed at join, so nothing published after
    // the history was taken is missed. Spawn it once the history is sent.
    std::optional<strata::Task<strata::Result<void>>> forward;
  };
  // Enters `room` (made on first use) as `name` and tells the room.
  Membership join(const std::string& room, const std::string& name,
                  strata::http::ws::WebSocket& socket);
  void say(Room& room, const std::string& name, std::string text);
  void leave(Room& room, const std::string& name);

  std::vector<RoomInfo> rooms() const;

 private:
  void publish(Room& room, ChatEvent e, bool keep);  // under mu_

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Room>, std::less<>> rooms_;
};

class ChatController {
 public:
  static constexpr std::string_view prefix = "/chat";
  using inject = strata::web::Inject<ChatService, MetricsService>;
  ChatController(std::shared_ptr<ChatService> chat, std::shared_ptr<MetricsService> metrics)
      : chat_(std::move(chat)), metrics_(std::move(metrics)) {}

  using RoomName = strata::web::Query<"room", std::string, strata::web::Default{"lobby"},
                                      strata::web::Pattern{"^[a-z0-9-]{1,32}$"}>;
  using MemberName = strata::web::Query<"name", std::string, strata::web::Length{1, 24},
                                        strata::web::Pattern{"^[^<>&\"]+$"}>;

  strata::http::Response connect(strata::http::Request& req, RoomName room, MemberName name);
  std::vector<RoomInfo> rooms() const { return chat_->rooms(); }

  static constexpr auto routes() {
    namespace web = strata::web;
    return web::routes(web::get<"ws">(&ChatController::connect, "chatSocket")
                           .summary("Join a room over WebSocket (101 Switching Protocols)"),
                       web::get<"rooms">(&ChatController::rooms, "chatRooms")
                           .summary("The rooms and who is in them"));
  }

 private:
  std::shared_ptr<ChatService> chat_;
  std::shared_ptr<MetricsService> metrics_;
};

}  // namespace showcase
