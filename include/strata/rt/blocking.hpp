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
//
// block_in_place(): run blocking code on the current worker thread without stalling the other
// tasks of that worker (multi-thread runtime only):
//
//   Task<std::string> hash(std::string password) {
//     auto digest = strata::block_in_place([&] { return bcrypt(password); });  // no copy
//     co_return digest;
//   }
//
// The worker's queue, reactor and timers (its "core") are handed to a blocking-pool thread that
// runs the worker loop meanwhile; when the function returns, the calling thread takes the core
// back (waiting for the poll in progress there to finish) and the task continues where it was.
// Unlike spawn_blocking, the function may borrow from the task's frame. Inside it the thread has
// no timers and no reactor (sleep and socket creation throw std::logic_error); spawn() works.
// Throws std::logic_error on the current-thread runtime; outside a runtime it just calls `fn`.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

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

// Runs call(arg) as described for block_in_place() (executor.cpp).
void block_in_place_erased(void (*call)(void*), void* arg);

}  // namespace detail

// Runs `fn()` on this thread after handing the worker's other tasks to another thread; returns
// its result (exceptions propagate).
template <class Fn>
std::invoke_result_t<Fn&> block_in_place(Fn&& fn) {
  using R = std::invoke_result_t<Fn&>;
  static_assert(!std::is_reference_v<R>, "block_in_place: return a value, not a reference");
  if constexpr (std::is_void_v<R>) {
    detail::block_in_place_erased(
        [](void* p) { (*static_cast<std::remove_reference_t<Fn>*>(p))(); }, &fn);
  } else {
    struct Call {
      std::remove_reference_t<Fn>* fn;
      std::optional<R> out;
    } call{&fn, std::nullopt};
    detail::block_in_place_erased(
        [](void* p) {
          auto* c = static_cast<Call*>(p);
          c->out.emplace((*c->fn)());
        },
        &call);
    return std::move(*call.out);
  }
}

// Runs `fn` on the current runtime's blocking pool (throws std::logic_error outside a runtime).
template <class Fn>
JoinHandle<std::invoke_result_t<Fn&>> spawn_blocking(Fn fn) {
  auto& ctx = detail::require_context("spawn_blocking");
  return JoinHandle<std::invoke_result_t<Fn&>>(
      detail::spawn_cell(ctx.blocking, detail::BlockingCall<Fn>(std::move(fn))));
}

}  // namespace strata
