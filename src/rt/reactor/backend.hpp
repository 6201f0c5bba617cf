// Reactor back-ends and how a runtime picks one (private to rt).
//
// Selection: RuntimeConfig::reactor, else $STRATA_REACTOR, else the platform default (epoll).
// Names: "epoll", "io_uring"; "kqueue" and "iocp" are reserved for the other platforms. A name
// that is unknown, or a back-end this machine refuses (io_uring_queue_init failing with ENOSYS
// or EPERM under seccomp, a missing opcode or feature), falls back to the default and writes one
// line to stderr giving the reason, as libuv's uv__use_io_uring() decides once per process.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/reactor.hpp"

namespace strata::detail {

// The unpark channel of both Linux back-ends: an eventfd the back-end watches edge-triggered and
// never drains, since every write is a new edge (as mio relies on), and skipping the read halves
// the syscalls of a remote wake-up. Concurrent unpark() calls fold into one write until the
// back-end's poll reports the eventfd and calls rearm().
class EventfdUnpark {
 public:
  EventfdUnpark();  // throws std::system_error
  ~EventfdUnpark();
  EventfdUnpark(const EventfdUnpark&) = delete;
  EventfdUnpark& operator=(const EventfdUnpark&) = delete;

  int fd() const noexcept { return fd_; }
  // Any thread.
  void unpark() noexcept;
  // The poll saw the eventfd. release: re-arms unpark(). An unpark() that still saw the flag set
  // (and skipped its write) does not synchronise with this; its caller's work is found by the
  // re-check every caller makes after poll() returns (Idle's lock; current_thread's seq_cst
  // parked_/inject_len_).
  void rearm() noexcept { notified_.store(false, std::memory_order_release); }

 private:
  int fd_ = -1;
  Atomic<bool> notified_{false};
};

std::unique_ptr<Reactor> make_epoll_reactor();
// An io_uring reactor, or nullptr with `why` saying what failed.
std::unique_ptr<Reactor> make_io_uring_reactor(std::string& why);
// Whether this process can use io_uring (probed once, then cached); `why` says why not.
bool io_uring_usable(std::string& why);

// While alive, make_default_reactor() on this thread builds the back-end named by `requested`
// ("" = $STRATA_REACTOR). Runtime's constructor holds one around building its executor, so every
// worker's reactor follows the config; chosen() names what was built ("epoll" when any worker
// fell back).
class ReactorChoice {
 public:
  explicit ReactorChoice(std::string_view requested);
  ~ReactorChoice();
  ReactorChoice(const ReactorChoice&) = delete;
  ReactorChoice& operator=(const ReactorChoice&) = delete;

  const char* chosen() const noexcept { return chosen_; }

 private:
  friend std::unique_ptr<Reactor> make_default_reactor();
  std::string requested_;  // resolved: never empty
  std::string source_;     // where the name came from, for the log line
  bool logged_ = false;    // one line per runtime, not per worker
  const char* chosen_ = nullptr;
  ReactorChoice* prev_;
};

}  // namespace strata::detail
