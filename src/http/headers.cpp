#include "strata/http/headers.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace strata::http {

namespace {

class HeaderCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.header"; }
  std::string message(int ev) const override {
    switch (static_cast<HeaderErrc>(ev)) {
      case HeaderErrc::invalid_name:
        return "invalid header field name";
      case HeaderErrc::invalid_value:
        return "invalid header field value";
    }
    return "unknown header error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    (void)ev;
    return std::errc::invalid_argument;
  }
};

constexpr unsigned char lower(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c | 0x20) : c;
}

Result<void> validate(std::string_view name, std::string_view value) {
  if (!is_valid_name(name)) return fail(Error(HeaderErrc::invalid_name, "header"));
  if (!is_valid_value(value)) return fail(Error(HeaderErrc::invalid_value, "header"));
  return {};
}

}  // namespace

const std::error_category& header_category() noexcept {
  static const HeaderCategory category;
  return category;
}

namespace {
// 1 for a tchar, 2 for a byte a field value may not hold (CR, LF, NUL): one load per byte.
struct FieldTable {
  std::uint8_t bits[256]{};
  constexpr FieldTable() {
    for (int c = 0; c < 256; ++c) bits[c] = is_tchar(static_cast<unsigned char>(c)) ? 1 : 0;
    bits['\r'] = bits['\n'] = bits[0] = 2;
  }
};
constexpr FieldTable field_table;
}  // namespace

bool is_valid_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(field_table.bits[static_cast<unsigned char>(c)] & 1)) return false;
  }
  return true;
}

bool is_valid_value(std::string_view value) noexcept {
  for (char c : value) {
    if (field_table.bits[static_cast<unsigned char>(c)] & 2) return false;
  }
  return true;
}

bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x != y && lower(x) != lower(y)) return false;
  }
  return true;
}

// Chunks that never move (views into them stay valid); clear() rewinds to the first chunk and
// keeps them all, so a reused Headers stops allocating once its chunks fit a typical message.
class Headers::Arena {
 public:
  static constexpr std::size_t first_chunk = 1024;

  char* allocate(std::size_t n) {
    while (current_ < chunks_.size()) {
      Chunk& c = chunks_[current_];
      if (c.size - used_ >= n) {
        char* p = c.bytes.get() + used_;
        used_ += n;
        return p;
      }
      ++current_;
      used_ = 0;
    }
    std::size_t size = chunks_.empty() ? first_chunk : chunks_.back().size * 2;
    size = std::max(size, n);
    chunks_.push_back(Chunk{std::make_unique_for_overwrite<char[]>(size), size});
    current_ = chunks_.size() - 1;
    used_ = n;
    return chunks_.back().bytes.get();
  }
  void rewind() noexcept {
    current_ = 0;
    used_ = 0;
  }
  bool contains(const char* p) const noexcept {
    for (const Chunk& c : chunks_) {
      // Compare as integers: pointers into different arrays are not ordered.
      const auto b = reinterpret_cast<std::uintptr_t>(c.bytes.get());
      const auto x = reinterpret_cast<std::uintptr_t>(p);
      if (x >= b && x < b + c.size) return true;
    }
    return false;
  }
  std::size_t capacity() const noexcept {
    std::size_t n = 0;
    for (const Chunk& c : chunks_) n += c.size;
    return n;
  }

 private:
  struct Chunk {
    std::unique_ptr<char[]> bytes;
    std::size_t size;
  };
  std::vector<Chunk> chunks_;
  std::size_t current_ = 0;
  std::size_t used_ = 0;
};

Headers::Headers() noexcept = default;
Headers::~Headers() = default;
Headers::Headers(Headers&&) noexcept = default;
Headers& Headers::operator=(Headers&&) noexcept = default;

Headers::Headers(const Headers& other) {
  entries_.reserve(other.entries_.size());
  for (const HeaderField& f : other.entries_) entries_.push_back({copy(f.name), copy(f.value)});
}

Headers& Headers::operator=(const Headers& other) {
  if (this == &other) return *this;
  clear();
  entries_.reserve(other.entries_.size());
  for (const HeaderField& f : other.entries_) entries_.push_back({copy(f.name), copy(f.value)});
  return *this;
}

std::string_view Headers::copy(std::string_view s) {
  if (s.empty()) return {};
  if (!arena_) arena_ = std::make_unique<Arena>();
  char* p = arena_->allocate(s.size());
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

bool Headers::owns(std::string_view s) const noexcept {
  return s.empty() || (arena_ && arena_->contains(s.data()));
}

Result<void> Headers::append_view(std::string_view name, std::string_view value) {
  if (auto v = validate(name, value); !v) return v;
  entries_.push_back({name, value});
  return {};
}

void Headers::append_view_unchecked(std::string_view name, std::string_view value) {
  assert(is_valid_name(name) && is_valid_value(value));
  entries_.push_back({name, value});
}

Result<void> Headers::append(std::string_view name, std::string_view value) {
  if (auto v = validate(name, value); !v) return v;
  // Grow the entry list first: if that throws, the arena has not been touched either way.
  entries_.reserve(entries_.size() + 1);
  const std::string_view n = copy(name);
  entries_.push_back({n, copy(value)});
  return {};
}

Result<void> Headers::set(std::string_view name, std::string_view value) {
  if (auto v = validate(name, value); !v) return v;
  // Copy before removing: `value` may be a view of a field about to be removed (its bytes stay
  // in the arena or the caller's buffer, but copy first to make that irrelevant).
  entries_.reserve(entries_.size() + 1);
  const std::string_view n = copy(name);
  const std::string_view val = copy(value);
  remove(name);
  entries_.push_back({n, val});
  return {};
}

Result<bool> Headers::insert(std::string_view name, std::string_view value) {
  if (auto v = validate(name, value); !v) return fail(v.error());
  if (contains(name)) return false;
  entries_.reserve(entries_.size() + 1);
  const std::string_view n = copy(name);
  entries_.push_back({n, copy(value)});
  return true;
}

std::size_t Headers::remove(std::string_view name) noexcept {
  const auto it = std::remove_if(entries_.begin(), entries_.end(),
                                 [&](const HeaderField& f) { return ascii_iequals(f.name, name); });
  const auto n = static_cast<std::size_t>(entries_.end() - it);
  entries_.erase(it, entries_.end());
  return n;
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  for (const HeaderField& f : entries_) {
    if (ascii_iequals(f.name, name)) return f.value;
  }
  return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const HeaderField& f : entries_) n += ascii_iequals(f.name, name);
  return n;
}

void Headers::clear() noexcept {
  entries_.clear();
  if (arena_) arena_->rewind();
}

void Headers::make_owned() {
  for (HeaderField& f : entries_) {
    if (!owns(f.name)) f.name = copy(f.name);
    if (!owns(f.value)) f.value = copy(f.value);
  }
}

std::size_t Headers::arena_capacity() const noexcept {
  return arena_ ? arena_->capacity() : 0;
}

void ListElements::iterator::advance() noexcept {
  while (!rest_.empty()) {
    // Find the end of this element: the first comma outside a quoted-string.
    std::size_t i = 0;
    bool quoted = false;
    for (; i < rest_.size(); ++i) {
      const char c = rest_[i];
      if (quoted) {
        if (c == '\\' && i + 1 < rest_.size()) {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        break;
      }
    }
    std::string_view element = rest_.substr(0, i);
    rest_.remove_prefix(i < rest_.size() ? i + 1 : i);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    if (!element.empty()) {
      current_ = element;
      return;
    }
  }
  current_ = {};
  done_ = true;
}

bool has_token(std::string_view value, std::string_view token) noexcept {
  for (std::string_view e : split_list(value)) {
    if (ascii_iequals(e, token)) return true;
  }
  return false;
}

}  // namespace strata::http
