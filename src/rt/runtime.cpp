#include "strata/rt/runtime.hpp"

#include <stdexcept>

namespace strata {

Runtime::Runtime(const RuntimeConfig& config) {
  if (config.event_interval == 0 || config.global_queue_interval == 0) {
    throw std::invalid_argument("RuntimeConfig: intervals must be positive");
  }
  switch (config.flavor) {
    case RuntimeConfig::Flavor::current_thread:
      exec_ = detail::make_current_thread_executor(config);
      break;
    case RuntimeConfig::Flavor::multi_thread:
      throw std::invalid_argument("RuntimeConfig: the multi-thread runtime is not built yet");
  }
}

Runtime::~Runtime() {
  if (exec_) {
    exec_->shutdown();
    exec_->unref();
  }
}

void Runtime::shutdown() noexcept {
  if (exec_) exec_->shutdown();
}

}  // namespace strata
