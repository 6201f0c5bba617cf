// The todo API's data: the stored Todo and the two request DTOs with their constraints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "strata/web.hpp"

namespace todo {

struct Todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  std::string created_at;  // ISO 8601, UTC, milliseconds (JavaScript's toISOString)
};
BOOST_DESCRIBE_STRUCT(Todo, (), (id, title, done, created_at))

// POST /todos
struct CreateTodo {
  std::string title;
  std::optional<bool> done;
  static constexpr auto constraints() {
    return strata::web::rules(strata::web::rule<&CreateTodo::title>(strata::web::Length{1, 200}));
  }
};
BOOST_DESCRIBE_STRUCT(CreateTodo, (), (title, done))

// PATCH /todos/:id: every field optional, the same constraints.
struct UpdateTodo {
  std::optional<std::string> title;
  std::optional<bool> done;
  static constexpr auto constraints() {
    return strata::web::rules(strata::web::rule<&UpdateTodo::title>(strata::web::Length{1, 200}));
  }
};
BOOST_DESCRIBE_STRUCT(UpdateTodo, (), (title, done))

}  // namespace todo
