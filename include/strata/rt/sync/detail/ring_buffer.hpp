// RingBuffer<T>: the FIFO behind the mpsc channels. It grows by doubling up to a fixed limit and
// never shrinks, so a channel stops allocating once it has reached its high-water mark.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <limits>
#include <memory>
#include <utility>

namespace strata::sync::detail {

template <class T>
class RingBuffer {
 public:
  explicit RingBuffer(std::size_t limit = std::numeric_limits<std::size_t>::max()) noexcept
      : limit_(limit) {}
  RingBuffer(RingBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        cap_(std::exchange(o.cap_, 0)),
        head_(std::exchange(o.head_, 0)),
        size_(std::exchange(o.size_, 0)),
        limit_(o.limit_) {}
  RingBuffer& operator=(RingBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      cap_ = std::exchange(o.cap_, 0);
      head_ = std::exchange(o.head_, 0);
      size_ = std::exchange(o.size_, 0);
      limit_ = o.limit_;
    }
    return *this;
  }
  ~RingBuffer() { release(); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }

  // Appends; allocates only when the buffer is full (and then doubles, up to the limit).
  void push_back(T&& v) {
    if (size_ == cap_) grow();
    std::construct_at(data_ + index(size_), std::move(v));
    ++size_;
  }
  T pop_front() {
    assert(size_ > 0);
    T* p = data_ + head_;
    T v = std::move(*p);
    std::destroy_at(p);
    head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
    --size_;
    return v;
  }

 private:
  std::size_t index(std::size_t i) const noexcept {
    i += head_;
    return i >= cap_ ? i - cap_ : i;
  }
  void grow() {
    assert(cap_ < limit_);
    std::size_t n = std::min(std::max<std::size_t>(cap_ * 2, 8), limit_);
    T* d = std::allocator<T>().allocate(n);
    for (std::size_t i = 0; i < size_; ++i) {
      T* p = data_ + index(i);
      std::construct_at(d + i, std::move(*p));
      std::destroy_at(p);
    }
    if (data_) std::allocator<T>().deallocate(data_, cap_);
    data_ = d;
    cap_ = n;
    head_ = 0;
  }
  void release() noexcept {
    for (std::size_t i = 0; i < size_; ++i) std::destroy_at(data_ + index(i));
    if (data_) std::allocator<T>().deallocate(data_, cap_);
    data_ = nullptr;
    cap_ = head_ = size_ = 0;
  }

  T* data_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t limit_;
};

}  // namespace strata::sync::detail
