// EventfdUnpark (backend.hpp): the eventfd both Linux back-ends are woken through.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "backend.hpp"

namespace strata::detail {

EventfdUnpark::EventfdUnpark() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd");
}

EventfdUnpark::~EventfdUnpark() {
  ::close(fd_);
}

void EventfdUnpark::unpark() noexcept {
  // acq_rel: release orders the caller's work before the flag; acquire pairs with rearm() so the
  // write below follows the previous wake's consumption.
  if (notified_.exchange(true, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  if (::write(fd_, &one, sizeof one) < 0 && errno == EAGAIN) {
    // The counter is saturated (after ~2^64 wake-ups): reset it and signal again.
    std::uint64_t v;
    [[maybe_unused]] auto r = ::read(fd_, &v, sizeof v);
    [[maybe_unused]] auto w = ::write(fd_, &one, sizeof one);
  }
}

}  // namespace strata::detail
