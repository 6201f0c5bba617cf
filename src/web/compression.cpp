#include "strata/web/compression.hpp"

#include <zlib.h>

#include <stdexcept>

#include "strata/http/headers.hpp"

namespace strata::web {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The q value of one Accept-Encoding element ("gzip;q=0.5" -> 0.5; no q -> 1).
double quality(std::string_view params) noexcept {
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string_view v = p.substr(2);
      if (v.empty()) return 0;
      double q = v[0] == '1' ? 1.0 : 0.0;
      double scale = 0.1;
      for (std::size_t i = 2; i < v.size() && v[1] == '.'; ++i, scale /= 10) {
        if (v[i] < '0' || v[i] > '9') return 0;
        q += (v[i] - '0') * scale;
      }
      return q;
    }
  }
  return 1;
}

}  // namespace

bool accepts_encoding(std::string_view header, std::string_view coding) noexcept {
  double named = -1, star = -1;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    std::size_t semi = item.find(';');
    std::string_view name = trim(item.substr(0, semi));
    double q = semi == std::string_view::npos ? 1.0 : quality(item.substr(semi + 1));
    if (http::ascii_iequals(name, coding)) named = q;
    if (name == "*") star = q;
  }
  if (named >= 0) return named > 0;
  return star > 0;
}

std::string gzip(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("web::gzip: deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("web::gzip: deflate did not finish");
  out.resize(n);
  return out;
}

bool Compression::compressible(std::string_view content_type) const noexcept {
  for (const auto& t : config_.types)
    if (content_type.size() >= t.size() && http::ascii_iequals(content_type.substr(0, t.size()), t))
      return true;
  return false;
}

Task<http::Response> Compression::use(http::Request& req, MiddlewareNext next) {
  bool wants = accepts_encoding(req.headers.get("accept-encoding").value_or(""), "gzip");
  bool head = req.method == http::Method::head;
  http::Response r = co_await next.run();
  const std::uint16_t code = r.status.as_u16();
  if (head || code < 200 || code == 204 || code == 304) co_return r;
  if (r.headers.contains("content-encoding")) co_return r;
  if (!compressible(r.headers.get(http::header::content_type).value_or(""))) co_return r;
  (void)r.headers.append("vary", "Accept-Encoding");
  if (!wants || r.body.kind() != http::Body::Kind::bytes) co_return r;
  std::string_view bytes = r.body.bytes();
  if (bytes.size() < config_.min_size || bytes.size() > 0xFFFF'FFFFu) co_return r;
  std::string packed = gzip(bytes, config_.level);
  if (packed.size() >= bytes.size()) co_return r;
  r.body = http::Body::from(std::move(packed));
  r.headers.remove(http::header::content_length);
  (void)r.headers.set("content-encoding", "gzip");
  co_return r;
}

}  // namespace strata::web
