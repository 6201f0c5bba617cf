// The prelude of the strata/web header examples (cmake/header_examples.py): the web layer, the
// http prelude below it, and the small todo application the examples talk about.
#pragma once

#include <strata/rx.hpp>
#include <strata/web.hpp>

#include "http_prelude.hpp"

namespace strata_examples {

struct Todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
};
BOOST_DESCRIBE_STRUCT(Todo, (), (id, title, done))

struct CreateTodo {
  std::string title;
  std::optional<bool> done;
};
BOOST_DESCRIBE_STRUCT(CreateTodo, (), (title, done))

class TodoRepository {};
class TodoService {
 public:
  using inject = web::Inject<TodoRepository>;
  explicit TodoService(std::shared_ptr<TodoRepository> repo);
};
class RequestAudit {};

class TodoAuthGuard : public web::Guard {
 public:
  Task<bool> can_activate(web::Context& ctx) override;
};
class Timing : public web::Interceptor {
 public:
  Task<web::Reply> intercept(web::Context& ctx, web::Next next) override;
};

class TodoController {
 public:
  static constexpr std::string_view prefix = "/todos";
  using inject = web::Inject<TodoService>;
  explicit TodoController(std::shared_ptr<TodoService> service);
  std::vector<Todo> list();
  static constexpr auto routes() { return web::routes(web::get<"">(&TodoController::list)); }
};

extern Todo todo;                      // a todo a handler found
extern std::shared_ptr<web::App> app;  // an application being set up
extern web::Module todos;              // a module being declared

}  // namespace strata_examples
