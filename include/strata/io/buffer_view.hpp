// BufferView: a borrowed, read-only slice of bytes — zero-copy, like h2o's h2o_iovec_t or a
// std::string_view of bytes.
//
// Lifetime: a view does not own its bytes. It is valid while the storage it points into is alive
// and unmodified: a Buffer (until that Buffer is reset, refilled or destroyed), a BufReader's
// buffer (until the next consume() or poll), a string, an array. Keep a Buffer (reference
// counted) instead when bytes must outlive the code that received them.
//
//   io::BufferView bytes = std::string_view("PING\r\n");   // or a Buffer's view()
//   io::BufferView line = bytes.first(bytes.find(std::byte{'\r'}));
//   if (line.as_string_view() == "PING") use(line);
//
// Trivially copyable (two words); every operation is constexpr and never allocates.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>

namespace strata::io {

class BufferView {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  constexpr BufferView() noexcept = default;
  constexpr BufferView(const std::byte* data, std::size_t size) noexcept
      : data_(data), size_(size) {}
  constexpr BufferView(std::span<const std::byte> s) noexcept  // NOLINT: implicit by design
      : data_(s.data()), size_(s.size()) {}
  // Views the characters of `s` (not a terminating NUL).
  BufferView(std::string_view s) noexcept  // NOLINT: implicit by design
      : data_(reinterpret_cast<const std::byte*>(s.data())), size_(s.size()) {}

  constexpr const std::byte* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const std::byte* begin() const noexcept { return data_; }
  constexpr const std::byte* end() const noexcept { return data_ + size_; }
  constexpr std::byte operator[](std::size_t i) const noexcept { return data_[i]; }

  // The bytes [pos, pos + n), clamped to the view (like string_view::substr, without throwing).
  constexpr BufferView subview(std::size_t pos, std::size_t n = npos) const noexcept {
    pos = std::min(pos, size_);
    return {data_ + pos, std::min(n, size_ - pos)};
  }
  constexpr BufferView first(std::size_t n) const noexcept { return subview(0, n); }
  constexpr BufferView last(std::size_t n) const noexcept {
    return subview(size_ - std::min(n, size_));
  }
  constexpr void remove_prefix(std::size_t n) noexcept {
    n = std::min(n, size_);
    data_ += n, size_ -= n;
  }
  constexpr void remove_suffix(std::size_t n) noexcept { size_ -= std::min(n, size_); }

  // The index of the first `b` at or after `from`, or npos.
  std::size_t find(std::byte b, std::size_t from = 0) const noexcept {
    if (from >= size_) return npos;
    const void* p = std::memchr(data_ + from, static_cast<int>(b), size_ - from);
    return p ? static_cast<std::size_t>(static_cast<const std::byte*>(p) - data_) : npos;
  }
  bool starts_with(BufferView prefix) const noexcept {
    return prefix.size_ <= size_ &&
           (prefix.size_ == 0 || std::memcmp(data_, prefix.data_, prefix.size_) == 0);
  }

  constexpr std::span<const std::byte> span() const noexcept { return {data_, size_}; }
  constexpr operator std::span<const std::byte>() const noexcept { return span(); }  // NOLINT
  std::string_view as_string_view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }

  friend bool operator==(BufferView a, BufferView b) noexcept {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace strata::io
