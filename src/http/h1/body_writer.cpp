#include "strata/http/h1/body_writer.hpp"

namespace strata::http::h1 {

namespace {

class BodyWriteCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.h1.body_write"; }
  std::string message(int e) const override {
    switch (static_cast<BodyWriteError>(e)) {
      case BodyWriteError::over_length:
        return "body longer than its Content-Length";
      case BodyWriteError::short_of_length:
        return "body shorter than its Content-Length";
    }
    return "unknown body write error";
  }
};

}  // namespace

const std::error_category& body_write_category() noexcept {
  static const BodyWriteCategory category;
  return category;
}

Result<std::string_view> BodyEncoder::encode(std::string& out, std::size_t size) {
  switch (kind_) {
    case Framing::Kind::length:
      if (size > left_)
        return fail(Error(make_error_code(BodyWriteError::over_length), "http body"));
      left_ -= size;
      return std::string_view{};
    case Framing::Kind::chunked:
      append_chunk_header(out, size);
      return std::string_view("\r\n", 2);
    case Framing::Kind::none:
    case Framing::Kind::close:
      break;
  }
  return std::string_view{};
}

Result<void> BodyEncoder::finish(std::string& out, const Headers* trailers) {
  if (kind_ == Framing::Kind::length && left_ != 0) {
    return fail(Error(make_error_code(BodyWriteError::short_of_length), "http body"));
  }
  if (kind_ == Framing::Kind::chunked) append_last_chunk(out, trailers);
  return Result<void>{};
}

}  // namespace strata::http::h1
