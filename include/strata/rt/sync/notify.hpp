// Notify: wakes tasks that wait for an event, without carrying data (tokio::sync::Notify).
//
//   sync::Notify ready;
//   ready.notify_one();              // a producer, after publishing its data
//   co_await ready.notified();       // a consumer: completes at once (the permit was stored)
//
// - notify_one() wakes the task that has waited longest (FIFO); when nobody waits it stores one
//   permit (at most one), which the next notified() consumes at once, so a notification sent
//   just before the consumer starts waiting is not lost.
// - notify_waiters() wakes every waiting task and every Notified future created before the call,
//   even if not yet polled; it stores no permit. The pattern "create the future, check the
//   condition, await the future" therefore never misses a notify_waiters().
// - Cancellation: destroying a Notified unlinks it in O(1). If notify_one() had already chosen
//   it, the notification passes to the next waiter (or becomes the stored permit): it is never
//   lost by a select() or timeout() that drops the future.
// Thread-safe; a Notify must outlive its Notified futures and must not move while they exist.
#pragma once

#include <cstdint>

#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/sync/detail/wait_list.hpp"

namespace strata::sync {

class Notify {
 public:
  Notify() noexcept = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  // The future returned by notified(). Movable only before its first poll or enable().
  class [[nodiscard]] Notified {
   public:
    Notified(Notified&& o) noexcept;
    Notified& operator=(Notified&&) = delete;
    ~Notified();

    Poll<void> poll(Context& cx);
    // Joins the waiter queue without polling, so that a notify_one() from now on is addressed to
    // this future (not stored as a permit). Returns true if it is already notified.
    bool enable();

   private:
    friend class Notify;
    enum class State : std::uint8_t { idle, waiting, notified, done };
    struct Waiter : detail::Link {
      Waker waker;
      State state = State::idle;  // guarded by the Notify's lock once registered
    };
    explicit Notified(Notify* n) noexcept;
    bool poll_locked(const Waker* w, Waker& old);

    Notify* notify_;
    std::uint64_t generation_;  // notify_waiters() calls seen at creation
    bool registered_ = false;   // ever queued (only the owner reads this)
    bool done_ = false;
    Waiter node_;
  };

  // A future that completes at the next notification (or at once with a stored permit).
  Notified notified() noexcept { return Notified(this); }
  // Wakes the longest waiter, or stores a single permit if nobody waits.
  void notify_one() noexcept;
  // Wakes all current waiters (and unpolled Notified futures created before this call).
  void notify_waiters() noexcept;

 private:
  using Waiter = Notified::Waiter;
  // Hands a notification to the first waiter (returning its waker) or stores the permit.
  Waker notify_one_locked() noexcept;

  strata::detail::SpinLock lock_;
  detail::WaitList<Waiter> waiters_;
  bool permit_ = false;
  strata::detail::Atomic<std::uint64_t> generation_{0};
};

}  // namespace strata::sync
