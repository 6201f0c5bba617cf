// Back-end selection: make_default_reactor() and ReactorChoice (backend.hpp).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "backend.hpp"

namespace strata::detail {

namespace {

thread_local ReactorChoice* tls_choice = nullptr;

constexpr const char* kDefault = "epoll";

// The named back-end, or nullptr with `why` saying why this machine cannot run it.
std::unique_ptr<Reactor> make_named(const std::string& name, std::string& why) {
  if (name == "epoll") return make_epoll_reactor();
  if (name == "io_uring") return make_io_uring_reactor(why);
  if (name == "kqueue" || name == "iocp") {
    why = "not available on Linux";
  } else {
    why = "unknown back-end (known: epoll, io_uring)";
  }
  return nullptr;
}

}  // namespace

ReactorChoice::ReactorChoice(std::string_view requested) : prev_(tls_choice) {
  if (!requested.empty()) {
    requested_ = requested;
    source_ = "RuntimeConfig::reactor";
  } else if (const char* env = std::getenv("STRATA_REACTOR"); env && *env) {
    requested_ = env;
    source_ = "STRATA_REACTOR";
  } else {
    requested_ = kDefault;
    source_ = "default";
  }
  tls_choice = this;
}

ReactorChoice::~ReactorChoice() {
  tls_choice = prev_;
}

std::unique_ptr<Reactor> make_default_reactor() {
  ReactorChoice* choice = tls_choice;
  if (!choice) {
    ReactorChoice local("");  // no runtime is being built: $STRATA_REACTOR or the default
    return make_default_reactor();
  }
  std::string why;
  std::unique_ptr<Reactor> r = make_named(choice->requested_, why);
  if (!r) {
    if (!choice->logged_) {
      // One line per runtime: the request, where it came from, why it cannot be honoured.
      std::fprintf(stderr, "strata: reactor %s (%s): %s; falling back to %s\n",
                   choice->requested_.c_str(), choice->source_.c_str(), why.c_str(), kDefault);
      choice->logged_ = true;
    }
    r = make_epoll_reactor();
  }
  // A worker that fell back makes the runtime report the fallback.
  if (!choice->chosen_ || r->name() == std::string_view(kDefault)) choice->chosen_ = r->name();
  return r;
}

}  // namespace strata::detail
