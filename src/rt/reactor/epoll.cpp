// The epoll backend: edge-triggered registrations, an eventfd for cross-thread unpark.
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <mutex>
#include <system_error>
#include <vector>

#include "backend.hpp"
#include "strata/rt/detail/atomic.hpp"

namespace strata::detail {

namespace {

class EpollReactor final : public Reactor {
 public:
  EpollReactor() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.ptr = nullptr;  // the unpark token
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_.fd(), &ev) < 0) {
      int err = errno;
      ::close(epfd_);
      throw std::system_error(err, std::system_category(), "epoll_ctl(eventfd)");
    }
  }
  ~EpollReactor() override {
    release_pending();
    ::close(epfd_);
  }

  Result<IoSource*> register_fd(int fd) override {
    auto* src = new IoSource;
    src->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = src;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
      int err = errno;
      delete src;
      return fail(Error::from_errno(err, "epoll_ctl(ADD)"));
    }
    sources_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a hint for poll(), see there
    return src;
  }

  void deregister(IoSource* src) noexcept override {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, src->fd, nullptr);
    sources_.fetch_sub(1, std::memory_order_relaxed);  // relaxed: as in register
    std::lock_guard lock(release_lock_);
    release_.push_back(src);
  }

  std::size_t poll(std::optional<std::chrono::nanoseconds> timeout) override {
    release_pending();
    // A non-blocking check with no registered sources can only find the unpark eventfd, which
    // matters to a parking worker alone (it stays pending in the edge-triggered set until a
    // blocking poll reports it). Skipping the syscall keeps the periodic I/O check of a
    // compute-only worker (every event_interval polls) free.
    // relaxed: sources are registered by tasks of this worker; a registration from another
    // thread that this skip misses is polled by the next blocking poll.
    if (timeout && timeout->count() <= 0 && sources_.load(std::memory_order_relaxed) == 0) {
      return 0;
    }
    int ms = -1;
    if (timeout) {
      auto ns = timeout->count();
      ms = ns <= 0 ? 0
                   : static_cast<int>(std::min<std::int64_t>((ns + 999'999) / 1'000'000, 1 << 30));
    }
    int n = ::epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), ms);
    if (n < 0) return 0;  // EINTR: the caller loops
    std::size_t io = 0;
    for (int i = 0; i < n; ++i) {
      const epoll_event& e = events_[static_cast<std::size_t>(i)];
      if (!e.data.ptr) {
        wake_.rearm();  // the eventfd is not drained: see EventfdUnpark
        continue;
      }
      ++io;
      std::uint32_t bits = 0;
      if (e.events & EPOLLIN) bits |= readiness::readable;
      if (e.events & EPOLLOUT) bits |= readiness::writable;
      if (e.events & EPOLLRDHUP) bits |= readiness::read_closed | readiness::readable;
      if (e.events & EPOLLHUP)
        bits |= readiness::read_closed | readiness::write_closed | readiness::readable;
      if (e.events & EPOLLERR) bits |= readiness::error | readiness::readable | readiness::writable;
      static_cast<IoSource*>(e.data.ptr)->set_readiness(bits);
    }
    return io;
  }

  void unpark() noexcept override { wake_.unpark(); }

  const char* name() const noexcept override { return "epoll"; }

 private:
  void release_pending() noexcept {
    std::vector<IoSource*> doomed;
    {
      std::lock_guard lock(release_lock_);
      if (release_.empty()) return;
      doomed.swap(release_);
    }
    for (IoSource* s : doomed) delete s;
  }

  EventfdUnpark wake_;  // constructed first: the constructor registers it
  int epfd_ = -1;
  Atomic<std::size_t> sources_{0};  // registered I/O sources (the eventfd excluded)
  SpinLock release_lock_;
  std::vector<IoSource*> release_;
  std::array<epoll_event, 256> events_{};
};

}  // namespace

std::unique_ptr<Reactor> make_epoll_reactor() {
  return std::make_unique<EpollReactor>();
}

}  // namespace strata::detail
