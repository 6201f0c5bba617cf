// BufferView (borrowed slices) and Buffer/BufferPool (pooled, reference-counted blocks).
#include "strata/io/buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

#include "strata/io/buffer_view.hpp"

namespace strata::io {
namespace {

TEST(BufferView, slices_find_and_compare_without_copying) {
  std::string text = "GET / HTTP/1.1\r\nHost: x\r\n";
  BufferView v(text);
  EXPECT_EQ(v.data(), reinterpret_cast<const std::byte*>(text.data()));
  EXPECT_EQ(v.size(), text.size());
  std::size_t eol = v.find(std::byte{'\r'});
  EXPECT_EQ(eol, 14u);
  EXPECT_EQ(v.first(eol).as_string_view(), "GET / HTTP/1.1");
  EXPECT_EQ(v.subview(4, 1).as_string_view(), "/");
  EXPECT_EQ(v.subview(100).size(), 0u);  // clamped, no throw
  EXPECT_EQ(v.last(3).as_string_view(), "x\r\n");
  EXPECT_TRUE(v.starts_with(BufferView("GET ")));
  EXPECT_FALSE(v.starts_with(BufferView("POST")));
  EXPECT_EQ(v.find(std::byte{'Z'}), BufferView::npos);
  EXPECT_EQ(v.find(std::byte{'\r'}, eol + 1), text.find('\r', eol + 1));
  BufferView w = v;
  w.remove_prefix(16);
  w.remove_suffix(2);
  EXPECT_EQ(w.as_string_view(), "Host: x");
  EXPECT_EQ(BufferView("abc"), BufferView(std::string("abc")));
  EXPECT_FALSE(BufferView("abc") == BufferView("abd"));
  EXPECT_TRUE(BufferView().empty());
}

TEST(Buffer, acquire_rounds_up_to_a_size_class) {
  Buffer small = Buffer::acquire(10);
  EXPECT_EQ(small.capacity(), BufferPool::small_size);
  EXPECT_EQ(small.size(), 0u);
  Buffer medium = Buffer::acquire(BufferPool::small_size + 1);
  EXPECT_EQ(medium.capacity(), BufferPool::medium_size);
  Buffer large = Buffer::acquire(BufferPool::large_size);
  EXPECT_EQ(large.capacity(), BufferPool::large_size);
  Buffer huge = Buffer::acquire(BufferPool::large_size + 1);  // unpooled
  EXPECT_EQ(huge.capacity(), BufferPool::large_size + 1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(huge.data()) % 16, 0u);
}

TEST(Buffer, spare_commit_and_view) {
  Buffer b = Buffer::acquire(64);
  std::memcpy(b.spare().data(), "hello", 5);
  b.commit(5);
  EXPECT_EQ(b.size(), 5u);
  EXPECT_EQ(b.view().as_string_view(), "hello");
  EXPECT_EQ(b.spare().size(), b.capacity() - 5);
  EXPECT_EQ(b.view(1, 3).as_string_view(), "ell");
  b.commit(b.capacity() * 2);  // clamped
  EXPECT_EQ(b.size(), b.capacity());
  b.clear();
  EXPECT_TRUE(b.empty());
}

TEST(Buffer, copies_share_the_block_and_the_last_one_releases_it) {
  Buffer a = Buffer::acquire(100);
  a.commit(3);
  EXPECT_EQ(a.use_count(), 1u);
  {
    Buffer b = a;
    EXPECT_EQ(b.data(), a.data());
    EXPECT_EQ(a.use_count(), 2u);
    EXPECT_EQ(b.size(), 3u);
    b.clear();  // each handle has its own size
    EXPECT_EQ(a.size(), 3u);
  }
  EXPECT_EQ(a.use_count(), 1u);
  Buffer c = std::move(a);
  EXPECT_FALSE(a);  // NOLINT: moved-from is empty
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(c.use_count(), 1u);
  c.reset();
  EXPECT_FALSE(c);
}

TEST(BufferPool, released_blocks_are_reused_by_the_same_thread) {
  if (!BufferPool::caching_enabled()) GTEST_SKIP() << "sanitizer build: the pool does not cache";
  BufferPool::trim();
  auto before = BufferPool::stats();
  const std::byte* first;
  {
    Buffer b = Buffer::acquire(BufferPool::medium_size);
    first = b.data();
  }
  EXPECT_EQ(BufferPool::stats().cached_blocks, 1u);
  EXPECT_EQ(BufferPool::stats().cached_bytes, BufferPool::medium_size);
  for (int i = 0; i < 1000; ++i) {
    Buffer b = Buffer::acquire(BufferPool::medium_size);
    EXPECT_EQ(b.data(), first);
  }
  auto after = BufferPool::stats();
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 1000u);
  BufferPool::trim();
  EXPECT_EQ(BufferPool::stats().cached_bytes, 0u);
}

TEST(BufferPool, the_cache_is_bounded) {
  if (!BufferPool::caching_enabled()) GTEST_SKIP() << "sanitizer build: the pool does not cache";
  BufferPool::trim();
  const std::size_t old = BufferPool::max_cached_bytes();
  BufferPool::set_max_cached_bytes(2 * BufferPool::small_size);
  {
    std::vector<Buffer> many;
    for (int i = 0; i < 10; ++i) many.push_back(Buffer::acquire(1));
  }
  EXPECT_EQ(BufferPool::stats().cached_blocks, 2u);
  BufferPool::set_max_cached_bytes(old);
  BufferPool::trim();
}

TEST(BufferPool, a_block_released_on_another_thread_joins_that_threads_cache) {
  if (!BufferPool::caching_enabled()) GTEST_SKIP() << "sanitizer build: the pool does not cache";
  BufferPool::trim();
  Buffer b = Buffer::acquire(1);
  std::uint64_t cached_there = 0;
  std::thread t([&b, &cached_there] {
    b.reset();
    cached_there = BufferPool::stats().cached_blocks;
  });
  t.join();
  EXPECT_EQ(cached_there, 1u);
  EXPECT_EQ(BufferPool::stats().cached_blocks, 0u);
}

}  // namespace
}  // namespace strata::io
