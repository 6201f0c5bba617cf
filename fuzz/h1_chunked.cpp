// Fuzzes the chunked decoder (strata/http/h1/chunked.hpp). For every input:
//
//   - decoding it in one piece ends in data/need_more, done or a typed error, consumes no more
//     than it was given, and returns data slices that lie inside the piece it was fed (ASan
//     catches any read outside: each piece is a separate allocation);
//   - decoding it in random pieces (cut points derived from the input) and byte by byte gives
//     exactly the same bytes, end status, error, consumed count and trailer fields; a mismatch
//     aborts;
//   - done means the consumed bytes end in CRLF and body_bytes() equals the bytes returned.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_util.hpp"
#include "strata/http/h1/chunked.hpp"

namespace {

using namespace strata::http::h1;

constexpr strata::fuzz::Check check{"h1_chunked"};

struct Outcome {
  std::string data;
  ChunkedStatus status = ChunkedStatus::need_more;
  ParseError error = ParseError::none;
  std::size_t consumed = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
  bool operator==(const Outcome&) const = default;
};

// Decodes `in` cut at `cuts` (ascending offsets), each piece in its own heap block.
Outcome decode(std::string_view in, const std::vector<std::size_t>& cuts, const Limits& lim) {
  ChunkedDecoder dec(lim);
  Outcome out;
  std::size_t from = 0;
  for (std::size_t k = 0; k <= cuts.size(); ++k) {
    const std::size_t to = k < cuts.size() ? cuts[k] : in.size();
    const std::size_t len = to - from;
    auto block = std::make_unique<char[]>(len == 0 ? 1 : len);
    std::copy(in.begin() + std::ptrdiff_t(from), in.begin() + std::ptrdiff_t(to), block.get());
    std::string_view piece(block.get(), len);
    from = to;
    while (true) {
      const ChunkedStep s = dec.decode(piece);
      check(s.consumed <= piece.size(), "consumed more than given", in);
      out.consumed += s.consumed;
      out.status = s.status;
      out.error = s.error;
      check((s.status == ChunkedStatus::error) == (s.error != ParseError::none),
            "error status and error code disagree", in);
      if (s.status == ChunkedStatus::data) {
        check(!s.data.empty(), "empty data slice", in);
        check(s.data.data() >= piece.data() &&
                  s.data.data() + s.data.size() <= piece.data() + s.consumed,
              "data slice outside the consumed input", in);
        out.data += s.data;
        piece.remove_prefix(s.consumed);
        continue;
      }
      check(s.status != ChunkedStatus::need_more || s.consumed == piece.size(),
            "need_more before the input was used up", in);
      piece.remove_prefix(s.consumed);
      break;
    }
    if (out.status == ChunkedStatus::done || out.status == ChunkedStatus::error) break;
  }
  if (out.status == ChunkedStatus::done) {
    check(dec.done(), "done() disagrees", in);
    check(dec.body_bytes() == out.data.size(), "body_bytes() differs from the data", in);
    check(out.consumed >= 5 && in.substr(out.consumed - 2, 2) == "\r\n", "done without CRLF", in);
    check(dec.trailers().size() <= lim.max_trailers, "too many trailers", in);
    for (const HeaderField& f : dec.trailers()) out.trailers.emplace_back(f.name, f.value);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits lim;
  lim.max_chunk_ext_bytes = 64;  // small bounds so the fuzzer reaches them
  lim.max_trailer_bytes = 256;
  lim.max_trailers = 4;
  const Outcome one = decode(in, {}, lim);

  std::uint64_t x = 0x9e3779b97f4a7c15ull ^ size;
  for (char c : in) x = (x ^ std::uint8_t(c)) * 0x100000001b3ull;
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0; at < size;) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    at += 1 + x % 7;
    if (at < size) cuts.push_back(at);
  }
  check(decode(in, cuts, lim) == one, "random split differs from one-shot", in);
  if (size <= 2048) {
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < size; ++i) every.push_back(i);
    check(decode(in, every, lim) == one, "byte-by-byte differs from one-shot", in);
  }
  return 0;
}
