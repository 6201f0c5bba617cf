#include "strata/rt/detail/runtime_context.hpp"

#include "strata/rt/runtime.hpp"

#include <stdexcept>
#include <string>

namespace strata::detail {

namespace {
thread_local RuntimeContext* tls_context = nullptr;
thread_local Reactor* tls_reactor_override = nullptr;
}  // namespace

RuntimeContext* current_context() noexcept {
  return tls_context;
}

bool defer_wake(const Waker& w) {
  if (!tls_context || !tls_context->deferred) return false;
  tls_context->deferred->push_back(w);  // capacity is kept: no allocation in steady state
  return true;
}

void wake_deferred(std::vector<Waker>& deferred) noexcept {
  // By index: a wake only queues its task, it never runs one, so nothing is added meanwhile.
  for (std::size_t i = 0; i < deferred.size(); ++i) std::move(deferred[i]).wake();
  deferred.clear();
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
  if (tls_reactor_override) return *tls_reactor_override;
  if (!ctx.reactor) {
    throw std::logic_error(std::string(what) +
                           ": no reactor on this thread (inside block_in_place?)");
  }
  return *ctx.reactor;
}

ReactorOverride::ReactorOverride(Reactor* r) noexcept : prev_(tls_reactor_override) {
  tls_reactor_override = r;
}
ReactorOverride::~ReactorOverride() {
  tls_reactor_override = prev_;
}

ContextGuard::ContextGuard(RuntimeContext* ctx) noexcept : prev_(tls_context) {
  tls_context = ctx;
}
ContextGuard::~ContextGuard() {
  tls_context = prev_;
}

}  // namespace strata::detail

namespace strata {

std::uint32_t worker_count() {
  return detail::require_context("worker_count").workers;
}

namespace {
detail::Reactor* reactor_of_worker(std::uint32_t worker) {
  detail::RuntimeContext& ctx = detail::require_context("WorkerAffinity");
  if (!ctx.worker_reactors || ctx.workers == 0) {
    throw std::logic_error("WorkerAffinity: this runtime has no worker reactors");
  }
  return ctx.worker_reactors[worker % ctx.workers];
}
}  // namespace

WorkerAffinity::WorkerAffinity(std::uint32_t worker) : guard_(reactor_of_worker(worker)) {}

}  // namespace strata
