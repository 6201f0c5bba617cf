// Internal: the handle rule shared by the channel ends that count themselves in the channel's
// shared state (broadcast::Sender, watch::Sender, watch::Receiver). A copy registers one more
// handle, a move hands the registration over, and destroying or assigning over a live handle
// gives its registration up, which may close the channel and wake the other side.
//
//   struct SenderCount {   // what registering and giving up mean for this handle
//     static void acquire(Shared& sh) { sh.senders.fetch_add(1); }
//     static void release(Shared& sh) { if (sh.senders.fetch_sub(1) == 1) sh.close(); }
//   };
//   CountedRef<Shared, SenderCount> sh_;   // Sender's copy, move and destructor come for free
#pragma once

#include <memory>
#include <utility>

namespace strata::sync::detail {

// A shared_ptr to channel state that keeps Policy's count of live handles: Policy::acquire(sh)
// on copy, Policy::release(sh) when a live handle is destroyed or assigned over.
template <class Shared, class Policy>
class CountedRef {
 public:
  // Takes a reference that is already counted (the channel's first handles).
  explicit CountedRef(std::shared_ptr<Shared> sh) noexcept : sh_(std::move(sh)) {}
  CountedRef(const CountedRef& o) noexcept : sh_(o.sh_) { Policy::acquire(*sh_); }
  CountedRef(CountedRef&&) noexcept = default;
  CountedRef& operator=(const CountedRef& o) noexcept {
    if (this != &o) *this = CountedRef(o);
    return *this;
  }
  CountedRef& operator=(CountedRef&& o) noexcept {
    if (this != &o) {
      release();
      sh_ = std::move(o.sh_);
    }
    return *this;
  }
  ~CountedRef() { release(); }

  Shared* operator->() const noexcept { return sh_.get(); }
  Shared& operator*() const noexcept { return *sh_; }
  Shared* get() const noexcept { return sh_.get(); }
  // The state itself, for creating another handle (which counts itself).
  const std::shared_ptr<Shared>& shared() const noexcept { return sh_; }

 private:
  void release() noexcept {
    auto sh = std::move(sh_);  // keeps the state alive through Policy::release
    if (sh) Policy::release(*sh);
  }

  std::shared_ptr<Shared> sh_;
};

}  // namespace strata::sync::detail
