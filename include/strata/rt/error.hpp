// strata::Error and Result<T>: how every fallible Strata operation reports failure.
//
// A Result<T> is std::expected<T, Error>. An Error carries a std::error_code (system errno values
// or Strata's own Errc) and a short context naming the operation that failed.
//
//   Result<int> port = std::unexpected(Error(Errc::invalid_input, "parse port"));
//   if (!port) log(port.error().message());
//   if (port.error().code() == Errc::invalid_input) { /* test codes, never message text */ }
//
// Exceptions are reserved for programmer errors (e.g. spawning outside a runtime) and for
// exceptions thrown by user code inside a task, which propagate to whoever awaits it.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <system_error>

namespace strata {

// Strata's own error conditions (system errors use std::generic_category / system_category).
enum class Errc {
  cancelled = 1,  // the operation or task was aborted before it finished
  timed_out,      // a deadline passed (timeout(), connect timeouts, ...)
  closed,         // the other side of a channel/stream is gone
  shutdown,       // the runtime is shutting down and refuses new work
  invalid_input,  // malformed input (addresses, configuration, ...)
};

}  // namespace strata

template <>
struct std::is_error_code_enum<strata::Errc> : std::true_type {};

namespace strata {

const std::error_category& strata_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), strata_category()};
}

// A failure: an error code plus a short, static-or-owned context ("connect", "bind 0.0.0.0:80").
class Error {
 public:
  Error() = default;
  Error(std::error_code code, std::string context = {})
      : code_(code), context_(std::move(context)) {}
  Error(Errc e, std::string context = {}) : Error(make_error_code(e), std::move(context)) {}

  // Builds an Error from an errno value of a failed system call.
  static Error from_errno(int err, std::string context = {}) {
    return {std::error_code(err, std::system_category()), std::move(context)};
  }

  const std::error_code& code() const noexcept { return code_; }
  std::string_view context() const noexcept { return context_; }
  // "context: description", e.g. "connect: Connection refused".
  std::string message() const;

  friend bool operator==(const Error& e, Errc c) noexcept { return e.code_ == make_error_code(c); }
  friend bool operator==(const Error& e, std::errc c) noexcept {
    return e.code_ == std::make_error_condition(c);
  }

 private:
  std::error_code code_;
  std::string context_;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for returning an error: `return fail(Errc::timed_out, "read");`
inline std::unexpected<Error> fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}
inline std::unexpected<Error> fail(Errc e, std::string context = {}) {
  return std::unexpected<Error>(Error(e, std::move(context)));
}

}  // namespace strata
