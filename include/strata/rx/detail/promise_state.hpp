// The shared state behind Promise<T>: the ECMAScript algorithm (spec section 27.2) in C++.
//
// Design note. A PromiseState is reference counted (every Promise copy, resolver and queued job
// holds a reference). Its fields follow the spec's internal slots:
//   status        pending / fulfilled / rejected       ([[PromiseState]])
//   value/reason  the outcome, immutable once settled   ([[PromiseResult]])
//   reactions     FIFO list while pending               ([[PromiseFulfill/RejectReactions]])
//   handled       a reaction or awaiter was attached    ([[PromiseIsHandled]])
//   locked_in     a resolving function was used ("alreadyResolved"; the promise may still be
//                 pending while it follows another promise)
// Settling moves every reaction onto the settling thread's microtask queue (strata/rt/
// microtask.hpp) in registration order; then() on a settled promise queues its reaction at once.
// Resolving with a promise queues a "thenable job" that attaches a forwarding reaction to it:
// that is the spec's NewPromiseResolveThenableJob and costs the same two extra turns.
// A SpinLock guards status and the lists, so promises may be settled and observed from any
// thread; reactions then run on the thread that settled (or attached to a settled promise).
// A rejection with no reaction is reported by the unhandled-rejection tracker
// (src/rx/promise.cpp) once the thread's microtask queue has drained.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "strata/rt/detail/spin_lock.hpp"
#include "strata/rt/microtask.hpp"
#include "strata/rt/waker.hpp"

namespace strata::rx {

template <class T>
class Promise;

namespace detail {

template <class T>
struct StoredOf {
  using type = T;
};
template <>
struct StoredOf<void> {
  using type = std::monostate;
};
// What a promise stores: T, or std::monostate for Promise<void>.
template <class T>
using Stored = typename StoredOf<T>::type;

struct StateBase;

// A reaction: a microtask queued when its source settles.
struct ReactionBase : Microtask {
  ReactionBase* next_reaction = nullptr;
  StateBase* source = nullptr;  // set (with a reference) when queued

  ReactionBase() noexcept { run = &run_job; }
  virtual ~ReactionBase();
  virtual void fire() = 0;

 private:
  static void run_job(Microtask* m) noexcept;
};

enum class Status : std::uint8_t { pending, fulfilled, rejected };

struct StateBase {
  std::atomic<std::uint32_t> refs{1};
  strata::detail::SpinLock lock;
  Status status = Status::pending;
  bool locked_in = false;
  bool handled = false;
  std::exception_ptr reason;
  ReactionBase* head = nullptr;
  ReactionBase* tail = nullptr;
  std::vector<Waker> wakers;  // tasks awaiting this promise (co_await): woken, not queued

  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;
  virtual ~StateBase();

  void ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    // acq_rel: the last owner sees every write the other owners made before dropping theirs.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Called with `lock` held after the outcome was stored: releases the lock, queues the
  // reactions, wakes the awaiters and tracks an unhandled rejection.
  void finish_settle() noexcept;
  // Attaches `r` (marks handled); queues it at once when already settled.
  void add_reaction(ReactionBase* r) noexcept;
  // Rejects unless settled; true if this call settled it.
  bool reject(std::exception_ptr e) noexcept;
  // Registers `w` (deduplicated) while pending; false when settled.
  bool add_waker(const Waker& w);
};

template <class T>
struct State final : StateBase {
  std::optional<Stored<T>> value;

  bool fulfill(Stored<T> v) {
    lock.lock();
    if (status != Status::pending) {
      lock.unlock();
      return false;
    }
    value.emplace(std::move(v));
    status = Status::fulfilled;
    finish_settle();
    return true;
  }
};

// An owning pointer to a State (intrusive reference).
template <class S>
class Ref {
 public:
  Ref() noexcept = default;
  explicit Ref(S* s) noexcept : s_(s) {}  // adopts a reference
  static Ref share(S* s) noexcept {
    s->ref();
    return Ref(s);
  }
  Ref(const Ref& o) noexcept : s_(o.s_) {
    if (s_) s_->ref();
  }
  Ref(Ref&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Ref& operator=(Ref o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Ref() {
    if (s_) s_->unref();
  }
  S* get() const noexcept { return s_; }
  S* operator->() const noexcept { return s_; }
  explicit operator bool() const noexcept { return s_ != nullptr; }
  S* release() noexcept { return std::exchange(s_, nullptr); }

 private:
  S* s_ = nullptr;
};

// Settles `target` with `src`'s outcome (the adoption half of a thenable job).
template <class T>
struct ForwardReaction final : ReactionBase {
  Ref<State<T>> target;
  explicit ForwardReaction(Ref<State<T>> t) noexcept : target(std::move(t)) {}
  void fire() override {
    auto* src = static_cast<State<T>*>(source);
    if (src->status == Status::fulfilled) {
      target->fulfill(*src->value);
    } else {
      target->reject(src->reason);
    }
  }
};

// NewPromiseResolveThenableJob: one turn later, follow `src`.
template <class T>
struct ThenableJob final : Microtask {
  Ref<State<T>> target;
  Ref<State<T>> src;
  ThenableJob(Ref<State<T>> t, Ref<State<T>> s) noexcept : target(std::move(t)), src(std::move(s)) {
    run = [](Microtask* m) noexcept {
      auto* job = static_cast<ThenableJob*>(m);
      job->src->add_reaction(new ForwardReaction<T>(std::move(job->target)));
      delete job;
    };
  }
};

std::exception_ptr chaining_cycle_error();

// Resolves `target` with another promise's state: adoption through a thenable job.
template <class T>
void adopt(State<T>* target, Ref<State<T>> src) {
  if (src.get() == target) {
    target->reject(chaining_cycle_error());
    return;
  }
  queue_microtask(new ThenableJob<T>(Ref<State<T>>::share(target), std::move(src)));
}

}  // namespace detail
}  // namespace strata::rx
