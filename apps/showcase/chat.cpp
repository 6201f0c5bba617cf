// The chat's rooms and WebSocket sessions (chat.hpp).
#include "chat.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

namespace showcase {

using namespace strata;
namespace ws = http::ws;

struct ChatService::Room {
  std::string name;
  ws::Room broadcast{256};
  std::deque<ChatEvent> history;
  std::multiset<std::string> members;  // a name may be open in two tabs
};

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void ChatService::publish(Room& room, ChatEvent e, bool keep) {
  e.room = room.name;
  e.ts_ms = now_ms();
  if (e.type != "message") e.members.assign(room.members.begin(), room.members.end());
  room.broadcast.publish_text(web::json::serialize(web::to_json(e)));
  if (!keep) return;
  room.history.push_back(std::move(e));
  if (room.history.size() > history_size) room.history.pop_front();
}

ChatService::Membership ChatService::join(const std::string& room, const std::string& name,
                                          ws::WebSocket& socket) {
  Membership m;
  std::lock_guard lock(mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) {
    if (rooms_.size() >= max_rooms) return m;
    auto r = std::make_shared<Room>();
    r->name = room;
    it = rooms_.emplace(room, std::move(r)).first;
  }
  m.room = it->second;
  m.history.type = "history";
  m.history.room = room;
  m.history.messages.assign(m.room->history.begin(), m.room->history.end());
  m.forward.emplace(m.room->broadcast.forward(socket));
  m.room->members.insert(name);
  ChatEvent joined;
  joined.type = "join";
  joined.name = name;
  publish(*m.room, std::move(joined), false);
  return m;
}

void ChatService::say(Room& room, const std::string& name, std::string text) {
  ChatEvent e;
  e.type = "message";
  e.name = name;
  e.text = std::move(text);
  std::lock_guard lock(mu_);
  publish(room, std::move(e), true);
}

void ChatService::leave(Room& room, const std::string& name) {
  std::lock_guard lock(mu_);
  if (auto it = room.members.find(name); it != room.members.end()) room.members.erase(it);
  ChatEvent e;
  e.type = "leave";
  e.name = name;
  publish(room, std::move(e), false);
}

std::vector<RoomInfo> ChatService::rooms() const {
  std::lock_guard lock(mu_);
  std::vector<RoomInfo> out;
  for (const auto& [name, r] : rooms_) {
    out.push_back(RoomInfo{name, {r->members.begin(), r->members.end()}, r->history.size()});
  }
  return out;
}

namespace {

// One member's connection: history, then the room's frames (forwarded by a second task) while
// this one reads what the member says.
// What a member holds while connected. Its destructor undoes the join, also when the session's
// frame is destroyed mid-way (the server cancels it at the end of a shutdown's grace period):
// the forwarding task must not outlive the socket it writes to.
struct Member {
  std::shared_ptr<ChatService> chat;
  std::string name;
  ChatService::Membership m;
  Gauge online;
  std::optional<JoinHandle<Result<void>>> forward;

  Member(std::shared_ptr<ChatService> c, std::string n, ChatService::Membership joined,
         std::atomic<std::int64_t>& gauge)
      : chat(std::move(c)), name(std::move(n)), m(std::move(joined)), online(gauge) {}
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;
  ~Member() {
    if (forward) forward->abort();
    chat->leave(*m.room, name);
  }
};

// One member's connection: history, then the room's frames (forwarded by a second task) while
// this one reads what the member says.
Task<void> chat_session(std::shared_ptr<ChatService> chat, std::shared_ptr<Counters> counters,
                        std::string room_name, std::string name, ws::WebSocket& socket) {
  ChatService::Membership joined = chat->join(room_name, name, socket);
  if (!joined.room) {
    (void)co_await socket.close(ws::CloseCode::policy_violation, "too many rooms");
    co_return;
  }
  Member member(chat, name, std::move(joined), counters->ws_clients);
  Result<void> sent =
      co_await socket.send_text(web::json::serialize(web::to_json(member.m.history)));
  member.forward.emplace(spawn(std::move(*member.m.forward)));
  while (sent) {
    Result<ws::Message> msg = co_await socket.receive();
    if (!msg) break;  // closed by the member, or the server shuts down
    if (msg->type != ws::MessageType::text) continue;
    if (msg->data.empty() || msg->data.size() > ChatService::max_message_bytes) continue;
    chat->say(*member.m.room, name, std::move(msg->data));
  }
  member.forward->abort();
  (void)co_await *member.forward;
  member.forward.reset();
}

}  // namespace

http::Response ChatController::connect(http::Request& req, RoomName room, MemberName name) {
  std::shared_ptr<Counters> counters(metrics_, &metrics_->counters());
  ws::AcceptOptions options;
  options.deflate.enabled = true;
  return ws::accept(req, std::bind_front(chat_session, chat_, counters, *room, *name), options);
}

}  // namespace showcase
