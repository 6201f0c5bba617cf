#include <mutex>
#include <utility>

#include "strata/rt/detail/task_cell.hpp"
#include "strata/rt/reactor.hpp"

namespace strata {

namespace detail {

namespace {
constexpr std::uint32_t kReadMask = readiness::readable | readiness::read_closed | readiness::error;
constexpr std::uint32_t kWriteMask =
    readiness::writable | readiness::write_closed | readiness::error;
constexpr std::uint32_t kSticky = readiness::read_closed | readiness::write_closed;

std::uint32_t mask_of(Interest i) noexcept {
  std::uint32_t m = 0;
  if (static_cast<std::uint8_t>(i) & static_cast<std::uint8_t>(Interest::readable)) m |= kReadMask;
  if (static_cast<std::uint8_t>(i) & static_cast<std::uint8_t>(Interest::writable)) m |= kWriteMask;
  return m;
}
}  // namespace

// The reactor's CAS is acq_rel (failure relaxed: it retries): release pairs with the acquire
// load in poll_ready(), so a task that sees the readiness bits sees the event's tick with them;
// acquire orders it after a clear_readiness() it overwrites.
void IoSource::set_readiness(std::uint32_t bits) noexcept {
  std::uint64_t cur = state.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    std::uint32_t tick = static_cast<std::uint32_t>(cur >> 32) + 1;
    next = (std::uint64_t{tick} << 32) | (static_cast<std::uint32_t>(cur) | bits);
  } while (!state.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                        std::memory_order_relaxed));

  Waker r, w;
  {
    std::lock_guard guard(waiters_lock);
    if (bits & kReadMask) r = std::move(reader);
    if (bits & kWriteMask) w = std::move(writer);
  }
  std::move(r).wake();
  std::move(w).wake();
}

Poll<ReadyEvent> IoSource::poll_ready(Context& cx, Interest interest) {
  const std::uint32_t mask = mask_of(interest);
  auto ready_now = [&]() -> std::optional<ReadyEvent> {
    // acquire: pairs with the release CAS in set_readiness().
    std::uint64_t s = state.load(std::memory_order_acquire);
    std::uint32_t bits = static_cast<std::uint32_t>(s) & mask;
    if (!bits) return std::nullopt;
    return ReadyEvent{static_cast<std::uint32_t>(s >> 32), bits};
  };
  if (auto ev = ready_now()) return *ev;
  {
    std::lock_guard guard(waiters_lock);
    if (mask & kReadMask & ~readiness::error) {
      if (!reader.will_wake(cx.waker())) reader = cx.waker();
    }
    if (mask & kWriteMask & ~readiness::error) {
      if (!writer.will_wake(cx.waker())) writer = cx.waker();
    }
  }
  // Re-check after registering: an event between the first check and the registration would
  // otherwise be lost (the reactor took no waker).
  if (auto ev = ready_now()) return *ev;
  return pending;
}

// acq_rel CAS, relaxed load and failure order: as in set_readiness(); the tick check makes a
// clear that raced with a newer event a no-op.
void IoSource::clear_readiness(ReadyEvent ev) noexcept {
  std::uint64_t cur = state.load(std::memory_order_relaxed);
  for (;;) {
    // A newer event arrived after `ev` was observed: keep its readiness.
    if (static_cast<std::uint32_t>(cur >> 32) != ev.tick) return;
    std::uint64_t next = cur & ~std::uint64_t{ev.ready & ~kSticky};
    if (state.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                    std::memory_order_relaxed))
      return;
  }
}

void IoSource::shutdown() noexcept {
  set_readiness(readiness::readable | readiness::writable | readiness::read_closed |
                readiness::write_closed);
}

}  // namespace detail

Result<IoRegistration> IoRegistration::create(int fd) {
  auto& ctx = detail::require_context("IoRegistration::create");
  detail::Reactor& reactor = detail::require_reactor("IoRegistration::create");
  auto src = reactor.register_fd(fd);
  if (!src) return fail(src.error());
  ctx.scheduler->ref();
  return IoRegistration(&reactor, ctx.scheduler, *src);
}

IoRegistration::IoRegistration(IoRegistration&& o) noexcept
    : reactor_(std::exchange(o.reactor_, nullptr)),
      scheduler_(std::exchange(o.scheduler_, nullptr)),
      src_(std::exchange(o.src_, nullptr)) {}

IoRegistration& IoRegistration::operator=(IoRegistration&& o) noexcept {
  if (this != &o) {
    release();
    reactor_ = std::exchange(o.reactor_, nullptr);
    scheduler_ = std::exchange(o.scheduler_, nullptr);
    src_ = std::exchange(o.src_, nullptr);
  }
  return *this;
}

IoRegistration::~IoRegistration() {
  release();
}

void IoRegistration::release() noexcept {
  if (src_) {
    // The reactor frees a deregistered source only at its next poll(); a waker left in it
    // would keep its task, and through the task the runtime, alive until then (forever when
    // the runtime is finishing). Take both out now; they are dropped on return.
    Waker r, w;
    {
      std::lock_guard guard(src_->waiters_lock);
      r = std::move(src_->reader);
      w = std::move(src_->writer);
    }
    reactor_->deregister(std::exchange(src_, nullptr));
  }
  if (scheduler_) std::exchange(scheduler_, nullptr)->unref();
  reactor_ = nullptr;
}

}  // namespace strata
