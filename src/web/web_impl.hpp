// Internal state shared by the web layer's sources.
#pragma once

#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "strata/web/di.hpp"

namespace strata::web {

struct Injector::Shared {
  std::unordered_map<const detail::ProviderDef*, std::shared_ptr<void>> singletons;
  std::unordered_map<const detail::ProviderDef*, Injector*> owner;
  std::vector<std::pair<const detail::ProviderDef*, std::shared_ptr<void>>> created;  // in order
  bool frozen = false;  // after start-up: singletons exist, the maps are only read
};

}  // namespace strata::web
