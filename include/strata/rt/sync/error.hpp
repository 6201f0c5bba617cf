// The failures of channel and semaphore operations that are not plain `Result<T>` errors: a
// failed send hands its value back, and the non-waiting `try_` operations say why they gave up.
//
//   auto [tx, rx] = sync::mpsc::channel<std::string>(64);
//   std::string msg = "hello";
//   if (auto r = tx.try_send(std::move(msg)); !r) {
//     if (r.error().is_full()) msg = std::move(r.error().value);   // keep it, retry later
//   }
//
// Waiting operations that fail only because the other side is gone return `Result<T>` with
// `Errc::closed` (oneshot receive, semaphore acquire, watch `changed()`).
#pragma once

#include <expected>
#include <utility>

namespace strata::sync {

// A send that failed because every receiver is gone (or the channel was closed): the value comes
// back to the caller.
template <class T>
struct SendError {
  explicit SendError(T v) : value(std::move(v)) {}
  T value;
};

template <class T>
using SendResult = std::expected<void, SendError<T>>;

// Why a try_send() failed; the value comes back either way.
template <class T>
struct TrySendError {
  enum class Kind { full, closed };
  TrySendError(Kind k, T v) : kind(k), value(std::move(v)) {}
  bool is_full() const noexcept { return kind == Kind::full; }
  bool is_closed() const noexcept { return kind == Kind::closed; }
  Kind kind;
  T value;
};

// Why a try_recv() returned no value: nothing queued right now, or nothing will ever come.
enum class TryRecvError { empty, closed };

// Why a try_acquire() / try_reserve() failed.
enum class TryAcquireError { no_permits, closed };

}  // namespace strata::sync
