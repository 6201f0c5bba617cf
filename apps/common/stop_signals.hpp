// The programs in apps/ stop cleanly on SIGINT/SIGTERM. The signals are blocked in every thread
// (block_stop_signals() in main, before the runtime starts its workers, which inherit the mask),
// and a task polls for them with sigtimedwait: no handler runs in signal context, and no worker
// is interrupted by one.
//
//   int main() {
//     apps::block_stop_signals();
//     return strata::run(config, [] { return serve(); });   // serve(): co_await
//   }                                                       //   apps::stop_signal(); shutdown
#pragma once

#include <signal.h>

#include <chrono>
#include <ctime>

#include "strata/rt.hpp"

namespace apps {

// SIGINT and SIGTERM.
inline sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Blocks the stop signals in the calling thread and in every thread it starts afterwards.
inline void block_stop_signals() {
  const sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Completes once one of the (blocked) signals in `set` is pending, and takes it; checked every
// 100 ms.
inline strata::Task<void> signal_in(sigset_t set) {
  for (;;) {
    timespec zero{0, 0};
    if (sigtimedwait(&set, nullptr, &zero) > 0) co_return;
    co_await strata::sleep(std::chrono::milliseconds(100));
  }
}

// Completes once a stop signal is pending (see block_stop_signals()).
inline strata::Task<void> stop_signal() {
  return signal_in(stop_signal_set());
}

// SIGHUP, for reloading (certificates, configuration): block_reload_signal() in main next to
// block_stop_signals(), then `co_await reload_signal()` in a loop.
inline sigset_t reload_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}
inline void block_reload_signal() {
  const sigset_t set = reload_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}
inline strata::Task<void> reload_signal() {
  return signal_in(reload_signal_set());
}

}  // namespace apps
