// Poll<T>: the result of polling a future once — Ready with a value, or Pending.
//
//   Poll<int> p = 42;            // ready
//   Poll<int> q = pending;       // not yet; the future has arranged to wake its task
//   if (p.is_ready()) use(p.take());
//
// Poll<void> is ready or pending with no value (`return ready;`).
#pragma once

#include <optional>
#include <utility>

namespace strata {

struct Pending {};
inline constexpr Pending pending{};
struct Ready {};
inline constexpr Ready ready{};

template <class T>
class Poll {
 public:
  using value_type = T;
  Poll(Pending) noexcept {}
  template <class U = T>
  requires std::is_constructible_v<T, U&&> Poll(U&& v) : value_(std::forward<U>(v)) {}

  bool is_ready() const noexcept { return value_.has_value(); }
  bool is_pending() const noexcept { return !value_.has_value(); }
  // Moves the value out; only valid when ready.
  T take() { return std::move(*value_); }
  T& value() & { return *value_; }

 private:
  std::optional<T> value_;
};

template <>
class Poll<void> {
 public:
  using value_type = void;
  Poll(Pending) noexcept {}
  Poll(Ready) noexcept : ready_(true) {}

  bool is_ready() const noexcept { return ready_; }
  bool is_pending() const noexcept { return !ready_; }
  void take() noexcept {}

 private:
  bool ready_ = false;
};

template <class T>
struct is_poll : std::false_type {};
template <class T>
struct is_poll<Poll<T>> : std::true_type {};

}  // namespace strata
