#include "strata/http/h1/serializer.hpp"

#include <charconv>
#include <ctime>

#include "strata/http/date.hpp"
#include "strata/http/status.hpp"

namespace strata::http::h1 {

namespace {

void append_number(std::string& out, std::uint64_t n, int base = 10) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n, base);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
}

bool is_framing_field(std::string_view name) noexcept {
  return ascii_iequals(name, header::content_length) ||
         ascii_iequals(name, header::transfer_encoding) || ascii_iequals(name, header::connection);
}

// A status that never has a body (RFC 9110 §6.4.1).
bool bodiless_status(StatusCode s) noexcept {
  return s.is_informational() || s == StatusCode::no_content || s == StatusCode::not_modified;
}

// The Content-Length a handler promised for a streamed body, if valid.
std::optional<std::uint64_t> promised_length(const Headers& h) {
  std::optional<std::string_view> v = h.get(header::content_length);
  if (!v || v->empty()) return std::nullopt;
  std::uint64_t n = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), n);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size()) return std::nullopt;
  return n;
}

}  // namespace

Framing response_framing(const Response& r, bool head_request, Version v) {
  Framing f;
  if (bodiless_status(r.status)) return f;
  std::optional<std::uint64_t> len;
  if (r.body.kind() == Body::Kind::stream) {
    len = promised_length(r.headers);
    if (!len) len = r.body.size_hint();
  } else {
    len = r.body.size_hint();  // bytes, empty, file: always known
  }
  if (head_request) {
    // Announce what a GET would carry when it is known; send no body bytes either way.
    f.kind = Framing::Kind::none;
    if (len) f.length = *len, f.announce_length_only = true;
    return f;
  }
  if (len) {
    f.kind = Framing::Kind::length;
    f.length = *len;
  } else {
    f.kind = v == Version::http_1_0 ? Framing::Kind::close : Framing::Kind::chunked;
  }
  return f;
}

Framing request_framing(const Request& r) {
  Framing f;
  if (r.body.kind() == Body::Kind::file) {
    f.kind = Framing::Kind::length;
    f.length = r.body.file_length();
    return f;
  }
  if (r.body.kind() == Body::Kind::stream) {
    std::optional<std::uint64_t> len = promised_length(r.headers);
    if (!len) len = r.body.size_hint();
    if (len) {
      f.kind = Framing::Kind::length;
      f.length = *len;
    } else {
      f.kind = Framing::Kind::chunked;
    }
    return f;
  }
  std::size_t n = r.body.bytes().size();
  // Methods whose requests usually carry content always announce a length, even 0.
  if (n > 0 || r.method == Method::post || r.method == Method::put || r.method == Method::patch) {
    f.kind = Framing::Kind::length;
    f.length = n;
  }
  return f;
}

void append_response_head(std::string& out, const Response& r, const Framing& f,
                          const ResponseHeadOptions& o) {
  out.append(status_line(r.status));
  if (!r.headers.contains(header::date)) append_field(out, "date", cached_date());
  if (!o.server.empty() && !r.headers.contains(header::server)) {
    append_field(out, "server", o.server);
  }
  // A 101 keeps the handler's "Connection: upgrade"; the connection then belongs to it.
  const bool upgrading = r.status == StatusCode::switching_protocols;
  for (const HeaderField& h : r.headers) {
    if (!is_framing_field(h.name) || (upgrading && ascii_iequals(h.name, header::connection))) {
      append_field(out, h.name, h.value);
    }
  }
  if (upgrading) {
    out.append("\r\n", 2);
    return;
  }
  if (f.kind == Framing::Kind::length || f.announce_length_only) {
    out.append("content-length: ");
    append_number(out, f.length);
    out.append("\r\n", 2);
  } else if (f.kind == Framing::Kind::chunked) {
    out.append("transfer-encoding: chunked\r\n");
  }
  if (!o.keep_alive || f.kind == Framing::Kind::close) {
    out.append("connection: close\r\n");
  } else if (o.http10_keep_alive) {
    out.append("connection: keep-alive\r\n");
  }
  out.append("\r\n", 2);
}

void append_request_head(std::string& out, const Request& r, std::string_view target,
                         std::string_view host, const Framing& f) {
  out.append(r.method.as_str());
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  if (!r.headers.contains(header::host)) append_field(out, "host", host);
  for (const HeaderField& h : r.headers) {
    if (!ascii_iequals(h.name, header::content_length) &&
        !ascii_iequals(h.name, header::transfer_encoding)) {
      append_field(out, h.name, h.value);
    }
  }
  if (f.kind == Framing::Kind::length) {
    out.append("content-length: ");
    append_number(out, f.length);
    out.append("\r\n", 2);
  } else if (f.kind == Framing::Kind::chunked) {
    out.append("transfer-encoding: chunked\r\n");
  }
  out.append("\r\n", 2);
}

void append_chunk_header(std::string& out, std::uint64_t size) {
  append_number(out, size, 16);
  out.append("\r\n", 2);
}

void append_last_chunk(std::string& out, const Headers* trailers) {
  if (!trailers || trailers->empty()) {
    out.append(last_chunk);
    return;
  }
  out.append("0\r\n", 3);
  for (const HeaderField& h : *trailers) {
    // RFC 9110 §6.5.1: no framing, routing or authentication fields in a trailer section.
    if (is_framing_field(h.name) || ascii_iequals(h.name, header::host) ||
        ascii_iequals(h.name, header::trailer) || ascii_iequals(h.name, header::authorization)) {
      continue;
    }
    append_field(out, h.name, h.value);
  }
  out.append("\r\n", 2);
}

std::string_view cached_date() noexcept {
  thread_local DateCache cache;
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);  // vDSO, no syscall: cheap per response
  return cache.get(static_cast<std::int64_t>(ts.tv_sec));
}

}  // namespace strata::http::h1
