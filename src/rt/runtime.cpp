#include "strata/rt/runtime.hpp"

#include "reactor/backend.hpp"

#include <csignal>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace strata {

namespace {
// A write to a socket whose peer is gone raises SIGPIPE, whose default action kills the
// process. send/sendmsg avoid it with MSG_NOSIGNAL, but sendfile(2) and write(2) on pipes have
// no such flag. Like Rust's std, Go and nginx, a process that runs Strata ignores SIGPIPE (the
// call then fails with EPIPE, a typed error); a handler the application installed is kept.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}
}  // namespace

Runtime::Runtime(const RuntimeConfig& config) {
  if (config.event_interval == 0 || config.global_queue_interval == 0) {
    throw std::invalid_argument("RuntimeConfig: intervals must be positive");
  }
  ignore_sigpipe_once();
  detail::ReactorChoice reactor(config.reactor);  // the executor's reactors follow it
  switch (config.flavor) {
    case RuntimeConfig::Flavor::current_thread:
      exec_ = detail::make_current_thread_executor(config);
      break;
    case RuntimeConfig::Flavor::multi_thread:
      exec_ = detail::make_multi_thread_executor(config);
      break;
  }
  reactor_name_ = reactor.chosen();
}

std::uint32_t RuntimeConfig::resolved_workers() const {
  if (workers) return workers;
  if (const char* env = std::getenv("STRATA_WORKERS")) {
    char* end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n <= 4096) return static_cast<std::uint32_t>(n);
    throw std::invalid_argument(std::string("STRATA_WORKERS: not a worker count: ") + env);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

Runtime::~Runtime() {
  if (exec_) {
    exec_->shutdown(Instant::max());
    exec_->unref();
  }
}

void Runtime::shutdown(Duration timeout) noexcept {
  if (!exec_) return;
  Instant now = Clock::now();
  exec_->shutdown(timeout >= Instant::max() - now ? Instant::max() : now + timeout);
}

void Runtime::shutdown_background() noexcept {
  if (exec_) exec_->shutdown(Instant::min());
}

}  // namespace strata
