#include "strata/http/body.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace strata::http {

namespace {

// The receiving side of Body::channel().
class ChannelStream final : public BodyStream {
 public:
  ChannelStream(sync::mpsc::Receiver<detail::BodyChunk> rx,
                std::shared_ptr<std::atomic<bool>> aborted)
      : rx_(std::move(rx)), aborted_(std::move(aborted)) {}

  Poll<Result<io::BufferView>> poll_data(Context& cx) override {
    if (done_) return Result<io::BufferView>{};
    if (!recv_) recv_.emplace(rx_.recv());
    Poll<std::optional<detail::BodyChunk>> p = recv_->poll(cx);
    if (p.is_pending()) return pending;
    recv_.reset();
    std::optional<detail::BodyChunk> chunk = p.take();
    if (!chunk) {  // every sender gone: the end, clean unless one of them aborted
      done_ = true;
      if (aborted_->load(std::memory_order_acquire)) {
        return fail(Errc::cancelled, "body aborted by its sender");
      }
      return Result<io::BufferView>{};
    }
    current_ = std::move(*chunk);
    return Result<io::BufferView>(current_.view());
  }

 private:
  sync::mpsc::Receiver<detail::BodyChunk> rx_;
  std::shared_ptr<std::atomic<bool>> aborted_;
  std::optional<sync::mpsc::Receiver<detail::BodyChunk>::Recv> recv_;
  detail::BodyChunk current_;
  bool done_ = false;
};

Task<Result<void>> send_chunk(sync::mpsc::Sender<detail::BodyChunk>* tx, detail::BodyChunk c) {
  if (!tx) co_return fail(Errc::closed, "body send");
  auto sent = co_await tx->send(std::move(c));
  if (!sent) co_return fail(Errc::closed, "body send");
  co_return Result<void>{};
}

}  // namespace

Task<Result<void>> BodySender::send(std::string chunk) {
  detail::BodyChunk c;
  c.text = std::move(chunk);
  return send_chunk(tx_ ? &*tx_ : nullptr, std::move(c));
}

Task<Result<void>> BodySender::send(io::Buffer chunk) {
  detail::BodyChunk c;
  c.buffer = std::move(chunk);
  return send_chunk(tx_ ? &*tx_ : nullptr, std::move(c));
}

void BodySender::abort() {
  if (!tx_) return;
  // Flag first, then drop the sender: the reader sees the end of the channel only after the
  // queued chunks, and then reports an error instead of a clean end.
  aborted_->store(true, std::memory_order_release);
  tx_.reset();
}

bool BodySender::is_closed() const {
  return !tx_ || tx_->is_closed();
}

Body Body::from(std::string bytes) {
  Body b;
  b.kind_ = Kind::bytes;
  b.store_ = Store::owned;
  b.owned_ = std::move(bytes);
  return b;
}

Body Body::from(io::Buffer bytes) {
  Body b;
  b.kind_ = Kind::bytes;
  b.store_ = Store::buffer;
  b.buffer_ = std::move(bytes);
  return b;
}

Body Body::from_static(std::string_view bytes) noexcept {
  Body b;
  b.kind_ = Kind::bytes;
  b.store_ = Store::view;
  b.view_ = bytes;
  return b;
}

Body Body::from_stream(std::unique_ptr<BodyStream> stream) noexcept {
  Body b;
  if (!stream) return b;
  b.kind_ = Kind::stream;
  b.stream_ = stream.release();
  b.owns_stream_ = true;
  return b;
}

Body Body::from_file(int fd, std::uint64_t offset, std::uint64_t length) noexcept {
  Body b;
  b.kind_ = Kind::file;
  b.fd_ = fd;
  b.offset_ = offset;
  b.length_ = length;
  return b;
}

Body Body::borrow_stream(BodyStream& stream) noexcept {
  Body b;
  b.kind_ = Kind::stream;
  b.stream_ = &stream;
  return b;
}

std::pair<BodySender, Body> Body::channel(std::size_t capacity) {
  auto [tx, rx] = sync::mpsc::channel<detail::BodyChunk>(capacity == 0 ? 1 : capacity);
  auto aborted = std::make_shared<std::atomic<bool>>(false);
  return {BodySender(std::move(tx), aborted),
          from_stream(std::make_unique<ChannelStream>(std::move(rx), std::move(aborted)))};
}

Body::Body(Body&& o) noexcept
    : kind_(std::exchange(o.kind_, Kind::empty)),
      store_(std::exchange(o.store_, Store::none)),
      owns_stream_(std::exchange(o.owns_stream_, false)),
      bytes_taken_(std::exchange(o.bytes_taken_, false)),
      view_(std::exchange(o.view_, {})),
      owned_(std::move(o.owned_)),
      buffer_(std::move(o.buffer_)),
      stream_(std::exchange(o.stream_, nullptr)),
      fd_(std::exchange(o.fd_, -1)),
      offset_(std::exchange(o.offset_, 0)),
      length_(std::exchange(o.length_, 0)) {}

Body& Body::operator=(Body&& o) noexcept {
  if (this != &o) {
    reset();
    kind_ = std::exchange(o.kind_, Kind::empty);
    store_ = std::exchange(o.store_, Store::none);
    owns_stream_ = std::exchange(o.owns_stream_, false);
    bytes_taken_ = std::exchange(o.bytes_taken_, false);
    view_ = std::exchange(o.view_, {});
    owned_ = std::move(o.owned_);
    buffer_ = std::move(o.buffer_);
    stream_ = std::exchange(o.stream_, nullptr);
    fd_ = std::exchange(o.fd_, -1);
    offset_ = std::exchange(o.offset_, 0);
    length_ = std::exchange(o.length_, 0);
  }
  return *this;
}

Body::~Body() {
  reset();
}

void Body::reset() noexcept {
  if (owns_stream_) delete stream_;
  stream_ = nullptr;
  owns_stream_ = false;
  kind_ = Kind::empty;
  store_ = Store::none;
  bytes_taken_ = false;
  view_ = {};
  // Gives the capacity back: a pooled response (the server keeps a few hundred per worker)
  // must not keep the largest body it ever carried.
  std::string().swap(owned_);
  buffer_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  offset_ = length_ = 0;
}

std::string_view Body::bytes() const noexcept {
  switch (store_) {
    case Store::view:
      return view_;
    case Store::owned:
      return owned_;
    case Store::buffer:
      return buffer_.view().as_string_view();
    case Store::none:
      break;
  }
  return {};
}

std::optional<std::uint64_t> Body::size_hint() const {
  switch (kind_) {
    case Kind::empty:
      return 0;
    case Kind::bytes:
      return bytes_taken_ ? 0 : bytes().size();
    case Kind::stream:
      return stream_->size_hint();
    case Kind::file:
      return length_;
  }
  return std::nullopt;
}

Poll<Result<io::BufferView>> Body::poll_data(Context& cx) {
  switch (kind_) {
    case Kind::empty:
      return Result<io::BufferView>{};
    case Kind::bytes:
      if (bytes_taken_) return Result<io::BufferView>{};
      bytes_taken_ = true;
      return Result<io::BufferView>(io::BufferView(bytes()));
    case Kind::stream:
      return stream_->poll_data(cx);
    case Kind::file:
      return read_file_chunk();
  }
  return Result<io::BufferView>{};
}

Result<io::BufferView> Body::read_file_chunk() {
  if (length_ == 0) return io::BufferView{};
  // Files are read on the calling thread: regular files do not support readiness, and a page
  // cache hit costs a memcpy. (Servers send files with sendfile and never come here.)
  if (!buffer_) buffer_ = io::Buffer::acquire(io::BufferPool::large_size);
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(length_, buffer_.capacity()));
  ssize_t n;
  do {
    n = ::pread(fd_, buffer_.data(), want, static_cast<off_t>(offset_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail(Error::from_errno(errno, "read file body"));
  if (n == 0) return fail(Errc::closed, "read file body: file shrank");
  offset_ += static_cast<std::uint64_t>(n);
  length_ -= static_cast<std::uint64_t>(n);
  return io::BufferView(buffer_.data(), static_cast<std::size_t>(n));
}

void Body::advance_file(std::uint64_t n) noexcept {
  n = std::min(n, length_);
  offset_ += n;
  length_ -= n;
}

Task<Result<std::string>> Body::text(std::size_t limit) {
  std::string out;
  // A body known to be too long is refused before any of it is read.
  if (std::optional<std::uint64_t> n = size_hint(); n && *n > limit) {
    co_return fail(Error(std::make_error_code(std::errc::message_size), "body"));
  }
  if (kind_ == Kind::bytes && !bytes_taken_) {
    if (bytes().size() > limit) co_return fail(std::make_error_code(std::errc::message_size));
    bytes_taken_ = true;
    co_return std::string(bytes());
  }
  for (;;) {
    Result<io::BufferView> chunk = co_await next();
    if (!chunk) co_return std::unexpected(std::move(chunk).error());
    if (chunk->empty()) co_return out;
    if (chunk->size() > limit - out.size()) {
      co_return fail(Error(std::make_error_code(std::errc::message_size), "body"));
    }
    out.append(chunk->as_string_view());
  }
}

Task<Result<void>> Body::discard() {
  for (;;) {
    Result<io::BufferView> chunk = co_await next();
    if (!chunk) co_return std::unexpected(std::move(chunk).error());
    if (chunk->empty()) co_return Result<void>{};
  }
}

}  // namespace strata::http
