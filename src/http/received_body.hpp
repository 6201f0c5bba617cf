// The request body of one multiplexed stream (HTTP/2, HTTP/3) as its bytes arrive, read by the
// stream's handler through BodyStream::poll_data. Private to src/http.
//
// A handler's read returns a view of every byte received so far and lends it until the next
// read; only then are those bytes given back to the peer's flow-control window (`credit`), so a
// slow reader stops its own stream and never the others. Bytes that arrive while a view is lent
// go to a second buffer: appending to the lent one could move the bytes the handler still holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/io/buffer_view.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/poll.hpp"
#include "strata/rt/waker.hpp"

namespace strata::http::detail {

class ReceivedBody {
 public:
  // Bytes from the peer; wakes the reader.
  void append(const char* p, std::size_t n) {
    (lent_ ? more_ : in_).append(p, n);
    reader_.wake_by_ref();
  }
  // The peer ended the body; wakes the reader.
  void finish() {
    eof_ = true;
    reader_.wake_by_ref();
  }
  bool finished() const noexcept { return eof_; }

  // The handler's read: gives the bytes lent by the previous read back (credit(n)), then lends
  // all bytes received since; empty view at the end; Pending until bytes arrive.
  template <class Credit>
  Poll<Result<io::BufferView>> poll(Context& cx, Credit&& credit) {
    if (lent_) {
      in_begin_ += lent_;
      credit(lent_);
      lent_ = 0;
      if (in_begin_ == in_.size()) {
        in_.clear();
        in_begin_ = 0;
      }
    }
    if (!more_.empty()) {  // `in_` is no longer lent: take what arrived meanwhile
      if (in_begin_ == in_.size()) {
        in_.swap(more_);
        in_begin_ = 0;
      } else {
        in_.append(more_);
      }
      more_.clear();
    }
    if (in_begin_ < in_.size()) {
      lent_ = in_.size() - in_begin_;
      return io::BufferView(std::string_view(in_).substr(in_begin_));
    }
    if (eof_) return io::BufferView();
    reader_ = cx.waker();
    return pending;
  }

  // Bytes received and not yet given back (including what is lent).
  std::size_t unread() const noexcept { return in_.size() - in_begin_ + more_.size(); }
  std::optional<std::uint64_t> size_hint() const {
    if (eof_) return unread();
    return std::nullopt;
  }
  // Forgets the unread bytes (the stream was answered); returns how many there were, for the
  // caller to credit.
  std::size_t drop() noexcept {
    const std::size_t n = unread();
    in_.clear();
    more_.clear();
    in_begin_ = lent_ = 0;
    return n;
  }

 private:
  std::string in_, more_;  // [in_begin_, in_.size()) unread; the first lent_ of them lent
  std::size_t in_begin_ = 0, lent_ = 0;
  bool eof_ = false;
  Waker reader_;
};

}  // namespace strata::http::detail
