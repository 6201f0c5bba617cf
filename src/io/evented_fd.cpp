#include "strata/io/evented_fd.hpp"

#include <unistd.h>

namespace strata::io {

Result<EventedFd> EventedFd::adopt(int fd) {
  if (fd < 0) return fail(Error::from_errno(EBADF, "register fd"));
  auto reg = IoRegistration::create(fd);
  if (!reg) {
    ::close(fd);
    return fail(reg.error());
  }
  return EventedFd(fd, std::move(*reg));
}

EventedFd& EventedFd::operator=(EventedFd&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    reg_ = std::move(o.reg_);
    read_ev_ = o.read_ev_;
    write_ev_ = o.write_ev_;
  }
  return *this;
}

void EventedFd::close() noexcept {
  if (int fd = release(); fd >= 0) ::close(fd);
}

int EventedFd::release() noexcept {
  if (fd_ < 0) return -1;
  { IoRegistration gone(std::move(reg_)); }  // deregister before the fd can be reused
  read_ev_ = write_ev_ = ReadyEvent{};
  return std::exchange(fd_, -1);
}

Poll<Result<void>> EventedFd::poll_ready(Context& cx, Interest interest) {
  Poll<ReadyEvent> p = reg_.poll_ready(cx, interest);
  if (p.is_pending()) return pending;
  const ReadyEvent ev = p.take();
  if (interest == Interest::readable) read_ev_ = ev;
  if (interest == Interest::writable) write_ev_ = ev;
  return Result<void>{};
}

}  // namespace strata::io
