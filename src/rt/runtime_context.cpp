#include "strata/rt/detail/runtime_context.hpp"

#include <stdexcept>
#include <string>

namespace strata::detail {

namespace {
thread_local RuntimeContext* tls_context = nullptr;
}

RuntimeContext* current_context() noexcept {
  return tls_context;
}

RuntimeContext& require_context(const char* what) {
  if (!tls_context) {
    throw std::logic_error(std::string(what) + ": no Strata runtime is running on this thread");
  }
  return *tls_context;
}

TimerDriver& require_timers(const char* what) {
  RuntimeContext& ctx = require_context(what);
  if (!ctx.timers) {
    throw std::logic_error(std::string(what) +
                           ": no timer driver on this thread (inside block_in_place?)");
  }
  return *ctx.timers;
}

Reactor& require_reactor(const char* what) {
  RuntimeContext& ctx = require_context(what);
  if (!ctx.reactor) {
    throw std::logic_error(std::string(what) +
                           ": no reactor on this thread (inside block_in_place?)");
  }
  return *ctx.reactor;
}

ContextGuard::ContextGuard(RuntimeContext* ctx) noexcept : prev_(tls_context) {
  tls_context = ctx;
}
ContextGuard::~ContextGuard() {
  tls_context = prev_;
}

}  // namespace strata::detail
