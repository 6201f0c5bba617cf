// io::duplex: each direction is a ring buffer under a mutex, with one waker for its reader and
// one for its writer.
#include "strata/io/duplex.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "strata/rt/waker.hpp"

namespace strata::io {

namespace detail {

struct DuplexPipe {
  explicit DuplexPipe(std::size_t cap) : ring(std::max<std::size_t>(cap, 1)) {}

  std::mutex mu;
  std::vector<std::byte> ring;
  std::size_t head = 0;       // first unread byte
  std::size_t len = 0;        // unread bytes
  bool write_closed = false;  // the writer shut down or was dropped: EOF after the bytes left
  bool read_closed = false;   // the reader was dropped: writes fail
  Waker reader;
  Waker writer;

  std::size_t read_some(MutableBuffer out) noexcept {
    std::size_t n = std::min(out.size(), len);
    std::size_t first = std::min(n, ring.size() - head);
    std::memcpy(out.data(), ring.data() + head, first);
    std::memcpy(out.data() + first, ring.data(), n - first);
    head = (head + n) % ring.size();
    len -= n;
    return n;
  }
  std::size_t write_some(ConstBuffer in) noexcept {
    std::size_t n = std::min(in.size(), ring.size() - len);
    std::size_t tail = (head + len) % ring.size();
    std::size_t first = std::min(n, ring.size() - tail);
    std::memcpy(ring.data() + tail, in.data(), first);
    std::memcpy(ring.data(), in.data() + first, n - first);
    len += n;
    return n;
  }
};

}  // namespace detail

namespace {
void store(Waker& slot, const Context& cx) {
  if (!slot.will_wake(cx.waker())) slot = cx.waker();
}
Result<std::size_t> broken_pipe() {
  return fail(Error(std::make_error_code(std::errc::broken_pipe), "duplex write: peer dropped"));
}
}  // namespace

DuplexStream& DuplexStream::operator=(DuplexStream&& o) noexcept {
  if (this != &o) {
    close();
    read_ = std::move(o.read_);
    write_ = std::move(o.write_);
  }
  return *this;
}

DuplexStream::~DuplexStream() {
  close();
}

void DuplexStream::close() noexcept {
  Waker w1, w2;
  if (write_) {
    std::lock_guard lock(write_->mu);
    write_->write_closed = true;
    w1 = std::move(write_->reader);
  }
  if (read_) {
    std::lock_guard lock(read_->mu);
    read_->read_closed = true;
    w2 = std::move(read_->writer);
  }
  std::move(w1).wake();
  std::move(w2).wake();
  read_.reset();
  write_.reset();
}

Poll<Result<std::size_t>> DuplexStream::poll_read(Context& cx, MutableBuffer buf) {
  detail::DuplexPipe& p = *read_;
  Waker w;
  std::size_t n;
  {
    std::lock_guard lock(p.mu);
    if (buf.empty()) return std::size_t{0};
    if (p.len == 0) {
      if (p.write_closed) return std::size_t{0};
      store(p.reader, cx);
      return pending;
    }
    n = p.read_some(buf);
    w = std::move(p.writer);
  }
  std::move(w).wake();
  return n;
}

Poll<Result<void>> DuplexStream::poll_read_ready(Context& cx) {
  detail::DuplexPipe& p = *read_;
  std::lock_guard lock(p.mu);
  if (p.len > 0 || p.write_closed) return Result<void>{};
  store(p.reader, cx);
  return pending;
}

Poll<Result<std::size_t>> DuplexStream::poll_write(Context& cx, ConstBuffer buf) {
  const ConstBuffer one[1] = {buf};
  return poll_write_vectored(cx, one);
}

Poll<Result<std::size_t>> DuplexStream::poll_write_vectored(Context& cx,
                                                            std::span<const ConstBuffer> bufs) {
  detail::DuplexPipe& p = *write_;
  Waker w;
  std::size_t n = 0;
  {
    std::lock_guard lock(p.mu);
    if (p.read_closed) return broken_pipe();
    if (p.write_closed) {
      return Result<std::size_t>(
          fail(Error(std::make_error_code(std::errc::broken_pipe), "duplex write: shut down")));
    }
    std::size_t total = 0;
    for (ConstBuffer b : bufs) total += b.size();
    if (total == 0) return std::size_t{0};
    if (p.len == p.ring.size()) {
      store(p.writer, cx);
      return pending;
    }
    for (ConstBuffer b : bufs) {
      std::size_t k = p.write_some(b);
      n += k;
      if (k < b.size()) break;
    }
    w = std::move(p.reader);
  }
  std::move(w).wake();
  return n;
}

Poll<Result<void>> DuplexStream::poll_shutdown(Context&) {
  detail::DuplexPipe& p = *write_;
  Waker w;
  {
    std::lock_guard lock(p.mu);
    p.write_closed = true;
    w = std::move(p.reader);
  }
  std::move(w).wake();
  return Result<void>{};
}

std::pair<DuplexStream, DuplexStream> duplex(std::size_t max_buf_size) {
  auto a_to_b = std::make_shared<detail::DuplexPipe>(max_buf_size);
  auto b_to_a = std::make_shared<detail::DuplexPipe>(max_buf_size);
  return {DuplexStream(b_to_a, a_to_b), DuplexStream(a_to_b, b_to_a)};
}

}  // namespace strata::io
