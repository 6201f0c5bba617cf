// spawn_blocking(): run a blocking function (file I/O, CPU-heavy work, a C library call) on a
// separate thread pool, so that it cannot stall the runtime's workers.
//
//   Result<std::string> text = co_await spawn_blocking([] { return read_whole_file("a.txt"); });
//
// The pool belongs to the runtime; it starts threads on demand up to
// RuntimeConfig::max_blocking_threads and lets each one exit after blocking_keep_alive without
// work. abort() cancels a call that has not started; a call that is running finishes (threads
// cannot be interrupted) and its result is discarded. Code on a blocking thread is outside the
// runtime: use a Handle to spawn from it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>

#include "strata/rt/detail/runtime_context.hpp"
#include "strata/rt/detail/task_cell.hpp"
#include "strata/rt/join_handle.hpp"
#include "strata/rt/time.hpp"

namespace strata {
namespace detail {

class BlockingPool final : public Scheduler {
 public:
  BlockingPool(std::string thread_name, std::uint32_t max_threads, Duration keep_alive);

  void schedule(TaskHeader* t) noexcept override;
  bool bind(TaskHeader* t) noexcept override;
  // Refuses new work, cancels calls that have not started, and waits up to `deadline` for
  // running calls to return.
  void shutdown(Instant deadline) noexcept;

  std::size_t threads() const;
  std::size_t queue_depth() const;

 private:
  ~BlockingPool() override = default;
  void thread_main() noexcept;
  bool enqueue(TaskHeader* t) noexcept;

  const std::string thread_name_;
  const std::uint32_t max_threads_;
  const Duration keep_alive_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable exit_cv_;
  TaskHeader* head_ = nullptr;
  TaskHeader* tail_ = nullptr;
  std::size_t queued_ = 0;
  std::uint32_t threads_ = 0;
  std::uint32_t idle_ = 0;
  bool closed_ = false;
};

// Runs a function once, on its first poll (on a blocking-pool thread).
template <class Fn>
class BlockingCall {
 public:
  using R = std::invoke_result_t<Fn&>;
  explicit BlockingCall(Fn fn) : fn_(std::move(fn)) {}
  Poll<R> poll(Context&) {
    if constexpr (std::is_void_v<R>) {
      (*fn_)();
      fn_.reset();
      return ready;
    } else {
      R r = (*fn_)();
      fn_.reset();
      return r;
    }
  }

 private:
  std::optional<Fn> fn_;
};

}  // namespace detail

// Runs `fn` on the current runtime's blocking pool (throws std::logic_error outside a runtime).
template <class Fn>
JoinHandle<std::invoke_result_t<Fn&>> spawn_blocking(Fn fn) {
  auto& ctx = detail::require_context("spawn_blocking");
  return JoinHandle<std::invoke_result_t<Fn&>>(
      detail::spawn_cell(ctx.blocking, detail::BlockingCall<Fn>(std::move(fn))));
}

}  // namespace strata
