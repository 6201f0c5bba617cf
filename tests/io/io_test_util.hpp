// Shared helpers for the io and net tests: running a coroutine test body on a runtime with a
// deadline (every flavour: ../support/flavours.hpp; one flavour: run_current/run_multi), assertion
// macros usable inside coroutines, and small scripted streams.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "../support/flavours.hpp"
#include "strata/io.hpp"
#include "strata/rt.hpp"

namespace strata::test {

using namespace std::chrono_literals;

// gtest's ASSERT_* `return`, which a coroutine cannot: these `co_return` instead. The value is
// bound to a local first: g++ 12 miscompiles a coroutine with `co_await` directly inside an
// `if` condition (the coroutine never starts; see docs/net.md, "Testing"), so neither these
// macros nor the tests put a co_await in a condition.
#define CO_ASSERT_TRUE(cond)                    \
  do {                                          \
    const bool co_assert_ok_ = (cond);          \
    if (!co_assert_ok_) {                       \
      ADD_FAILURE() << "expected true: " #cond; \
      co_return;                                \
    }                                           \
  } while (0)
#define CO_ASSERT_OK(expr)                                                                \
  do {                                                                                    \
    auto&& co_assert_r_ = (expr);                                                         \
    if (!co_assert_r_) {                                                                  \
      ADD_FAILURE() << "expected success: " #expr ": " << co_assert_r_.error().message(); \
      co_return;                                                                          \
    }                                                                                     \
  } while (0)

// Runs `body` on a fresh current-thread runtime; fails the test if it takes longer than `d`.
inline void run_current(Task<void> body, Duration d = 10s) {
  Runtime rt = Runtime::current_thread();
  rt.block_on(with_deadline(std::move(body), d));
}

// Runs `body` on a fresh multi-thread runtime with `workers` threads.
inline void run_multi(Task<void> body, std::uint32_t workers = 2, Duration d = 10s) {
  Runtime rt = Runtime::multi_thread(workers);
  rt.block_on(with_deadline(std::move(body), d));
}

inline std::string to_string(io::ConstBuffer b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// A reader that returns scripted chunks, one per poll_read, optionally Pending between them
// (waking itself at once), then end of stream. Counts its polls.
class ScriptedReader {
 public:
  explicit ScriptedReader(std::vector<std::string> chunks, bool pend_between = false)
      : chunks_(chunks.begin(), chunks.end()), pend_(pend_between) {}

  Poll<Result<std::size_t>> poll_read(Context& cx, io::MutableBuffer buf) {
    ++reads;
    if (pend_ && !pended_) {
      pended_ = true;
      cx.waker().wake_by_ref();
      return pending;
    }
    pended_ = false;
    if (chunks_.empty()) return std::size_t{0};
    std::string& c = chunks_.front();
    std::size_t n = std::min(buf.size(), c.size());
    std::memcpy(buf.data(), c.data(), n);
    if (n == c.size()) {
      chunks_.pop_front();
    } else {
      c.erase(0, n);
    }
    return n;
  }

  int reads = 0;

 private:
  std::deque<std::string> chunks_;
  bool pend_;
  bool pended_ = false;
};

// A writer that records what it accepts, at most `max_chunk` bytes per call, and counts calls.
class RecordingWriter {
 public:
  explicit RecordingWriter(std::size_t max_chunk = static_cast<std::size_t>(-1))
      : max_chunk_(max_chunk) {}
  Poll<Result<std::size_t>> poll_write(Context&, io::ConstBuffer buf) {
    ++writes;
    std::size_t n = std::min(buf.size(), max_chunk_);
    data.append(reinterpret_cast<const char*>(buf.data()), n);
    return n;
  }
  Poll<Result<void>> poll_flush(Context&) {
    ++flushes;
    return Result<void>{};
  }
  Poll<Result<void>> poll_shutdown(Context&) {
    ++shutdowns;
    return Result<void>{};
  }

  std::string data;
  int writes = 0;
  int flushes = 0;
  int shutdowns = 0;

 private:
  std::size_t max_chunk_;
};

}  // namespace strata::test
