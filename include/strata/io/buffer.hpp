// Buffer and BufferPool: pooled, reference-counted byte buffers, recycled per thread.
//
// Why: an idle connection should hold no read buffer (DESIGN §4). Code that reads waits for
// readiness first (AsyncReadReady), then takes a Buffer from the calling thread's pool, and
// gives it back as soon as it holds no unconsumed bytes. io::copy, BufReader and BufWriter do
// exactly that, so a server built from them costs no buffer memory per idle connection, and a
// busy one recycles a few blocks per worker thread instead of calling malloc.
//
//   auto [stream, peer] = io::duplex(4096);            // or any AsyncRead
//   io::Buffer buf = io::Buffer::acquire(16 * 1024);   // steady state: no malloc
//   Result<std::size_t> n = co_await io::read(stream, buf.spare());
//   if (n && *n) buf.commit(*n);
//   io::BufferView bytes = buf.view();                 // borrowed: valid while buf is unchanged
//   io::Buffer shared = buf;                           // shares the block (reference count)
//   // the last handle to go returns the block to the pool of the thread that drops it
//
// Blocks come in three size classes (4 KiB, 16 KiB, 64 KiB); acquire(n) returns the smallest
// class that fits n, or an unpooled block above 64 KiB. Each thread caches at most
// max_cached_bytes() (default 4 MiB) of free blocks; a block may be released on any thread and
// joins that thread's cache. The reference count is atomic, so handles may cross threads, but a
// block's bytes are not synchronised: share a buffer's contents across threads only through
// something that synchronises (a channel, a join). Sanitizer builds bypass the cache, so that
// ASan sees every use after release.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "strata/io/async_io.hpp"
#include "strata/io/buffer_view.hpp"

namespace strata::io {

namespace detail {
// A block's header; its bytes follow it.
struct alignas(16) BufferBlock {
  std::atomic<std::uint32_t> refs{1};
  std::uint32_t size_class = 0;  // index into the pool's classes, or kUnpooled
  std::size_t capacity = 0;
  BufferBlock* next = nullptr;  // free-list link while cached
  std::byte* bytes() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
};
void release_block(BufferBlock* b) noexcept;
}  // namespace detail

// A handle to a pooled block plus a length: the first size() bytes are the contents, the rest
// up to capacity() is free space (spare()). Copies share the block; each copy has its own size.
class Buffer {
 public:
  // An empty handle: no storage, capacity 0.
  Buffer() noexcept = default;
  // A block of at least `min_capacity` bytes from this thread's pool, with size() 0.
  static Buffer acquire(std::size_t min_capacity);

  Buffer(const Buffer& o) noexcept : block_(o.block_), size_(o.size_) {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  Buffer(Buffer&& o) noexcept
      : block_(std::exchange(o.block_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Buffer& operator=(const Buffer& o) noexcept {
    if (this != &o) *this = Buffer(o);
    return *this;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      block_ = std::exchange(o.block_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~Buffer() { reset(); }

  // Drops this handle; the last one returns the block to the calling thread's pool.
  void reset() noexcept {
    if (auto* b = std::exchange(block_, nullptr)) detail::release_block(b);
    size_ = 0;
  }
  explicit operator bool() const noexcept { return block_ != nullptr; }

  std::byte* data() noexcept { return block_ ? block_->bytes() : nullptr; }
  const std::byte* data() const noexcept { return block_ ? block_->bytes() : nullptr; }
  std::size_t capacity() const noexcept { return block_ ? block_->capacity : 0; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // Handles sharing the block (0 for an empty handle).
  std::uint32_t use_count() const noexcept {
    return block_ ? block_->refs.load(std::memory_order_relaxed) : 0;
  }

  // The contents, [0, size()).
  ConstBuffer bytes() const noexcept { return {data(), size_}; }
  MutableBuffer mutable_bytes() noexcept { return {data(), size_}; }
  BufferView view() const noexcept { return {data(), size_}; }
  BufferView view(std::size_t pos, std::size_t n = BufferView::npos) const noexcept {
    return view().subview(pos, n);
  }
  // The free space after the contents, [size(), capacity()): read into it, then commit().
  MutableBuffer spare() noexcept { return {data() + size_, capacity() - size_}; }
  // Adds n bytes written into spare() to the contents (clamped to the capacity).
  void commit(std::size_t n) noexcept { size_ = std::min(size_ + n, capacity()); }
  // Sets the length of the contents (clamped to the capacity).
  void resize(std::size_t n) noexcept { size_ = std::min(n, capacity()); }
  void clear() noexcept { size_ = 0; }

 private:
  explicit Buffer(detail::BufferBlock* b) noexcept : block_(b) {}
  friend class BufferPool;

  detail::BufferBlock* block_ = nullptr;
  std::size_t size_ = 0;
};

// Counters of the calling thread's pool.
struct BufferPoolStats {
  std::uint64_t hits = 0;          // acquisitions served from the cache
  std::uint64_t misses = 0;        // acquisitions that allocated
  std::uint64_t cached_bytes = 0;  // bytes of free blocks held now
  std::uint64_t cached_blocks = 0;
};

// The per-thread pool behind Buffer::acquire(). All members act on the calling thread's pool.
class BufferPool {
 public:
  static constexpr std::size_t small_size = 4 * 1024;
  static constexpr std::size_t medium_size = 16 * 1024;
  static constexpr std::size_t large_size = 64 * 1024;

  static Buffer acquire(std::size_t min_capacity);
  static BufferPoolStats stats() noexcept;
  // Frees every cached block of this thread.
  static void trim() noexcept;
  // Caps the free blocks this thread keeps (0 disables caching on this thread).
  static void set_max_cached_bytes(std::size_t bytes) noexcept;
  static std::size_t max_cached_bytes() noexcept;
  // False in sanitizer builds, where every block goes straight to operator new/delete.
  static bool caching_enabled() noexcept;
};

inline Buffer Buffer::acquire(std::size_t min_capacity) {
  return BufferPool::acquire(min_capacity);
}

}  // namespace strata::io
