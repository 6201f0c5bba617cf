#include "strata/web/di.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "strata/web/context.hpp"
#include "web_impl.hpp"

namespace strata::web {

namespace {
std::string chain_text(const std::vector<std::string>& chain, std::string_view last) {
  std::string s;
  for (const auto& c : chain) {
    s += c;
    s += " -> ";
  }
  s += last;
  return s;
}

std::string list_text(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string s;
  for (const auto& n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}
}  // namespace

bool Injector::has(std::type_index type) const noexcept {
  return std::any_of(visible_.begin(), visible_.end(),
                     [&](const Visible& v) { return v.type == type; });
}

std::shared_ptr<void> Injector::resolve(std::type_index type, std::string_view name, Context* ctx,
                                        std::vector<std::string>& chain) {
  const Visible* found = nullptr;
  for (const auto& v : visible_)
    if (v.type == type) found = &v;
  if (!found) {
    throw DiError(chain_text(chain, name) + ": no provider for " + std::string(name) +
                  " in module " + module_name_ + " (its providers: " + list_text(own_names_) +
                  "; exported by its imports: " + list_text(import_names_) + ")");
  }
  const detail::ProviderDef& def = *found->def;
  if (std::find(chain.begin(), chain.end(), def.name) != chain.end())
    throw DiError("dependency cycle: " + chain_text(chain, def.name));
  Injector& owner = *shared_->owner.at(&def);

  if (def.scope == Scope::singleton) {
    auto it = shared_->singletons.find(&def);
    if (it != shared_->singletons.end()) return it->second;
    if (shared_->frozen)
      throw DiError(chain_text(chain, def.name) + ": singleton built after start-up");
  } else if (def.scope == Scope::request) {
    if (!ctx)
      throw DiError(chain_text(chain, def.name) + ": " + def.name +
                    " is request-scoped; only handlers (std::shared_ptr<" + def.name +
                    "> parameters) and other request-scoped or transient providers resolved "
                    "per request may depend on it");
    if (std::shared_ptr<void>* slot = ctx->scoped(&def); slot && *slot) return *slot;
  }

  chain.push_back(def.name);
  std::shared_ptr<void> instance = def.make(owner, ctx, chain);
  chain.pop_back();

  if (def.scope == Scope::singleton) {
    shared_->singletons.emplace(&def, instance);
    shared_->created.emplace_back(&def, instance);
  } else if (def.scope == Scope::request) {
    ctx->set_scoped(&def, instance);
  }
  return instance;
}

}  // namespace strata::web
