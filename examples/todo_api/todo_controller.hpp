// The todo API's controller: five routes under /todos, mutations behind a bearer token.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/web.hpp"
#include "todo.hpp"
#include "todo_repository.hpp"

namespace todo {

namespace web = strata::web;
using strata::Task;

// Mutations need `Authorization: Bearer <TODO_API_TOKEN>` (default "dev-token").
class TodoAuthGuard : public web::BearerGuard {
 public:
  using inject = web::Inject<web::Config>;
  explicit TodoAuthGuard(std::shared_ptr<web::Config> config)
      : BearerGuard(config->get("TODO_API_TOKEN").value_or("dev-token")) {}
};

class TodoController {
 public:
  static constexpr std::string_view prefix = "/todos";
  using inject = web::Inject<TodoRepository>;
  explicit TodoController(std::shared_ptr<TodoRepository> repo) : repo_(std::move(repo)) {}

  using Id = web::Param<"id", std::int64_t, web::Min{1}>;

  std::vector<Todo> list(
      web::Query<"done", std::optional<bool>> done,
      web::Query<"limit", int, web::Default{20}, web::Min{1}, web::Max{100}> limit,
      web::Query<"offset", int, web::Default{0}, web::Min{0}> offset) {
    return repo_->list(*done, static_cast<std::size_t>(*offset), static_cast<std::size_t>(*limit));
  }

  Todo find(Id id) {
    std::optional<Todo> t = repo_->find(*id);
    if (!t) throw web::NotFoundException("Todo " + std::to_string(*id) + " not found");
    return *t;
  }

  web::Reply create(web::Body<CreateTodo> dto) {
    Todo t = repo_->create(std::move(dto->title), dto->done.value_or(false));
    web::Reply r = web::Reply::json(t);
    (void)r.headers.set("location", "/todos/" + std::to_string(t.id));
    return r;
  }

  Todo update(Id id, web::Body<UpdateTodo> dto) {
    std::optional<Todo> t = repo_->update(*id, *dto);
    if (!t) throw web::NotFoundException("Todo " + std::to_string(*id) + " not found");
    return *t;
  }

  void remove(Id id) {
    if (!repo_->remove(*id))
      throw web::NotFoundException("Todo " + std::to_string(*id) + " not found");
  }

  static constexpr auto routes() {
    return web::routes(web::get<"">(&TodoController::list, "listTodos").summary("List todos"),
                       web::get<":id">(&TodoController::find, "getTodo").summary("Get one todo"),
                       web::post<"">(&TodoController::create, "createTodo")
                           .guards<TodoAuthGuard>()
                           .summary("Create a todo"),
                       web::patch<":id">(&TodoController::update, "updateTodo")
                           .guards<TodoAuthGuard>()
                           .summary("Change a todo"),
                       web::delete_<":id">(&TodoController::remove, "deleteTodo")
                           .guards<TodoAuthGuard>()
                           .code(204)
                           .summary("Delete a todo"));
  }

 private:
  std::shared_ptr<TodoRepository> repo_;
};

}  // namespace todo
