// The I/O reactor: tells tasks when a file descriptor is ready, so that sockets can be async.
//
// Model (readiness, like tokio and Seastar's epoll backend): an fd is registered once,
// edge-triggered, for both directions. The reactor records readiness bits with a tick that
// changes on every event; an operation tries its syscall, and on EAGAIN clears exactly the
// readiness it observed (clear_readiness(event)) and awaits the next edge, so an event that
// arrives between the syscall and the clear is never lost.
//
//   int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);   // any non-blocking fd
//   auto reg = IoRegistration::create(fd);               // deregisters when destroyed
//   std::uint64_t value;
//   for (;;) {
//     ReadyEvent ev = co_await reg->readable();
//     ssize_t n = ::read(fd, &value, sizeof value);
//     if (n < 0 && errno == EAGAIN) { reg->clear_readiness(ev); continue; }
//     break;                                             // a value, or another error
//   }
//
// Backends implement detail::Reactor: epoll (src/rt/reactor/epoll.cpp) and io_uring
// (io_uring.cpp), chosen per runtime by RuntimeConfig::reactor or $STRATA_REACTOR; kqueue and IOCP
// fit the same interface (docs/runtime.md, "Reactor back-ends"). The reactor is also how a
// parked runtime thread sleeps: poll(timeout) blocks in the kernel, unpark() interrupts it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"

namespace strata {

enum class Interest : std::uint8_t { readable = 1, writable = 2, both = 3 };

// Readiness bits.
namespace readiness {
inline constexpr std::uint32_t readable = 1;
inline constexpr std::uint32_t writable = 2;
inline constexpr std::uint32_t read_closed = 4;   // peer shut down its write side (EPOLLRDHUP)
inline constexpr std::uint32_t write_closed = 8;  // hang-up: nothing more can be written
inline constexpr std::uint32_t error = 16;        // EPOLLERR: read SO_ERROR for the cause
}  // namespace readiness

// One observation of readiness; pass it back to clear_readiness() after an EAGAIN.
struct ReadyEvent {
  std::uint32_t tick = 0;
  std::uint32_t ready = 0;
  bool is_readable() const noexcept {
    return ready & (readiness::readable | readiness::read_closed);
  }
  bool is_writable() const noexcept {
    return ready & (readiness::writable | readiness::write_closed);
  }
  bool is_read_closed() const noexcept { return ready & readiness::read_closed; }
};

namespace detail {

// Per-fd state shared between the reactor (which sets readiness) and tasks (which await it).
struct IoSource {
  int fd = -1;
  Atomic<std::uint64_t> state{0};  // tick << 32 | readiness bits
  SpinLock waiters_lock;           // guards reader and writer
  Waker reader;
  Waker writer;

  // Called by the reactor with the bits of one event: bumps the tick, wakes matching waiters.
  void set_readiness(std::uint32_t bits) noexcept;
  Poll<ReadyEvent> poll_ready(Context& cx, Interest interest);
  void clear_readiness(ReadyEvent ev) noexcept;
  // Marks the source as shut down: every waiter wakes and sees it readable/writable.
  void shutdown() noexcept;
};

class Reactor {
 public:
  virtual ~Reactor() = default;
  // Registers `fd` (edge-triggered, both directions). The source stays valid until deregister().
  virtual Result<IoSource*> register_fd(int fd) = 0;
  // Removes the fd from the reactor; the source is freed after the current dispatch round, so
  // an event already fetched for it is never delivered to freed memory. Call before close(fd).
  virtual void deregister(IoSource* src) noexcept = 0;
  // Waits up to `timeout` (nullopt = no limit, zero = don't block) and dispatches readiness.
  // Returns the number of I/O events dispatched.
  virtual std::size_t poll(std::optional<std::chrono::nanoseconds> timeout) = 0;
  // Makes a blocked or the next poll() return at once; safe from any thread.
  virtual void unpark() noexcept = 0;
  virtual const char* name() const noexcept = 0;
};

// The back-end of the runtime being built on this thread (RuntimeConfig::reactor, else
// $STRATA_REACTOR, else epoll), falling back to epoll with a logged reason.
std::unique_ptr<Reactor> make_default_reactor();

}  // namespace detail

// An fd registered with the current runtime's reactor; deregisters on destruction (it does not
// close the fd). Futures from readable()/writable() complete when the reactor saw that readiness.
class IoRegistration {
 public:
  static Result<IoRegistration> create(int fd);
  IoRegistration(IoRegistration&& o) noexcept;
  IoRegistration& operator=(IoRegistration&& o) noexcept;
  ~IoRegistration();

  struct ReadyFuture {
    detail::IoSource* src;
    Interest interest;
    Poll<ReadyEvent> poll(Context& cx) { return src->poll_ready(cx, interest); }
  };
  ReadyFuture readable() const noexcept { return {src_, Interest::readable}; }
  ReadyFuture writable() const noexcept { return {src_, Interest::writable}; }
  ReadyFuture ready(Interest i) const noexcept { return {src_, i}; }
  Poll<ReadyEvent> poll_ready(Context& cx, Interest i) { return src_->poll_ready(cx, i); }
  void clear_readiness(ReadyEvent ev) noexcept { src_->clear_readiness(ev); }
  int fd() const noexcept { return src_ ? src_->fd : -1; }

 private:
  IoRegistration(detail::Reactor* r, detail::Scheduler* s, detail::IoSource* src) noexcept
      : reactor_(r), scheduler_(s), src_(src) {}
  void release() noexcept;

  detail::Reactor* reactor_ = nullptr;
  detail::Scheduler* scheduler_ = nullptr;  // a reference that keeps the reactor alive
  detail::IoSource* src_ = nullptr;
};

}  // namespace strata
