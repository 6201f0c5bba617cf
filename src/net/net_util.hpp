// Internal helpers of the socket layer: error contexts and small syscall wrappers.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

#include "strata/net/socket_addr.hpp"
#include "strata/rt/error.hpp"

namespace strata::net::detail {

// "op addr", e.g. "connect 127.0.0.1:80". Built only on failure.
inline std::string context(std::string_view op, const SocketAddr& addr) {
  char buf[SocketAddr::max_string_len];
  std::string s(op);
  s += ' ';
  s.append(buf, addr.to_chars(buf));
  return s;
}

inline Error sys_error(int err, std::string_view op, const SocketAddr& addr) {
  return Error::from_errno(err, context(op, addr));
}

// Replaces an error's context (keeps the code).
inline Error with_context(const Error& e, std::string ctx) {
  return Error(e.code(), std::move(ctx));
}

// Closes an fd on early return unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) noexcept : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace strata::net::detail
