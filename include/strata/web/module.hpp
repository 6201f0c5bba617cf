// web::Module: a unit of providers and controllers, with imports and exports, as in NestJS.
//
//   web::Module todos("TodoModule");
//   todos.provide<TodoRepository>()                        // singleton (default scope)
//        .provide<TodoService>()
//        .provide<RequestAudit>(web::Scope::request)
//        .provide_value(std::make_shared<web::Config>(web::Config::from_env()))
//        .controller<TodoController>()
//        .exports<TodoService>();
//   web::Module app_module("AppModule");
//   app_module.import(todos);                              // sees TodoService only
//   auto app = web::App::create(app_module);
//
// A module sees its own providers and what its imports export (an export may re-export an
// import's provider). Modules are cheap handles: copies share one definition.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

#include "strata/web/controller.hpp"
#include "strata/web/di.hpp"

namespace strata::web {

namespace detail {
struct ControllerDef {
  std::string name;
  std::function<void(Injector&, RouteSink&, std::vector<std::string>&)> mount;
};
struct ModuleDef {
  std::string name;
  std::vector<std::shared_ptr<ProviderDef>> providers;
  std::vector<std::shared_ptr<ModuleDef>> imports;
  std::vector<std::type_index> exports;
  std::vector<std::string> export_names;
  std::vector<ControllerDef> controllers;
};

template <class T, class Self>
void add_hooks(ProviderDef& def) {
  if constexpr (requires(T & t) { t.on_module_init(); })
    def.on_module_init = [](void* p) { static_cast<T*>(static_cast<Self*>(p))->on_module_init(); };
  if constexpr (requires(T & t) { t.on_application_shutdown(); })
    def.on_application_shutdown = [](void* p) {
      static_cast<T*>(static_cast<Self*>(p))->on_application_shutdown();
    };
}
}  // namespace detail

class Module {
 public:
  explicit Module(std::string name) : def_(std::make_shared<detail::ModuleDef>()) {
    def_->name = std::move(name);
  }

  // T, built from its `inject` list (or default-constructed).
  template <class T>
  Module& provide(Scope scope = Scope::singleton) {
    return provide_as<T, T>(scope);
  }
  // `I` (an interface or base), built as T.
  template <class I, class T>
  Module& provide_as(Scope scope = Scope::singleton) {
    static_assert(std::is_base_of_v<I, T> || std::is_same_v<I, T>);
    auto def = new_provider<I>(scope);
    Injector::describe_deps<T>(*def);
    def->make = [](Injector& in, Context* ctx, std::vector<std::string>& chain) {
      std::shared_ptr<I> p = Injector::construct<T>(in, ctx, chain);
      return std::shared_ptr<void>(std::move(p));
    };
    detail::add_hooks<T, I>(*def);
    return *this;
  }
  // An instance made by the caller (configuration, clients).
  template <class T>
  Module& provide_value(std::shared_ptr<T> value) {
    auto def = new_provider<T>(Scope::singleton);
    def->make = [value](Injector&, Context*, std::vector<std::string>&) {
      return std::shared_ptr<void>(value);
    };
    detail::add_hooks<T, T>(*def);
    return *this;
  }
  // T from a factory `std::shared_ptr<T>(web::Injector&)`.
  template <class T, class F>
  Module& provide_factory(F factory, Scope scope = Scope::singleton) {
    auto def = new_provider<T>(scope);
    def->make = [factory = std::move(factory)](Injector& in, Context*, std::vector<std::string>&) {
      std::shared_ptr<T> p = factory(in);
      return std::shared_ptr<void>(std::move(p));
    };
    detail::add_hooks<T, T>(*def);
    return *this;
  }
  template <class C>
  Module& controller() {
    def_->controllers.push_back(
        {std::string(detail::type_name<C>()),
         [](Injector& in, detail::RouteSink& sink, std::vector<std::string>& chain) {
           detail::mount_controller<C>(in, sink, chain);
         }});
    return *this;
  }
  Module& import(const Module& other) {
    def_->imports.push_back(other.def_);
    return *this;
  }
  template <class... T>
  Module& exports() {
    (def_->exports.emplace_back(typeid(T)), ...);
    (def_->export_names.emplace_back(detail::type_name<T>()), ...);
    return *this;
  }

  const std::string& name() const noexcept { return def_->name; }
  const std::shared_ptr<detail::ModuleDef>& definition() const noexcept { return def_; }

 private:
  template <class T>
  std::shared_ptr<detail::ProviderDef> new_provider(Scope scope) {
    auto def = std::make_shared<detail::ProviderDef>(typeid(T));
    def->name = std::string(detail::type_name<T>());
    def->scope = scope;
    def_->providers.push_back(def);
    return def;
  }

  std::shared_ptr<detail::ModuleDef> def_;
};

}  // namespace strata::web
