// The store behind the API: an in-memory, thread-safe repository (injected as a singleton).
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "todo.hpp"

namespace todo {

class TodoRepository {
 public:
  std::vector<Todo> list(std::optional<bool> done, std::size_t offset, std::size_t limit) const {
    std::lock_guard lock(mu_);
    std::vector<Todo> out;
    for (const auto& [id, t] : todos_) {
      if (done && t.done != *done) continue;
      if (offset > 0) {
        --offset;
        continue;
      }
      if (out.size() == limit) break;
      out.push_back(t);
    }
    return out;
  }

  std::optional<Todo> find(std::int64_t id) const {
    std::lock_guard lock(mu_);
    auto it = todos_.find(id);
    if (it == todos_.end()) return std::nullopt;
    return it->second;
  }

  Todo create(std::string title, bool done) {
    std::lock_guard lock(mu_);
    Todo t{next_id_++, std::move(title), done, now_iso8601()};
    todos_.emplace(t.id, t);
    return t;
  }

  std::optional<Todo> update(std::int64_t id, const UpdateTodo& change) {
    std::lock_guard lock(mu_);
    auto it = todos_.find(id);
    if (it == todos_.end()) return std::nullopt;
    if (change.title) it->second.title = *change.title;
    if (change.done) it->second.done = *change.done;
    return it->second;
  }

  bool remove(std::int64_t id) {
    std::lock_guard lock(mu_);
    return todos_.erase(id) > 0;
  }

 private:
  static std::string now_iso8601() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count() % 1000));
    return buf;
  }

  mutable std::mutex mu_;
  std::map<std::int64_t, Todo> todos_;
  std::int64_t next_id_ = 1;
};

}  // namespace todo
