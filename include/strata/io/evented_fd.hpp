// EventedFd: a non-blocking file descriptor registered with the current runtime's reactor —
// the building block under every socket type (and pipes, ttys, eventfds...).
//
// It owns the fd (closing it after deregistration) and runs the readiness protocol of
// rt/reactor.hpp for its users: poll_io() awaits readiness, tries the syscall, and on EAGAIN
// clears exactly the readiness it observed and waits again, so no edge is ever lost.
//
//   auto fd = io::EventedFd::adopt(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
//   std::uint64_t v;
//   Result<std::size_t> n = co_await io::poll_fn([&](Context& cx) {
//     return fd->poll_io(cx, Interest::readable, [&] {
//       return ::read(fd->fd(), &v, sizeof v);   // ssize_t; -1 with errno on failure
//     });
//   });
//
// Concurrency: one task may wait for readability and another for writability at the same time
// (the reactor keeps one waker per direction); two tasks waiting on the same direction replace
// each other's waker. Errors from poll_io()/try_io() carry the errno and no context: callers add
// one ("read 192.0.2.1:80").
//
// Register only fds that will not report a stale hang-up: a TCP socket before connect() reports
// EPOLLHUP, which the reactor keeps as a sticky "closed" bit. Sockets register after connect(),
// listen() or bind().
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <utility>

#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/reactor.hpp"

namespace strata::io {

class EventedFd {
 public:
  // Takes ownership of a non-blocking `fd` and registers it with the current runtime's reactor
  // (throws std::logic_error outside a runtime). Closes `fd` if registration fails.
  static Result<EventedFd> adopt(int fd);

  EventedFd(EventedFd&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        reg_(std::move(o.reg_)),
        read_ev_(o.read_ev_),
        write_ev_(o.write_ev_) {}
  EventedFd& operator=(EventedFd&& o) noexcept;
  ~EventedFd() { close(); }

  int fd() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Deregisters and closes now (the destructor does the same).
  void close() noexcept;
  // Deregisters and gives the fd back, still open and non-blocking.
  int release() noexcept;

  // Waits until the fd is ready for `interest` (readable or writable). The observed event is
  // remembered per direction for try_io().
  Poll<Result<void>> poll_ready(Context& cx, Interest interest);

  // Waits for readiness, then runs `op` (returning ssize_t, -1 with errno set) until it
  // succeeds, fails with anything but EAGAIN/EINTR, or would block (then Pending).
  // `drained_below`: for stream sockets, a result smaller than this (a short read or write)
  // means the kernel buffer is drained or full, so the readiness is cleared at once and the next
  // call waits for a new edge instead of paying for an EAGAIN (0 = never).
  template <class Op>
  Poll<Result<std::size_t>> poll_io(Context& cx, Interest interest, Op&& op,
                                    std::size_t drained_below = 0) {
    for (;;) {
      Poll<ReadyEvent> p = reg_.poll_ready(cx, interest);
      if (p.is_pending()) return pending;
      const ReadyEvent ev = p.take();
      for (;;) {
        const ssize_t n = op();
        if (n >= 0) {
          if (static_cast<std::size_t>(n) < drained_below) reg_.clear_readiness(ev);
          return static_cast<std::size_t>(n);  // built in place: no Result temporary
        }
        const int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        return fail(Error::from_errno(err));
      }
      reg_.clear_readiness(ev);
    }
  }

  // Runs `op` once without waiting. On EAGAIN clears the readiness last observed by
  // poll_ready() for `interest` and fails with std::errc::operation_would_block.
  template <class Op>
  Result<std::size_t> try_io(Interest interest, Op&& op) {
    for (;;) {
      const ssize_t n = op();
      if (n >= 0) return static_cast<std::size_t>(n);
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        ReadyEvent& ev = interest == Interest::writable ? write_ev_ : read_ev_;
        reg_.clear_readiness(std::exchange(ev, ReadyEvent{}));
      }
      return fail(Error::from_errno(err));
    }
  }

  // Clears the readiness observed in `ev` (for callers that know the fd is drained, e.g. after
  // a short read from a stream socket, which saves the EAGAIN round trip).
  void clear_readiness(ReadyEvent ev) noexcept { reg_.clear_readiness(ev); }
  // The raw readiness future (ReadyEvent), for protocols that need the event itself.
  IoRegistration::ReadyFuture ready(Interest interest) const noexcept {
    return reg_.ready(interest);
  }

 private:
  EventedFd(int fd, IoRegistration reg) noexcept : fd_(fd), reg_(std::move(reg)) {}

  int fd_ = -1;
  IoRegistration reg_;
  ReadyEvent read_ev_;
  ReadyEvent write_ev_;
};

}  // namespace strata::io
