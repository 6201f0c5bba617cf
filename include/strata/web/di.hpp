// Dependency injection: providers are constructed at start-up from the dependencies they
// declare, once per application (singleton), per injection (transient) or per request.
//
//   class TodoRepository {};                                        // default-constructible
//   class TodoService {
//    public:
//     using inject = web::Inject<TodoRepository, web::Config>;      // the constructor's deps
//     TodoService(std::shared_ptr<TodoRepository> repo, std::shared_ptr<web::Config> cfg);
//     void on_module_init();                                        // optional lifecycle hooks
//     void on_application_shutdown();
//   };
//
// Providers are registered in modules (module.hpp). A missing provider, a dependency cycle or a
// singleton that depends on a request-scoped provider is a start-up error (web::DiError) whose
// message names the chain: "TodoController -> TodoService -> TodoRepository: no provider for
// TodoRepository in module TodoModule (providers: ...; imports' exports: ...)".
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "strata/web/detail/fixed_string.hpp"

namespace strata::web {

class Context;
class Injector;

enum class Scope {
  singleton,  // one instance for the application, built at start-up (the default)
  transient,  // a new instance for every consumer
  request,    // one instance per request (handlers take it as a std::shared_ptr<T> parameter)
};

// The dependencies a provider's constructor takes, each as std::shared_ptr<D>, in order.
template <class... Deps>
struct Inject {};

// A start-up error of the dependency graph.
class DiError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

struct ProviderDef {
  explicit ProviderDef(std::type_index t) : type(t) {}
  std::type_index type;
  std::string name;
  Scope scope = Scope::singleton;
  std::vector<std::type_index> deps;
  std::vector<std::string> dep_names;
  std::function<std::shared_ptr<void>(Injector&, Context*, std::vector<std::string>&)> make;
  std::function<void(void*)> on_module_init;
  std::function<void(void*)> on_application_shutdown;
};

template <class T>
struct InjectOf {
  using type = Inject<>;
};
template <class T>
requires requires {
  typename T::inject;
}
struct InjectOf<T> {
  using type = typename T::inject;
};

}  // namespace detail

// The providers one module can see: its own and its imports' exports.
class Injector {
 public:
  // The provider of T (throws DiError naming what is missing); `ctx` is needed for request-scoped
  // providers, whose instances live in the request's Context.
  template <class T>
  std::shared_ptr<T> get(Context* ctx = nullptr) {
    std::vector<std::string> chain;
    return std::static_pointer_cast<T>(resolve(typeid(T), detail::type_name<T>(), ctx, chain));
  }
  // A new T built with its declared dependencies from this injector (guards, interceptors and
  // controllers that are not registered providers).
  template <class T>
  std::shared_ptr<T> make(Context* ctx = nullptr) {
    std::vector<std::string> chain{std::string(detail::type_name<T>())};
    return construct<T>(*this, ctx, chain);
  }

  // Building blocks for module.hpp: construct T from Inject<Deps...>.
  template <class T>
  static std::shared_ptr<T> construct(Injector& in, Context* ctx, std::vector<std::string>& chain) {
    return construct_with<T>(in, ctx, chain, typename detail::InjectOf<T>::type{});
  }
  template <class T>
  static void describe_deps(detail::ProviderDef& def) {
    describe_with(def, typename detail::InjectOf<T>::type{});
  }

  // Whether a provider of `type` is visible here.
  bool has(std::type_index type) const noexcept;
  std::shared_ptr<void> resolve(std::type_index type, std::string_view name, Context* ctx,
                                std::vector<std::string>& chain);
  const std::string& module_name() const noexcept { return module_name_; }

 private:
  friend class App;
  template <class T, class... D>
  static std::shared_ptr<T> construct_with(Injector& in, Context* ctx,
                                           std::vector<std::string>& chain, Inject<D...>) {
    if constexpr (sizeof...(D) == 0) {
      static_assert(std::is_default_constructible_v<T>,
                    "web DI: give the class `using inject = web::Inject<Deps...>;` naming its "
                    "constructor's dependencies (each taken as std::shared_ptr<Dep>), or a "
                    "default constructor");
      return std::make_shared<T>();
    } else {
      static_assert(std::is_constructible_v<T, std::shared_ptr<D>...>,
                    "web DI: the constructor must take std::shared_ptr<Dep>... in the order of "
                    "`using inject = web::Inject<Deps...>`");
      return std::make_shared<T>(std::static_pointer_cast<D>(
          in.resolve(typeid(D), detail::type_name<D>(), ctx, chain))...);
    }
  }
  template <class... D>
  static void describe_with(detail::ProviderDef& def, Inject<D...>) {
    (def.deps.emplace_back(typeid(D)), ...);
    (def.dep_names.emplace_back(detail::type_name<D>()), ...);
  }

  struct Visible {
    std::type_index type;
    std::shared_ptr<detail::ProviderDef> def;
  };
  struct Shared;  // the application's singleton instances
  std::shared_ptr<Shared> shared_;
  std::string module_name_;
  std::vector<Visible> visible_;
  std::vector<std::string> own_names_, import_names_;
};

}  // namespace strata::web
