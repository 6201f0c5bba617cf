// The io_uring back-end: readiness through multishot poll requests, one submission per turn.
//
// Design note.
// Each registered fd has one multishot IORING_OP_POLL_ADD request (in, out, rdhup, err, hup;
// io_uring's poll is edge-triggered unless IORING_POLL_ADD_LEVEL is asked for) whose user_data
// is its UringSource. Each CQE carries the poll mask, mapped onto the same readiness bits as
// epoll's events, so IoSource and the readiness protocol above it are unchanged.
//
// Threads. Only the thread that runs this reactor's worker (its RuntimeContext names this
// reactor; block_in_place hands that role to one other thread at a time) touches the submission
// queue. It prepares SQEs for its own registrations and re-arms, and poll() submits them together
// with its wait in one io_uring_enter (batched submission per reactor turn). Other threads (a
// WorkerAffinity registration, a registration dropped by a task that another worker now runs)
// queue an op under lock_ and unpark the reactor, whose next poll() prepares it. A poll request
// holds a reference to its file, so a deregistration must end it before the caller's close(fd)
// can release the socket (send the FIN): on the owner thread it is submitted at once, from other
// threads it is also cancelled synchronously (IORING_REGISTER_SYNC_CANCEL), as promptly as
// epoll_ctl(DEL) would.
//
// Lifetime (the classic io_uring bug is a CQE whose user_data points at freed memory). A source
// is freed only by the owner thread, at the end of the poll() in which both hold:
//  - dead: its deregistration was processed (an ASYNC_CANCEL submitted after its POLL_ADD);
//  - not armed: its poll request's last CQE, the one without IORING_CQE_F_MORE, was seen.
// The cancel's own CQE carries kCancelToken, never a source. A multishot poll that the kernel
// ends while its source is live (a full CQ ring, a cancel because the submitting thread exited)
// is re-armed; arming reports the current readiness at once, so no edge is lost meanwhile.
//
// Unpark: EventfdUnpark (backend.hpp) with its own multishot poll (kWakeToken); every write is a
// new wake-up of the poll, hence a new CQE.
#include <liburing.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "backend.hpp"
#include "strata/rt/detail/atomic.hpp"

namespace strata::detail {

namespace {

// user_data values that are not sources (sources are at least 8-aligned heap addresses).
constexpr std::uint64_t kWakeToken = 1;
constexpr std::uint64_t kCancelToken = 2;
static_assert(alignof(IoSource) >= 4, "user_data tokens must not collide with source addresses");

// Readiness CQEs of a busy turn: 10k connections can all report at once. 8192 CQEs are 128 KiB;
// beyond that the kernel keeps overflowed CQEs (IORING_FEAT_NODROP) and ends the multishot polls
// that could not post, which poll() re-arms. Tests shrink it (tests/rt/rt_reactor.cmake).
#ifndef STRATA_IO_URING_CQ_ENTRIES
#define STRATA_IO_URING_CQ_ENTRIES 8192
#endif
constexpr unsigned kCqEntries = STRATA_IO_URING_CQ_ENTRIES;
constexpr unsigned kSqEntries = kCqEntries < 1024 ? kCqEntries : 1024;  // the CQ may not be smaller
// POLLERR and POLLHUP must be asked for: epoll adds them to every registration, io_uring filters
// a wake-up (a socket error reports EPOLLERR alone) and the CQE's mask by the events requested.
constexpr unsigned kPollMask = POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP;

struct UringSource : IoSource {
  // Owner thread only.
  bool armed = false;  // a poll request is in flight: its last CQE is still to come
  bool dead = false;   // deregistration processed
  // Set by deregister() on any thread: a re-arm must not poll an fd number the owner may have
  // closed and reused meanwhile. relaxed store/load: a hint; lock_ orders the deregistration op.
  Atomic<bool> released{false};
  // Every source not yet freed (for the destructor); under lock_.
  UringSource* prev = nullptr;
  UringSource* next = nullptr;
};

std::string errno_text(int err) {
  const char* name = ::strerrorname_np(err);
  const char* desc = ::strerrordesc_np(err);
  return std::string(name ? name : "errno " + std::to_string(err)) + " (" +
         (desc ? desc : "unknown error") + ")";
}

std::uint32_t readiness_of(std::uint32_t mask) noexcept {
  std::uint32_t bits = 0;
  if (mask & POLLIN) bits |= readiness::readable;
  if (mask & POLLOUT) bits |= readiness::writable;
  if (mask & POLLRDHUP) bits |= readiness::read_closed | readiness::readable;
  if (mask & POLLHUP)
    bits |= readiness::read_closed | readiness::write_closed | readiness::readable;
  if (mask & POLLERR) bits |= readiness::error | readiness::readable | readiness::writable;
  return bits;
}

// Checks what this back-end needs, on a throwaway ring: the opcodes, the features poll() relies
// on, and multishot poll (5.13; an unsupported flag fails the request at once with EINVAL).
bool probe(std::string& why) {
  io_uring ring;
  io_uring_params params{};
  if (int r = ::io_uring_queue_init_params(4, &ring, &params); r < 0) {
    why = "io_uring_queue_init: " + errno_text(-r);
    return false;
  }
  struct Exit {
    io_uring* r;
    ~Exit() { ::io_uring_queue_exit(r); }
  } exit_ring{&ring};
  if (!(params.features & IORING_FEAT_EXT_ARG)) {
    why = "the kernel lacks IORING_FEAT_EXT_ARG (waits with a timeout need 5.11)";
    return false;
  }
  if (!(params.features & IORING_FEAT_NODROP)) {
    why = "the kernel lacks IORING_FEAT_NODROP (5.5)";
    return false;
  }
  io_uring_probe* ops = ::io_uring_get_probe_ring(&ring);
  if (!ops) {
    why = "io_uring_get_probe failed";
    return false;
  }
  const bool have_add = ::io_uring_opcode_supported(ops, IORING_OP_POLL_ADD);
  const bool have_cancel = ::io_uring_opcode_supported(ops, IORING_OP_ASYNC_CANCEL);
  ::io_uring_free_probe(ops);
  if (!have_add || !have_cancel) {
    why = have_add ? "opcode IORING_OP_ASYNC_CANCEL unsupported"
                   : "opcode IORING_OP_POLL_ADD unsupported";
    return false;
  }
  int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) {
    why = "eventfd: " + errno_text(errno);
    return false;
  }
  io_uring_sqe* sqe = ::io_uring_get_sqe(&ring);
  ::io_uring_prep_poll_multishot(sqe, efd, POLLIN);
  ::io_uring_sqe_set_data64(sqe, kWakeToken);
  int submitted = ::io_uring_submit(&ring);
  io_uring_cqe* cqe = nullptr;
  int failed = 0;
  if (submitted != 1) {
    failed = submitted < 0 ? -submitted : EIO;
  } else if (::io_uring_peek_cqe(&ring, &cqe) == 0 && cqe->res < 0) {
    failed = -cqe->res;  // the eventfd is not readable: any CQE now is the request failing
  }
  ::close(efd);  // the ring's exit cancels the poll
  if (failed) {
    why = "multishot IORING_OP_POLL_ADD: " + errno_text(failed);
    return false;
  }
  return true;
}

class UringReactor final : public Reactor {
 public:
  // Sets `err` (a positive errno) and `what` when the ring cannot be set up.
  UringReactor(int& err, const char*& what) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    params.cq_entries = kCqEntries;
    if (int r = ::io_uring_queue_init_params(kSqEntries, &ring_, &params); r < 0) {
      err = -r;
      what = "io_uring_queue_init";
      return;
    }
    ring_ok_ = true;
  }

  ~UringReactor() override {
    // Exiting the ring cancels every request; no CQE is read after this, so every source can go.
    if (ring_ok_) ::io_uring_queue_exit(&ring_);
    for (UringSource* s = all_; s;) delete std::exchange(s, s->next);
  }

  Result<IoSource*> register_fd(int fd) override {
    // Validate as epoll_ctl(ADD) would, so that both back-ends fail alike and at once: a bad fd,
    // a file that cannot be polled (regular files and directories), the fd registered twice.
    if (fd < 0) return fail(Error::from_errno(EBADF, "io_uring register"));
    struct stat st {};
    if (::fstat(fd, &st) < 0) return fail(Error::from_errno(errno, "io_uring register: fstat"));
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      return fail(Error::from_errno(EPERM, "io_uring register: file cannot be polled"));
    }
    auto* s = new UringSource;
    s->fd = fd;
    const bool owner = on_owner_thread();
    {
      std::lock_guard lock(lock_);
      auto idx = static_cast<std::size_t>(fd);
      if (idx >= by_fd_.size()) by_fd_.resize(idx + 1, nullptr);
      if (by_fd_[idx]) {
        delete s;
        return fail(Error::from_errno(EEXIST, "io_uring register"));
      }
      by_fd_[idx] = s;
      s->next = all_;
      if (all_) all_->prev = s;
      all_ = s;
      if (!owner) ops_.push_back({Op::add, s});
    }
    if (owner) {
      arm(s);  // submitted with the next poll(): no CQE can be read before it anyway
    } else {
      unpark();
    }
    return static_cast<IoSource*>(s);
  }

  void deregister(IoSource* src) noexcept override {
    auto* s = static_cast<UringSource*>(src);
    s->released.store(true, std::memory_order_relaxed);  // relaxed: see UringSource::released
    const bool owner = on_owner_thread();
    {
      std::lock_guard lock(lock_);
      auto idx = static_cast<std::size_t>(s->fd);
      if (idx < by_fd_.size() && by_fd_[idx] == s) by_fd_[idx] = nullptr;
      if (!owner) push_op({Op::cancel, s});
    }
    if (owner) {
      cancel(s);
      ::io_uring_submit(&ring_);  // now: the caller's close(fd) must release the file
      return;
    }
    // Cancel the poll request at once without touching the SQ (IORING_REGISTER_SYNC_CANCEL,
    // 6.0), so the caller's close(fd) releases the file even while the owner thread is busy; the
    // queued op then finds the request gone (ENOENT). On older kernels, or when the request is
    // not submitted yet, the owner's next turn cancels it.
    io_uring_sync_cancel_reg reg{};
    reg.addr = reinterpret_cast<std::uintptr_t>(s);
    reg.fd = -1;
    reg.timeout.tv_sec = -1;
    reg.timeout.tv_nsec = -1;
    ::io_uring_register_sync_cancel(&ring_, &reg);
    unpark();
  }

  std::size_t poll(std::optional<std::chrono::nanoseconds> timeout) override {
    take_ops();
    if (!wake_armed_) arm_wake();
    if (timeout && timeout->count() <= 0) {
      // Nothing to submit and nothing completed: no syscall at all (the CQ ring is shared memory).
      if (::io_uring_sq_ready(&ring_)) {
        ::io_uring_submit(&ring_);
      } else if (!::io_uring_cq_ready(&ring_) && !::io_uring_cq_has_overflow(&ring_)) {
        free_doomed();
        return 0;
      }
    } else if (timeout) {
      auto ns = std::min<std::int64_t>(timeout->count(), std::int64_t{1} << 50);
      __kernel_timespec ts{};
      ts.tv_sec = ns / 1'000'000'000;
      ts.tv_nsec = ns % 1'000'000'000;
      io_uring_cqe* cqe = nullptr;
      // -ETIME, -EINTR: the caller loops.
      ::io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    } else {
      ::io_uring_submit_and_wait(&ring_, 1);
    }
    std::size_t io = drain();
    free_doomed();
    return io;
  }

  void unpark() noexcept override { wake_.unpark(); }

  const char* name() const noexcept override { return "io_uring"; }

 private:
  struct Op {
    enum Kind : std::uint8_t { add, cancel } kind;
    UringSource* src;
  };

  bool on_owner_thread() const noexcept {
    RuntimeContext* ctx = current_context();
    return ctx && ctx->reactor == this;
  }

  void push_op(Op op) noexcept {
    try {
      ops_.push_back(op);
    } catch (...) {
      std::terminate();  // out of memory: fatal, as everywhere in Strata
    }
  }

  // The next free SQE; submits what is queued when the ring is full.
  io_uring_sqe* get_sqe() noexcept {
    for (;;) {
      if (io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_)) return sqe;
      if (::io_uring_submit(&ring_) <= 0) ::sched_yield();  // EAGAIN/EBUSY: let the kernel catch up
    }
  }

  void arm(UringSource* s) noexcept {
    io_uring_sqe* sqe = get_sqe();
    ::io_uring_prep_poll_multishot(sqe, s->fd, kPollMask);
    ::io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uintptr_t>(s));
    s->armed = true;
  }

  void arm_wake() noexcept {
    io_uring_sqe* sqe = get_sqe();
    ::io_uring_prep_poll_multishot(sqe, wake_.fd(), POLLIN);
    ::io_uring_sqe_set_data64(sqe, kWakeToken);
    wake_armed_ = true;
  }

  void cancel(UringSource* s) noexcept {
    s->dead = true;
    if (!s->armed) {
      doomed_.push_back(s);
      return;
    }
    // ASYNC_CANCEL, not POLL_REMOVE: POLL_REMOVE fails with EALREADY while the poll is posting a
    // CQE (as it is right after arming on a ready fd) and the multishot poll then lives on,
    // holding the file: a closed UDP socket kept its port. A cancel marks the request instead.
    io_uring_sqe* sqe = get_sqe();
    ::io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(s), 0);
    ::io_uring_sqe_set_data64(sqe, kCancelToken);
  }

  void take_ops() {
    {
      std::lock_guard lock(lock_);
      if (ops_.empty()) return;
      taken_.swap(ops_);
    }
    for (const Op& op : taken_) {
      if (op.kind == Op::add) {
        arm(op.src);
      } else {
        cancel(op.src);
      }
    }
    taken_.clear();
  }

  // Reads every CQE, including overflowed ones; returns the readiness events dispatched.
  std::size_t drain() noexcept {
    std::size_t io = 0;
    for (int round = 0; round < 4; ++round) {
      unsigned head;
      unsigned seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        io += complete(cqe->user_data, cqe->res, cqe->flags);
      }
      ::io_uring_cq_advance(&ring_, seen);
      if (!::io_uring_cq_has_overflow(&ring_)) break;
      ::io_uring_get_events(&ring_);  // moves overflowed CQEs into the ring
    }
    return io;
  }

  // One CQE. A readiness dispatch (set_readiness) comes last: the waker it drops may end a task
  // whose registration then deregisters `s` on this thread.
  std::size_t complete(std::uint64_t data, std::int32_t res, std::uint32_t flags) noexcept {
    const bool more = flags & IORING_CQE_F_MORE;
    if (data == kWakeToken) {
      wake_.rearm();
      if (!more) arm_wake();
      return 0;
    }
    if (data == kCancelToken) return 0;  // the poll request's own last CQE follows or preceded it
    auto* s = reinterpret_cast<UringSource*>(static_cast<std::uintptr_t>(data));
    if (!more) s->armed = false;
    if (s->dead) {
      if (!more) doomed_.push_back(s);
      return 0;
    }
    const bool live = !s->released.load(std::memory_order_relaxed);
    if (res >= 0) {
      if (!more && live) arm(s);  // the kernel ended the multishot poll: keep the fd watched
      std::uint32_t bits = readiness_of(static_cast<std::uint32_t>(res));
      if (!bits) return 0;
      s->set_readiness(bits);
      return 1;
    }
    if (res == -ECANCELED) {
      // Not our cancel (that sets dead first): the thread that submitted the poll exited.
      if (live) arm(s);
      return 0;
    }
    // The poll cannot be armed (the fd was closed under the registration): wake both sides,
    // whose next syscall reports the cause.
    s->set_readiness(readiness::error | readiness::readable | readiness::writable);
    return 1;
  }

  void free_doomed() noexcept {
    if (doomed_.empty()) return;
    {
      std::lock_guard lock(lock_);
      for (UringSource* s : doomed_) {
        if (s->prev) s->prev->next = s->next;
        if (s->next) s->next->prev = s->prev;
        if (all_ == s) all_ = s->next;
      }
    }
    for (UringSource* s : doomed_) delete s;
    doomed_.clear();
  }

  io_uring ring_{};
  bool ring_ok_ = false;
  EventfdUnpark wake_;
  // Owner thread only.
  bool wake_armed_ = false;
  std::vector<Op> taken_;
  std::vector<UringSource*> doomed_;  // freed at the end of poll()
  // Shared: ops from other threads, the fd table (EEXIST as epoll gives it), the source list.
  SpinLock lock_;
  std::vector<Op> ops_;
  std::vector<UringSource*> by_fd_;
  UringSource* all_ = nullptr;
};

}  // namespace

bool io_uring_usable(std::string& why) {
  static std::once_flag once;
  static bool usable = false;
  static std::string reason;
  std::call_once(once, [] { usable = probe(reason); });
  if (!usable) why = reason;
  return usable;
}

std::unique_ptr<Reactor> make_io_uring_reactor(std::string& why) {
  if (!io_uring_usable(why)) return nullptr;
  int err = 0;
  const char* what = nullptr;
  std::unique_ptr<UringReactor> r;
  try {
    r = std::make_unique<UringReactor>(err, what);
  } catch (const std::system_error& e) {  // the unpark eventfd
    err = e.code().value();
    what = "eventfd";
  }
  if (err) {
    why = std::string(what) + ": " + errno_text(err);
    return nullptr;
  }
  return r;
}

}  // namespace strata::detail
