// JoinHandle<T>: the handle spawn() returns — await it for the task's result, or abort the task.
//
//   JoinHandle<int> h = spawn(fetch(1));
//   Result<int> r = co_await h;      // the value, or Errc::cancelled if the task was aborted
//   h.abort();                       // cancel at the task's next suspension point
//
// Awaiting rethrows an exception that escaped the task. Dropping the handle detaches the task: it
// keeps running and its output is discarded. Safe to use from any thread.
#pragma once

#include <mutex>
#include <utility>

#include "strata/rt/detail/task_cell.hpp"
#include "strata/rt/error.hpp"

namespace strata {

template <class T>
class [[nodiscard]] JoinHandle {
 public:
  using Cell = detail::TaskOutput<T>;

  JoinHandle() noexcept = default;
  explicit JoinHandle(Cell* cell) noexcept : cell_(cell) {}
  JoinHandle(JoinHandle&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& o) noexcept {
    if (this != &o) {
      release();
      cell_ = std::exchange(o.cell_, nullptr);
    }
    return *this;
  }
  ~JoinHandle() { release(); }

  // Requests cancellation; the task's future is destroyed at its next suspension point.
  void abort() const noexcept {
    if (cell_) detail::task_abort(cell_);
  }
  bool is_finished() const noexcept {
    // acquire: pairs with the release CAS of COMPLETE in complete() (task_cell.cpp).
    return cell_ && (cell_->state.load(std::memory_order_acquire) & detail::kComplete);
  }
  bool valid() const noexcept { return cell_ != nullptr; }
  detail::TaskHeader* header() const noexcept { return cell_; }
  // Lets the task run on with nobody waiting for it.
  void detach() noexcept { release(); }

  Poll<Result<T>> poll(Context& cx) {
    std::lock_guard lock(cell_->join_lock);
    // acquire: as in is_finished(); the output read after this is the one complete() released.
    if (!(cell_->state.load(std::memory_order_acquire) & detail::kComplete)) {
      if (!cell_->join_waker.will_wake(cx.waker())) cell_->join_waker = cx.waker();
      return pending;
    }
    return take_output();
  }

 private:
  Result<T> take_output() {
    auto& out = cell_->output;
    if (auto* e = std::get_if<2>(&out)) std::rethrow_exception(*e);
    if (out.index() == 3) return fail(Errc::cancelled, "task aborted");
    if constexpr (std::is_void_v<T>) {
      return {};
    } else {
      return std::move(std::get<1>(out));
    }
  }
  void release() noexcept {
    if (auto* c = std::exchange(cell_, nullptr)) c->unref();
  }

  Cell* cell_ = nullptr;
};

}  // namespace strata
