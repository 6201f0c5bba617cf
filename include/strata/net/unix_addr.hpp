// UnixAddr: the address of a Unix domain socket — a filesystem path, a Linux abstract name, or
// unnamed (an unbound socket, or one end of socketpair()).
//
//   auto a = net::UnixAddr::parse("/run/app.sock");    // a path
//   auto b = net::UnixAddr::parse("@app-control");     // abstract: "\0app-control" in sun_path
//   auto c = net::UnixAddr::abstract("app-control");   // the same, explicitly
//   a->is_pathname(); b->is_abstract(); b->to_string();  // "@app-control"
//
// Abstract names (Linux): they live in a namespace of the network namespace, not the file
// system, so nothing needs to be unlinked and file permissions do not apply. The kernel marks
// them with a leading NUL byte in sun_path; in text Strata writes that byte as '@' (as ss, lsof
// and systemd do), and parse() accepts either a leading '@' or a leading '\0'. To name a
// *path* that starts with '@', write it as "./@name". The name is the bytes after the marker,
// exactly (it may contain NULs; it is not NUL-terminated).
//
// Limits: a path is 1 to 107 bytes without NUL; an abstract name 0 to 107 bytes. Longer names
// fail with Errc::invalid_input. Values are plain copyable structs (a sockaddr_un and a length).
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "strata/rt/error.hpp"

namespace strata::net {

class UnixAddr {
 public:
  // The longest path or abstract name: sizeof(sun_path) - 1.
  static constexpr std::size_t max_name_len = sizeof(sockaddr_un::sun_path) - 1;

  // Unnamed.
  UnixAddr() noexcept;
  // A filesystem path (relative paths are relative to the working directory at bind/connect).
  static Result<UnixAddr> pathname(std::string_view path);
  // An abstract name (the bytes after the leading NUL).
  static Result<UnixAddr> abstract(std::string_view name);
  // "@name" or "\0name": abstract; anything else: a path.
  static Result<UnixAddr> parse(std::string_view text);
  // What accept(), getsockname(), getpeername() or recvfrom() returned.
  static Result<UnixAddr> from_sockaddr(const sockaddr_un& sun, socklen_t len);

  bool is_unnamed() const noexcept { return len_ <= offset(); }
  bool is_abstract() const noexcept { return len_ > offset() && sun_.sun_path[0] == '\0'; }
  bool is_pathname() const noexcept { return len_ > offset() && sun_.sun_path[0] != '\0'; }
  // The path (empty unless is_pathname()).
  std::string_view path() const noexcept;
  // The abstract name without its marker (empty unless is_abstract()).
  std::string_view abstract_name() const noexcept;

  // For bind()/connect()/sendto().
  const sockaddr* as_sockaddr() const noexcept { return reinterpret_cast<const sockaddr*>(&sun_); }
  socklen_t len() const noexcept { return len_; }
  // The path, "@name" for an abstract name, "(unnamed)".
  std::string to_string() const;

  friend bool operator==(const UnixAddr& a, const UnixAddr& b) noexcept;

 private:
  static constexpr socklen_t offset() noexcept { return offsetof(sockaddr_un, sun_path); }
  sockaddr_un sun_;
  socklen_t len_;
};

}  // namespace strata::net
