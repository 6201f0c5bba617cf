// zlib streams for permessage-deflate (private to src/http/ws).
//
// Deflater compresses one message at a time into a string, ending it with a sync flush whose
// trailing 00 00 FF FF is cut off (RFC 7692 §7.2.1). Inflater decompresses a message in steps
// into a caller's buffer (so a deflate bomb never takes more than that buffer): input pieces go
// in with input(), step() produces output, finish() appends the 00 00 FF FF tail at the end of
// the message. Without context takeover each stream is released after its message and made
// again on the next, so an idle connection holds no zlib memory; zlib's allocations are counted
// per stream (memory()).
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "strata/rt/error.hpp"

namespace strata::http::ws::detail {

// The bytes zlib holds for one stream (zalloc/zfree hooks keep the count).
struct ZMemory {
  std::size_t bytes = 0;
};

class Deflater {
 public:
  Deflater(int window_bits, int level, int mem_level, bool reset_each_message) noexcept
      : window_bits_(window_bits),
        level_(level),
        mem_level_(mem_level),
        reset_each_(reset_each_message) {}
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater();

  // Compresses `in` as one whole message into `out` (replaced).
  Result<void> compress(std::span<const std::byte> in, std::string& out);
  std::size_t memory() const noexcept { return mem_.bytes; }

 private:
  z_stream z_{};
  ZMemory mem_;
  int window_bits_, level_, mem_level_;
  bool reset_each_;
  bool live_ = false;
};

class Inflater {
 public:
  explicit Inflater(bool reset_each_message) noexcept : reset_each_(reset_each_message) {}
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater();

  // The next compressed bytes of the current message (borrowed until has_input() is false).
  Result<void> input(std::span<const std::byte> in);
  bool has_input() const noexcept { return z_.avail_in > 0; }
  // Appends the 00 00 FF FF tail: the message's last compressed bytes were given.
  void finish() noexcept;
  bool finishing() const noexcept { return finishing_; }
  // Inflates into `out`; returns the bytes produced (0 with no input left: step done).
  // CloseCode::invalid_payload for corrupt data.
  Result<std::size_t> step(std::span<std::byte> out);
  // After the message's last step: release or keep the context.
  void end_message() noexcept;
  std::size_t memory() const noexcept { return mem_.bytes; }

 private:
  z_stream z_{};
  ZMemory mem_;
  bool reset_each_;
  bool live_ = false;
  bool finishing_ = false;
  bool stream_end_ = false;
};

}  // namespace strata::http::ws::detail
