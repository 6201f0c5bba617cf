// permessage-deflate: negotiation (strata/http/ws/deflate.hpp) and the zlib streams
// (src/http/ws/zstream.hpp).
#include "strata/http/ws/deflate.hpp"

#include <charconv>
#include <cstdlib>
#include <new>

#include "strata/http/headers.hpp"
#include "strata/http/ws/frame.hpp"
#include "zstream.hpp"

namespace strata::http::ws {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// One extension element's parameters, parsed; `ok` false for anything unknown or repeated.
struct Offer {
  bool ok = true;
  bool server_nct = false, client_nct = false;
  int server_bits = 0;  // 0: absent
  int client_bits = 0;  // 0: absent; -1: present without a value
};

bool parse_bits(std::string_view v, int& out) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 8 || n > 15) return false;
  out = n;
  return true;
}

// Parses "permessage-deflate; a; b=1" (returns false if the extension is another one).
bool parse_offer(std::string_view element, Offer& o) {
  std::size_t semi = element.find(';');
  if (!iequals(trim(element.substr(0, semi)), "permessage-deflate")) return false;
  while (semi != std::string_view::npos) {
    element.remove_prefix(semi + 1);
    semi = element.find(';');
    std::string_view param = trim(element.substr(0, semi));
    std::size_t eq = param.find('=');
    std::string_view name = trim(param.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : trim(param.substr(eq + 1));
    const bool has_value = eq != std::string_view::npos;
    if (iequals(name, "server_no_context_takeover") && !has_value && !o.server_nct) {
      o.server_nct = true;
    } else if (iequals(name, "client_no_context_takeover") && !has_value && !o.client_nct) {
      o.client_nct = true;
    } else if (iequals(name, "server_max_window_bits") && has_value && o.server_bits == 0) {
      if (!parse_bits(value, o.server_bits)) o.ok = false;
    } else if (iequals(name, "client_max_window_bits") && o.client_bits == 0) {
      o.client_bits = -1;
      if (has_value && !parse_bits(value, o.client_bits)) o.ok = false;
    } else {
      o.ok = false;
    }
  }
  return true;
}

int clamp_bits(int b) noexcept {
  return b < 9 ? 9 : b > 15 ? 15 : b;
}

}  // namespace

std::optional<DeflateParams> negotiate_deflate(std::string_view offers, const DeflateOptions& opts,
                                               std::string& response) {
  if (!opts.enabled) return std::nullopt;
  // Extensions are comma-separated; parameters never contain commas (no quoted commas here).
  for (std::string_view element : split_list(offers)) {
    Offer o;
    if (!parse_offer(element, o) || !o.ok) continue;
    DeflateParams p;
    p.enabled = true;
    p.level = opts.level;
    p.mem_level = opts.mem_level;
    p.server_no_context_takeover = o.server_nct || opts.server_no_context_takeover;
    p.client_no_context_takeover = o.client_nct || opts.client_no_context_takeover;
    p.server_max_window_bits = clamp_bits(opts.server_max_window_bits);
    if (o.server_bits != 0) {
      if (o.server_bits < 9) continue;  // zlib cannot deflate with a 256-byte window
      p.server_max_window_bits = std::min(p.server_max_window_bits, o.server_bits);
    }
    p.client_max_window_bits = 15;
    if (o.client_bits != 0) {
      p.client_max_window_bits = clamp_bits(opts.client_max_window_bits);
      if (o.client_bits > 0)
        p.client_max_window_bits = std::min(p.client_max_window_bits, o.client_bits);
    }
    response = "permessage-deflate";
    if (p.server_no_context_takeover) response += "; server_no_context_takeover";
    if (p.client_no_context_takeover) response += "; client_no_context_takeover";
    if (o.server_bits != 0 || p.server_max_window_bits < 15)
      response += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
    if (o.client_bits != 0 && p.client_max_window_bits < 15)
      response += "; client_max_window_bits=" + std::to_string(p.client_max_window_bits);
    return p;
  }
  return std::nullopt;
}

std::string deflate_offer(const DeflateOptions& opts) {
  if (!opts.enabled) return {};
  std::string s = "permessage-deflate";
  if (opts.server_no_context_takeover) s += "; server_no_context_takeover";
  if (opts.client_no_context_takeover) s += "; client_no_context_takeover";
  if (opts.server_max_window_bits < 15)
    s += "; server_max_window_bits=" + std::to_string(clamp_bits(opts.server_max_window_bits));
  // Offered with a value only: an answer of 8 bits could not be honoured by zlib.
  if (opts.client_max_window_bits < 15)
    s += "; client_max_window_bits=" + std::to_string(clamp_bits(opts.client_max_window_bits));
  return s;
}

Result<DeflateParams> accept_deflate_response(std::string_view response,
                                              const DeflateOptions& opts) {
  DeflateParams p;
  if (trim(response).empty()) return p;
  Offer o;
  std::size_t count = 0;
  for (std::string_view element : split_list(response)) {
    ++count;
    if (!parse_offer(element, o) || !o.ok)
      return fail(Errc::invalid_input, "ws: unexpected Sec-WebSocket-Extensions in response");
  }
  if (!opts.enabled || count != 1)
    return fail(Errc::invalid_input, "ws: server answered an extension that was not offered");
  if (o.client_bits == -1 || (o.client_bits != 0 && opts.client_max_window_bits >= 15) ||
      (o.client_bits != 0 && o.client_bits < 9) ||
      (o.server_bits != 0 && opts.server_max_window_bits < 15 &&
       o.server_bits > opts.server_max_window_bits))
    return fail(Errc::invalid_input, "ws: bad window bits in the server's response");
  p.enabled = true;
  p.level = opts.level;
  p.mem_level = opts.mem_level;
  p.server_no_context_takeover = o.server_nct;
  p.client_no_context_takeover = o.client_nct || opts.client_no_context_takeover;
  p.server_max_window_bits = o.server_bits ? o.server_bits : 15;
  p.client_max_window_bits =
      o.client_bits > 0 ? o.client_bits : clamp_bits(opts.client_max_window_bits);
  return p;
}

namespace detail {

namespace {

// zlib allocation hooks that count bytes per stream (a size header before each block).
void* zalloc(void* opaque, unsigned items, unsigned size) {
  const std::size_t n = std::size_t(items) * size;
  auto* p = static_cast<std::size_t*>(std::malloc(n + sizeof(std::max_align_t)));
  if (!p) return nullptr;
  *p = n;
  static_cast<ZMemory*>(opaque)->bytes += n;
  return reinterpret_cast<std::byte*>(p) + sizeof(std::max_align_t);
}

void zfree(void* opaque, void* ptr) {
  if (!ptr) return;
  auto* p = reinterpret_cast<std::size_t*>(static_cast<std::byte*>(ptr) - sizeof(std::max_align_t));
  static_cast<ZMemory*>(opaque)->bytes -= *p;
  std::free(p);
}

constexpr unsigned char tail[4] = {0x00, 0x00, 0xFF, 0xFF};

}  // namespace

Deflater::~Deflater() {
  if (live_) deflateEnd(&z_);
}

Result<void> Deflater::compress(std::span<const std::byte> in, std::string& out) {
  if (!live_) {
    z_ = z_stream{};
    z_.zalloc = zalloc;
    z_.zfree = zfree;
    z_.opaque = &mem_;
    if (deflateInit2(&z_, level_, Z_DEFLATED, -window_bits_, mem_level_, Z_DEFAULT_STRATEGY) !=
        Z_OK)
      return fail(Error(CloseCode::internal_error, "ws: deflateInit2"));
    live_ = true;
  }
  out.clear();
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    const std::size_t old = out.size();
    out.resize(old + std::max<std::size_t>(256, deflateBound(&z_, z_.avail_in) + 16));
    z_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    z_.avail_out = static_cast<uInt>(out.size() - old);
    const int rc = deflate(&z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_.avail_out);
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return fail(Error(CloseCode::internal_error, "ws: deflate"));
    if (z_.avail_in == 0 && z_.avail_out != 0) break;
  }
  if (out.size() >= 4 &&
      out.compare(out.size() - 4, 4, reinterpret_cast<const char*>(tail), 4) == 0)
    out.resize(out.size() - 4);
  if (reset_each_) {
    deflateEnd(&z_);
    live_ = false;
  }
  return {};
}

Inflater::~Inflater() {
  if (live_) inflateEnd(&z_);
}

Result<void> Inflater::input(std::span<const std::byte> in) {
  if (!live_) {
    z_ = z_stream{};
    z_.zalloc = zalloc;
    z_.zfree = zfree;
    z_.opaque = &mem_;
    if (inflateInit2(&z_, -15) != Z_OK)
      return fail(Error(CloseCode::internal_error, "ws: inflateInit2"));
    live_ = true;
  }
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  return {};
}

void Inflater::finish() noexcept {
  finishing_ = true;
  (void)input(std::as_bytes(std::span(tail)));
}

Result<std::size_t> Inflater::step(std::span<std::byte> out) {
  if (!live_ || out.empty()) return std::size_t{0};
  if (stream_end_) {
    // A final deflate block ended the stream: nothing more may follow in this message.
    if (z_.avail_in > 0 && !finishing_)
      return fail(Error(CloseCode::invalid_payload, "ws: data after the final deflate block"));
    z_.avail_in = 0;
    return std::size_t{0};
  }
  z_.next_out = reinterpret_cast<Bytef*>(out.data());
  z_.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z_, Z_SYNC_FLUSH);
  const std::size_t produced = out.size() - z_.avail_out;
  if (rc == Z_STREAM_END) {
    stream_end_ = true;
  } else if (rc == Z_BUF_ERROR) {
    if (produced == 0) z_.avail_in = 0;  // no progress possible: needs more input
  } else if (rc != Z_OK) {
    return fail(Error(CloseCode::invalid_payload, "ws: corrupt deflate data"));
  }
  return produced;
}

void Inflater::end_message() noexcept {
  finishing_ = false;
  if (!live_) return;
  if (reset_each_) {
    inflateEnd(&z_);
    live_ = false;
  } else if (stream_end_) {
    inflateReset(&z_);
  }
  stream_end_ = false;
}

}  // namespace detail
}  // namespace strata::http::ws
