// Waker and Context: how a pending future asks to be polled again.
//
// A future that returns Pending first stores a clone of `cx.waker()`; when the event it waits for
// happens (data arrived, a timer fired, a channel got a value) it calls `wake()`, which reschedules
// the task that owns the future. Wakers are small (two pointers), copyable, and safe to use from
// any thread, any number of times, even after the task has finished (the wake is then a no-op).
//
//   struct MyFuture {
//     std::optional<int> value_;      // set by the producer, which then calls waker_.wake()
//     Waker waker_;
//     Poll<int> poll(Context& cx) {
//       if (value_) return *value_;
//       waker_ = cx.waker();          // clone
//       return pending;
//     }
//   };
#pragma once

#include <utility>

namespace strata {

// The operations behind a Waker, like Rust's RawWakerVTable. `wake` consumes the reference.
struct WakerVTable {
  void (*clone)(const void* data);
  void (*wake)(const void* data);
  void (*wake_by_ref)(const void* data);
  void (*drop)(const void* data);
};

class Waker {
 public:
  Waker() noexcept = default;
  Waker(const void* data, const WakerVTable* vtable) noexcept : data_(data), vtable_(vtable) {}
  Waker(const Waker& o) noexcept : data_(o.data_), vtable_(o.vtable_) {
    if (vtable_) vtable_->clone(data_);
  }
  Waker(Waker&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), vtable_(std::exchange(o.vtable_, nullptr)) {}
  Waker& operator=(const Waker& o) noexcept {
    if (this != &o) *this = Waker(o);
    return *this;
  }
  Waker& operator=(Waker&& o) noexcept {
    if (this != &o) {
      reset();
      data_ = std::exchange(o.data_, nullptr);
      vtable_ = std::exchange(o.vtable_, nullptr);
    }
    return *this;
  }
  ~Waker() { reset(); }

  // Wakes the task and gives up this handle.
  void wake() && noexcept {
    if (auto* vt = std::exchange(vtable_, nullptr)) vt->wake(std::exchange(data_, nullptr));
  }
  // Wakes the task, keeping this handle usable.
  void wake_by_ref() const noexcept {
    if (vtable_) vtable_->wake_by_ref(data_);
  }
  // True when both wake the same task: lets futures skip re-cloning an unchanged waker.
  bool will_wake(const Waker& o) const noexcept { return data_ == o.data_ && vtable_ == o.vtable_; }
  explicit operator bool() const noexcept { return vtable_ != nullptr; }
  void reset() noexcept {
    if (auto* vt = std::exchange(vtable_, nullptr)) vt->drop(std::exchange(data_, nullptr));
  }

  // A waker that does nothing; for polling futures outside a runtime.
  static Waker noop() noexcept;

  const void* data() const noexcept { return data_; }
  // Gives up ownership without dropping (for borrowed wakers built by executors).
  void forget() noexcept { data_ = nullptr, vtable_ = nullptr; }

 private:
  const void* data_ = nullptr;
  const WakerVTable* vtable_ = nullptr;
};

// What a future receives when polled: the waker of the task being polled.
class Context {
 public:
  explicit Context(const Waker& waker) noexcept : waker_(waker) {}
  const Waker& waker() const noexcept { return waker_; }

 private:
  const Waker& waker_;
};

}  // namespace strata
