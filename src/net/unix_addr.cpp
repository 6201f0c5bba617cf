#include "strata/net/unix_addr.hpp"

#include <cstring>

namespace strata::net {

UnixAddr::UnixAddr() noexcept : sun_{}, len_(offset()) {
  sun_.sun_family = AF_UNIX;
}

Result<UnixAddr> UnixAddr::pathname(std::string_view path) {
  if (path.empty()) return fail(Errc::invalid_input, "unix address: empty path");
  if (path.size() > max_name_len) return fail(Errc::invalid_input, "unix address: path too long");
  if (path.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid_input, "unix address: NUL byte in path");
  }
  UnixAddr a;
  std::memcpy(a.sun_.sun_path, path.data(), path.size());
  a.sun_.sun_path[path.size()] = '\0';
  a.len_ = static_cast<socklen_t>(offset() + path.size() + 1);
  return a;
}

Result<UnixAddr> UnixAddr::abstract(std::string_view name) {
  if (name.size() > max_name_len) {
    return fail(Errc::invalid_input, "unix address: abstract name too long");
  }
  UnixAddr a;
  a.sun_.sun_path[0] = '\0';
  std::memcpy(a.sun_.sun_path + 1, name.data(), name.size());
  a.len_ = static_cast<socklen_t>(offset() + 1 + name.size());
  return a;
}

Result<UnixAddr> UnixAddr::parse(std::string_view text) {
  if (!text.empty() && (text[0] == '@' || text[0] == '\0')) return abstract(text.substr(1));
  return pathname(text);
}

Result<UnixAddr> UnixAddr::from_sockaddr(const sockaddr_un& sun, socklen_t len) {
  if (len > sizeof(sockaddr_un)) return fail(Errc::invalid_input, "unix address: too long");
  UnixAddr a;
  if (len < offset() || sun.sun_family != AF_UNIX) {
    if (len <= sizeof(sa_family_t)) return a;  // unnamed (the kernel may return only the family)
    return fail(Errc::invalid_input, "unix address: not AF_UNIX");
  }
  std::memcpy(&a.sun_, &sun, len);
  a.len_ = len;
  if (a.is_pathname()) {
    // Normalise: the kernel may or may not count the terminating NUL.
    std::size_t n = ::strnlen(a.sun_.sun_path, len - offset());
    if (n == 0) return a;
    if (n > max_name_len) return fail(Errc::invalid_input, "unix address: path too long");
    a.sun_.sun_path[n] = '\0';
    a.len_ = static_cast<socklen_t>(offset() + n + 1);
  }
  return a;
}

std::string_view UnixAddr::path() const noexcept {
  if (!is_pathname()) return {};
  return {sun_.sun_path, len_ - offset() - 1};
}

std::string_view UnixAddr::abstract_name() const noexcept {
  if (!is_abstract()) return {};
  return {sun_.sun_path + 1, len_ - offset() - 1};
}

std::string UnixAddr::to_string() const {
  if (is_pathname()) return std::string(path());
  if (is_abstract()) return "@" + std::string(abstract_name());
  return "(unnamed)";
}

bool operator==(const UnixAddr& a, const UnixAddr& b) noexcept {
  if (a.len_ != b.len_) return false;
  return std::memcmp(a.sun_.sun_path, b.sun_.sun_path, a.len_ - UnixAddr::offset()) == 0;
}

}  // namespace strata::net
