// web::Compression: gzip response bodies for clients that accept it (Accept-Encoding), as
// middleware — NestJS's `compression()`.
//
//   app->use(std::make_shared<web::Compression>());          // gzip level 6, bodies >= 1 KiB
//   web::CompressionConfig cfg;
//   cfg.min_size = 256;
//   app->use(std::make_shared<web::Compression>(cfg));
//
// Compressed: whole-bytes bodies (not streams or files, so SSE and sendfile stay as they are)
// of at least `min_size` bytes whose Content-Type starts with one of `types`, on responses
// without a Content-Encoding, to requests whose Accept-Encoding allows gzip (q > 0, or `*`).
// HEAD, 1xx, 204 and 304 pass untouched. Compressible responses get `Vary: Accept-Encoding`
// whether compressed or not, so caches keep the two forms apart; a compressed body that would
// not be smaller is sent as it was.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/web/pipeline.hpp"

namespace strata::web {

struct CompressionConfig {
  std::size_t min_size = 1024;
  int level = 6;  // zlib's 1 (fast) .. 9 (small)
  std::vector<std::string> types{"text/", "application/json", "application/javascript",
                                 "application/xml", "image/svg+xml"};
};

// Whether an Accept-Encoding value allows `coding` ("gzip"): listed with q > 0, or `*` with
// q > 0 and not listed with q = 0.
bool accepts_encoding(std::string_view accept_encoding, std::string_view coding) noexcept;

// `data` as one gzip member (RFC 1952), at `level`.
std::string gzip(std::string_view data, int level = 6);

class Compression final : public Middleware {
 public:
  explicit Compression(CompressionConfig config = {}) : config_(std::move(config)) {}
  Task<http::Response> use(http::Request& req, MiddlewareNext next) override;

 private:
  bool compressible(std::string_view content_type) const noexcept;
  CompressionConfig config_;
};

}  // namespace strata::web
