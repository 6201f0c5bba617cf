#include "strata/http/static_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "strata/http/date.hpp"
#include "strata/http/headers.hpp"
#include "strata/http/mime.hpp"
#include "strata/http/uri.hpp"

namespace strata::http {

namespace detail {

// What every copy of one StaticFiles shares: the root, opened once, and the options.
struct StaticFilesState {
  int root_fd = -1;       // O_PATH | O_DIRECTORY: the anchor of every lookup
  std::string root_real;  // realpath of the root, for the fallback check
  bool openat2 = true;
  StaticFilesOptions options;
  std::string cache_control;  // the value sent, "" = none

  StaticFilesState() = default;
  StaticFilesState(const StaticFilesState&) = delete;
  StaticFilesState& operator=(const StaticFilesState&) = delete;
  ~StaticFilesState() {
    if (root_fd >= 0) ::close(root_fd);
  }
};

}  // namespace detail

namespace {

using State = detail::StaticFilesState;

// An owned descriptor: every path out of respond() closes what it opened, unless a Body took it.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// O_NONBLOCK: opening a FIFO must not wait for a writer; it changes nothing for regular files.
constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

long sys_openat2(int dirfd, const char* path, const open_how& how) noexcept {
  return ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// Whether the descriptor's real path lies under `root` (the fallback without openat2).
bool fd_is_beneath(int fd, const std::string& root) noexcept {
  char proc[48] = "/proc/self/fd/";
  char* end = std::to_chars(proc + 14, proc + sizeof proc - 1, fd).ptr;
  *end = '\0';
  char real[PATH_MAX];
  ssize_t n = ::readlink(proc, real, sizeof real);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof real) return false;
  std::string_view path(real, static_cast<std::size_t>(n));
  if (root == "/") return path.starts_with('/');
  return path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '/');
}

// Opens `path` (relative, no dot segments) beneath the root; the error is an errno value.
std::expected<Fd, int> open_beneath(const State& s, const char* path) noexcept {
  if (s.openat2) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(open_flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    // EAGAIN: a concurrent rename made the kernel unsure that ".." stayed beneath; retry a little.
    for (int attempt = 0;; ++attempt) {
      long fd = sys_openat2(s.root_fd, path, how);
      if (fd >= 0) return Fd(static_cast<int>(fd));
      const int err = errno;
      if ((err == EAGAIN || err == EINTR) && attempt < 4) continue;
      return std::unexpected(err);
    }
  }
  int fd;
  do {
    fd = ::openat(s.root_fd, path, open_flags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return std::unexpected(errno);
  Fd owned(fd);
  if (!fd_is_beneath(fd, s.root_real)) return std::unexpected(EXDEV);
  return owned;
}

StatusCode status_for_errno(int err) noexcept {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case EXDEV:  // a symlink (or a race) leading outside the root: as if it did not exist
    case ENAMETOOLONG:
    case ENXIO:  // a socket or a FIFO without a writer
      return StatusCode::not_found;
    case EACCES:
    case EPERM:
      return StatusCode::forbidden;
    default:
      return StatusCode::internal_server_error;
  }
}

// --- validators -----------------------------------------------------------------------------

// `"<hex mtime ns>-<hex size>"`, at most 2 + 16 + 1 + 16 bytes.
struct ETag {
  char buf[40];
  std::size_t len = 0;
  std::string_view view() const noexcept { return {buf, len}; }
};

ETag make_etag(const struct stat& st) noexcept {
  const auto ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                  static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  ETag e;
  char* p = e.buf;
  *p++ = '"';
  p = std::to_chars(p, e.buf + sizeof e.buf, ns, 16).ptr;
  *p++ = '-';
  p = std::to_chars(p, e.buf + sizeof e.buf, static_cast<std::uint64_t>(st.st_size), 16).ptr;
  *p++ = '"';
  e.len = static_cast<std::size_t>(p - e.buf);
  return e;
}

bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

// Walks an entity-tag list (RFC 9110 §8.8.3: `*` or `1#entity-tag`), calling `f(weak, tag)`
// with the quoted opaque-tag of each element until it returns true. Returns: 1 if f matched,
// 0 if not, 2 if the list is `*`, -1 if malformed (the caller then treats it as no match).
template <class F>
int scan_etags(std::string_view v, F f) noexcept {
  std::size_t i = 0;
  auto skip_sep = [&] {
    while (i < v.size() && (is_ows(v[i]) || v[i] == ',')) ++i;
  };
  skip_sep();
  if (i < v.size() && v[i] == '*') {
    ++i;
    skip_sep();
    return i == v.size() ? 2 : -1;
  }
  while (i < v.size()) {
    bool weak = false;
    if (v.substr(i).starts_with("W/")) {
      weak = true;
      i += 2;
    }
    if (i >= v.size() || v[i] != '"') return -1;
    std::size_t end = v.find('"', i + 1);
    if (end == std::string_view::npos) return -1;
    std::string_view tag = v.substr(i, end + 1 - i);
    for (char c : tag.substr(1, tag.size() - 2)) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u == 0x7f) return -1;  // etagc = %x21 / %x23-7E / obs-text
    }
    if (f(weak, tag)) return 1;
    i = end + 1;
    while (i < v.size() && is_ows(v[i])) ++i;
    if (i < v.size() && v[i] != ',') return -1;
    skip_sep();
  }
  return 0;
}

// If-Match: strong comparison (weak tags never match); `*` matches any current representation.
bool if_match_passes(const Headers& h, std::string_view etag) noexcept {
  for (std::string_view v : h.get_all(header::if_match)) {
    int r = scan_etags(v, [&](bool weak, std::string_view t) { return !weak && t == etag; });
    if (r == 1 || r == 2) return true;
  }
  return false;
}

// If-None-Match: weak comparison; true when some tag (or `*`) matches, i.e. the condition fails.
bool if_none_match_matches(const Headers& h, std::string_view etag) noexcept {
  for (std::string_view v : h.get_all(header::if_none_match)) {
    int r = scan_etags(v, [&](bool, std::string_view t) { return t == etag; });
    if (r == 1 || r == 2) return true;
  }
  return false;
}

// The date of a field that must appear once with a valid HTTP-date (RFC 9110 §13.1.3-4: else
// it is ignored).
std::optional<std::int64_t> single_date(const Headers& h, std::string_view name) noexcept {
  if (h.count(name) != 1) return std::nullopt;
  Result<std::int64_t> t = parse_http_date(*h.get(name));
  if (!t) return std::nullopt;
  return *t;
}

// --- ranges ---------------------------------------------------------------------------------

// Bytes [first, first + length) of the file.
struct ByteRange {
  std::uint64_t first = 0, length = 0;
  std::uint64_t end() const noexcept { return first + length; }
};

// What a Range header asks for, after validation against the file's size.
struct RangeRequest {
  enum class Kind : std::uint8_t { whole, partial, unsatisfiable } kind = Kind::whole;
  std::vector<ByteRange> ranges;  // partial: coalesced, disjoint, in the order first requested
};

bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && s.front() != '+';
}

enum class SpecResult : std::uint8_t { invalid, unsatisfiable, satisfiable };

// One range-spec (`a-b`, `a-` or `-n`, RFC 9110 §14.1.2) against `size` bytes.
SpecResult parse_range_spec(std::string_view spec, std::uint64_t size, ByteRange& out) noexcept {
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return SpecResult::invalid;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // suffix-range: the last n bytes
    std::uint64_t n = 0;
    if (!parse_u64(b, n)) return SpecResult::invalid;
    if (n == 0 || size == 0) return SpecResult::unsatisfiable;
    n = std::min(n, size);
    out = {size - n, n};
    return SpecResult::satisfiable;
  }
  std::uint64_t first = 0, last = UINT64_MAX;
  if (!parse_u64(a, first)) return SpecResult::invalid;
  if (!b.empty() && (!parse_u64(b, last) || last < first)) return SpecResult::invalid;
  if (first >= size) return SpecResult::unsatisfiable;
  last = std::min(last, size - 1);
  out = {first, last - first + 1};
  return SpecResult::satisfiable;
}

// Adds `r` to `set` (pairwise disjoint and non-adjacent), merging it with every range it
// overlaps or touches (RFC 9110 §14.3); the merged range takes the place of the first of them,
// so parts keep the order of the request (§14.6). One pass suffices: two ranges of `set` never
// touch, so a range that does not touch `r` cannot touch `r` merged with another.
void add_coalesced(std::vector<ByteRange>& set, ByteRange r) {
  std::size_t at = set.size();
  for (std::size_t i = 0; i < set.size();) {
    const ByteRange o = set[i];
    if (r.first > o.end() || o.first > r.end()) {
      ++i;
      continue;
    }
    const std::uint64_t first = std::min(r.first, o.first);
    r = {first, std::max(r.end(), o.end()) - first};
    if (at == set.size()) {
      at = i++;
    } else {
      set.erase(set.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  if (at == set.size()) {
    set.push_back(r);
  } else {
    set[at] = r;
  }
}

// `bytes=<range-set>` against a representation of `size` bytes (RFC 9110 §14.1-14.3). Another
// unit, a malformed range-spec, no range-spec at all or more than `max_ranges` of them (counted
// as written, satisfiable or not) give `whole`: the header is ignored. Empty list elements and
// OWS around elements are allowed (§5.6.1).
RangeRequest parse_ranges(std::string_view v, std::uint64_t size, std::size_t max_ranges) {
  RangeRequest req;
  constexpr std::string_view unit = "bytes=";
  if (v.size() < unit.size() || !ascii_iequals(v.substr(0, unit.size()), unit)) return req;
  std::size_t count = 0;
  std::vector<ByteRange> set;
  for (std::string_view rest = v.substr(unit.size());;) {
    const std::size_t comma = rest.find(',');
    std::string_view spec = rest.substr(0, comma);
    while (!spec.empty() && is_ows(spec.front())) spec.remove_prefix(1);
    while (!spec.empty() && is_ows(spec.back())) spec.remove_suffix(1);
    if (!spec.empty()) {
      if (++count > max_ranges) return req;
      ByteRange r;
      switch (parse_range_spec(spec, size, r)) {
        case SpecResult::invalid:
          return req;
        case SpecResult::unsatisfiable:
          break;  // dropped; the others are still served
        case SpecResult::satisfiable:
          add_coalesced(set, r);
          break;
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (count == 0) return req;
  req.kind = set.empty() ? RangeRequest::Kind::unsatisfiable : RangeRequest::Kind::partial;
  req.ranges = std::move(set);
  return req;
}

// If-Range (RFC 9110 §13.1.5): an entity-tag compared strongly, or a date equal to
// Last-Modified; anything else is false, so the whole representation is sent.
bool if_range_passes(std::string_view v, std::string_view etag, std::int64_t mtime) noexcept {
  while (!v.empty() && is_ows(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
  if (v.starts_with("W/")) return false;
  if (v.starts_with('"')) return v == etag;
  Result<std::int64_t> t = parse_http_date(v);
  return t && *t == mtime;
}

// --- responses ------------------------------------------------------------------------------

void add_validators(Response& r, const State& s, const ETag& etag,
                    std::span<const char, http_date_len> last_modified) {
  (void)r.headers.append(header::etag, etag.view());
  (void)r.headers.append(header::last_modified,
                         std::string_view(last_modified.data(), last_modified.size()));
  if (!s.cache_control.empty()) (void)r.headers.append(header::cache_control, s.cache_control);
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

// `<first>-<last>/<size>` at `p` (at most 62 bytes); returns the end.
char* format_range(char* p, const ByteRange& r, std::uint64_t size) noexcept {
  p = std::to_chars(p, p + 20, r.first).ptr;
  *p++ = '-';
  p = std::to_chars(p, p + 20, r.end() - 1).ptr;
  *p++ = '/';
  return std::to_chars(p, p + 20, size).ptr;
}

// A multipart/byteranges body (RFC 9110 §14.6), laid out as nginx does:
//
//   CRLF --B CRLF Content-Type: T CRLF Content-Range: bytes a-b/size CRLF CRLF <bytes a..b>
//   ... one such part per range ...
//   CRLF --B-- CRLF
//
// The part heads and the closing delimiter are built up front (so the exact length is known for
// Content-Length); the file bytes are read with pread(2) in chunks of at most one pooled 64 KiB
// buffer when the server polls for them, so memory stays bounded whatever the ranges. The
// stream owns the descriptor. A read error, or a file that shrank, ends the body with an error
// and the server cuts the connection (the client never sees a clean, short body).
class ByteRangesStream final : public BodyStream {
 public:
  ByteRangesStream(Fd fd, const std::vector<ByteRange>& ranges, std::uint64_t size,
                   std::string_view boundary, std::string_view content_type)
      : fd_(std::move(fd)) {
    parts_.reserve(ranges.size());
    char cr[64];
    for (const ByteRange& r : ranges) {
      Part p{r, heads_.size(), 0};
      heads_ += "\r\n--";
      heads_ += boundary;
      heads_ += "\r\nContent-Type: ";
      heads_ += content_type;
      heads_ += "\r\nContent-Range: bytes ";
      heads_.append(cr, format_range(cr, r, size));
      heads_ += "\r\n\r\n";
      p.head_end = heads_.size();
      parts_.push_back(p);
      left_ += r.length;
    }
    trailer_begin_ = heads_.size();
    heads_ += "\r\n--";
    heads_ += boundary;
    heads_ += "--\r\n";
    left_ += heads_.size();
  }

  Poll<Result<io::BufferView>> poll_data(Context&) override { return next_chunk(); }
  std::optional<std::uint64_t> size_hint() const override { return left_; }

 private:
  struct Part {
    ByteRange range;
    std::size_t head_begin, head_end;  // in heads_
  };

  // Segment 2i is part i's head, 2i+1 its bytes, 2n the closing delimiter.
  Result<io::BufferView> next_chunk() {
    for (;;) {
      const std::size_t n = parts_.size();
      if (segment_ > 2 * n) return io::BufferView{};
      const std::size_t i = segment_ / 2;
      if (segment_ % 2 == 0) {
        ++segment_;
        done_ = 0;
        std::string_view text =
            i < n ? std::string_view(heads_).substr(parts_[i].head_begin,
                                                    parts_[i].head_end - parts_[i].head_begin)
                  : std::string_view(heads_).substr(trailer_begin_);
        left_ -= text.size();
        return io::BufferView(text);
      }
      const ByteRange& r = parts_[i].range;
      if (done_ == r.length) {
        ++segment_;
        continue;
      }
      return read(r.first + done_, r.length - done_);
    }
  }

  Result<io::BufferView> read(std::uint64_t offset, std::uint64_t want) {
    if (!buffer_) buffer_ = io::Buffer::acquire(io::BufferPool::large_size);
    const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(want, buffer_.capacity()));
    ssize_t got;
    do {
      got = ::pread(fd_.get(), buffer_.data(), len, static_cast<off_t>(offset));
    } while (got < 0 && errno == EINTR);
    if (got < 0) return fail(Error::from_errno(errno, "static files: read range"));
    if (got == 0) return fail(Errc::closed, "static files: file shrank");
    done_ += static_cast<std::uint64_t>(got);
    left_ -= static_cast<std::uint64_t>(got);
    return io::BufferView(buffer_.data(), static_cast<std::size_t>(got));
  }

  Fd fd_;
  std::string heads_;  // every part's head, then the closing delimiter
  std::vector<Part> parts_;
  std::size_t trailer_begin_ = 0;
  std::size_t segment_ = 0;
  std::uint64_t done_ = 0;  // bytes of the current part already returned
  std::uint64_t left_ = 0;  // bytes of the whole body not yet returned
  io::Buffer buffer_;
};

// 16 hex digits from getrandom(2): a file cannot be crafted to contain its own boundary.
std::string make_boundary() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof v)) {
    v = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) *
        0x9e3779b97f4a7c15u;  // no entropy yet (early boot): unpredictable enough, still valid
  }
  char buf[16];
  for (char& c : buf) {
    c = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  }
  return std::string(buf, sizeof buf);
}

Response serve_file(const State& s, const Request& req, Fd fd, const struct stat& st,
                    std::string_view name) {
  const ETag etag = make_etag(st);
  const std::int64_t mtime = st.st_mtim.tv_sec;
  char last_modified[http_date_len];
  format_http_date(mtime, last_modified);
  const Headers& h = req.headers;

  // RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else
  // If-Modified-Since; then If-Range with Range.
  if (h.contains(header::if_match)) {
    if (!if_match_passes(h, etag.view())) return Response::error(StatusCode::precondition_failed);
  } else if (auto ius = single_date(h, header::if_unmodified_since); ius && mtime > *ius) {
    return Response::error(StatusCode::precondition_failed);
  }
  bool not_modified = false;
  if (h.contains(header::if_none_match)) {
    not_modified = if_none_match_matches(h, etag.view());
  } else if (auto ims = single_date(h, header::if_modified_since); ims && mtime <= *ims) {
    not_modified = true;
  }
  if (not_modified) {
    Response r(StatusCode::not_modified);
    add_validators(r, s, etag, last_modified);
    return r;  // `fd` closes here
  }

  const auto size = static_cast<std::uint64_t>(st.st_size);
  RangeRequest range;
  if (h.count(header::range) == 1) {  // GET and HEAD (see the header)
    std::optional<std::string_view> if_range = h.get(header::if_range);
    if (!if_range || if_range_passes(*if_range, etag.view(), mtime)) {
      range = parse_ranges(*h.get(header::range), size, s.options.max_ranges);
    }
  }

  if (range.kind == RangeRequest::Kind::unsatisfiable) {
    Response r = Response::error(StatusCode::range_not_satisfiable);
    std::string cr = "bytes */";
    append_number(cr, size);
    (void)r.headers.append(header::content_range, cr);
    return r;
  }
  const std::string_view mime = mime_type_for(name);
  Response r(range.kind == RangeRequest::Kind::partial ? StatusCode::partial_content
                                                       : StatusCode::ok);
  if (range.ranges.size() > 1) {
    const std::string boundary = make_boundary();
    std::string type = "multipart/byteranges; boundary=";
    type += boundary;
    (void)r.headers.append(header::content_type, type);
    r.body = Body::from_stream(
        std::make_unique<ByteRangesStream>(std::move(fd), range.ranges, size, boundary, mime));
  } else {
    r.headers.append_view_unchecked(header::content_type, mime);
    ByteRange part{0, size};
    if (range.ranges.size() == 1) {  // one range, or several coalesced into one
      part = range.ranges.front();
      char cr[80] = "bytes ";
      (void)r.headers.append(header::content_range,
                             std::string_view(cr, format_range(cr + 6, part, size)));
    }
    r.body = Body::from_file(fd.release(), part.first, part.length);
  }
  if (s.options.max_ranges > 0) r.headers.append_view_unchecked(header::accept_ranges, "bytes");
  add_validators(r, s, etag, last_modified);
  return r;
}

void append_html_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

// An HTML list of the directory's entries, sorted by name; directories end with '/'. Symlinks
// are not followed to decide (a link to a directory is reached through the 301 redirect).
Response list_directory(const State& s, const Request& req, Fd dir) {
  DIR* d = ::fdopendir(dir.get());
  if (!d) return Response::error(status_for_errno(errno));
  dir.release();  // the DIR owns it now
  struct Entry {
    std::string name;
    bool is_dir;
  };
  std::vector<Entry> entries;
  bool truncated = false;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || (name.starts_with('.') && !s.options.serve_dotfiles)) {
      continue;
    }
    if (entries.size() >= s.options.max_listing_entries) {
      truncated = true;
      break;
    }
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir =
          ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    entries.push_back({std::string(name), is_dir});
  }
  ::closedir(d);
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });

  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ";
  append_html_escaped(html, req.path());
  html += "</title></head>\n<body><h1>Index of ";
  append_html_escaped(html, req.path());
  html += "</h1>\n<ul>\n<li><a href=\"../\">../</a></li>\n";
  std::string href;
  for (const Entry& e : entries) {
    href = "./";  // "./" so that a name with ':' is never read as a scheme
    percent_encode(e.name, href, EncodeSet::path_segment);
    if (e.is_dir) href += '/';
    html += "<li><a href=\"";
    append_html_escaped(html, href);
    html += "\">";
    append_html_escaped(html, e.name);
    if (e.is_dir) html += '/';
    html += "</a></li>\n";
  }
  if (truncated) html += "<li>(listing truncated)</li>\n";
  html += "</ul></body></html>\n";
  return Response::html(std::move(html));
}

// `./<last segment>/?<query>`: relative, so that a path such as `//evil.example/dir` cannot
// turn into a protocol-relative redirect.
Response redirect_to_directory(const Request& req, std::string_view raw) {
  std::size_t slash = raw.rfind('/');
  std::string_view last = slash == std::string_view::npos ? raw : raw.substr(slash + 1);
  std::string location = "./";
  location.append(last);
  location += '/';
  if (!req.query().empty()) {
    location += '?';
    location.append(req.query());
  }
  return Response::redirect(StatusCode::moved_permanently, location);
}

Response method_not_allowed() {
  Response r = Response::error(StatusCode::method_not_allowed);
  r.headers.append_view_unchecked(header::allow, "GET, HEAD");
  return r;
}

Task<Response> ready(Response r) {
  co_return r;
}

Result<std::shared_ptr<State>> make_state(std::string_view root, StaticFilesOptions options) {
  if (!is_valid_value(options.cache_control)) {
    return fail(Errc::invalid_input, "static files: cache_control contains CR, LF or NUL");
  }
  if (options.index.size() > NAME_MAX || options.index.find('/') != std::string::npos ||
      options.index == "." || options.index == ".." ||
      options.index.find('\0') != std::string::npos) {
    return fail(Errc::invalid_input, "static files: index must be a plain file name");
  }
  auto s = std::make_shared<State>();
  const std::string root_str(root);
  int fd = ::open(root_str.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno(errno, "static files: open root " + root_str));
  s->root_fd = fd;
  char real[PATH_MAX];
  if (!::realpath(root_str.c_str(), real)) {
    return fail(Error::from_errno(errno, "static files: realpath " + root_str));
  }
  s->root_real = real;
  s->openat2 = options.use_openat2;
  if (s->openat2) {
    // Probe once: a kernel before 5.6 says ENOSYS, a seccomp sandbox may say EPERM.
    open_how how{};
    how.flags = static_cast<std::uint64_t>(open_flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long probe = sys_openat2(s->root_fd, ".", how);
    if (probe >= 0) {
      ::close(static_cast<int>(probe));
    } else if (errno == ENOSYS || errno == EPERM) {
      s->openat2 = false;
    }
  }
  if (!options.cache_control.empty()) {
    s->cache_control = options.cache_control;
  } else if (options.max_age) {
    s->cache_control = "public, max-age=";
    append_number(s->cache_control,
                  static_cast<std::uint64_t>(std::max<std::int64_t>(0, options.max_age->count())));
  }
  s->options = std::move(options);
  return s;
}

}  // namespace

StaticFiles::StaticFiles(std::string_view root, StaticFilesOptions options) {
  Result<std::shared_ptr<State>> s = make_state(root, std::move(options));
  if (!s) {
    if (s.error() == Errc::invalid_input) throw std::invalid_argument(s.error().message());
    throw std::system_error(s.error().code(), std::string(s.error().context()));
  }
  state_ = std::move(*s);
}

Result<StaticFiles> StaticFiles::open(std::string_view root, StaticFilesOptions options) {
  Result<std::shared_ptr<State>> s = make_state(root, std::move(options));
  if (!s) return fail(std::move(s.error()));
  return StaticFiles(std::shared_ptr<const State>(std::move(*s)));
}

bool StaticFiles::uses_openat2() const noexcept {
  return state_->openat2;
}

Task<Response> StaticFiles::operator()(Request& req) const {
  return ready(respond(req));
}

Response StaticFiles::respond(const Request& req) const {
  const State& s = *state_;
  if (req.method != Method::get && req.method != Method::head) return method_not_allowed();

  std::string_view raw;
  if (std::optional<std::string_view> p = req.params.get(s.options.param)) {
    raw = *p;
  } else if (req.params.empty()) {
    raw = req.path();
  } else {
    return Response::error(StatusCode::internal_server_error);  // no such wildcard: see header
  }

  // The decoded, relative path, NUL-terminated for the system call, and room for the index.
  char path[PATH_MAX];
  const std::size_t room = sizeof path - 1 - s.options.index.size() - 1;
  if (raw.size() > room) return Response::error(StatusCode::not_found);  // ENAMETOOLONG
  Result<std::size_t> n = percent_decode(raw, std::span(path, room),
                                         {.reject_encoded_slash = true, .reject_nul = true});
  if (!n) return Response::error(StatusCode::bad_request);
  std::string_view rel(path, *n);
  if (rel.find('\\') != std::string_view::npos) return Response::error(StatusCode::bad_request);
  while (rel.starts_with('/')) rel.remove_prefix(1);
  for (std::string_view rest = rel; !rest.empty();) {
    std::size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == "." || seg == "..") return Response::error(StatusCode::bad_request);
    if (seg.starts_with('.') && !s.options.serve_dotfiles) {
      return Response::error(StatusCode::not_found);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  const bool trailing_slash = rel.empty() || rel.ends_with('/');
  // Shift to the start of the buffer (leading slashes dropped) and terminate.
  std::memmove(path, rel.data(), rel.size());
  std::size_t len = rel.size();
  path[len] = '\0';
  rel = std::string_view(path, len);

  std::expected<Fd, int> fd = open_beneath(s, len == 0 ? "." : path);
  if (!fd) return Response::error(status_for_errno(fd.error()));
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return Response::error(status_for_errno(errno));

  if (S_ISREG(st.st_mode)) return serve_file(s, req, std::move(*fd), st, rel);
  if (!S_ISDIR(st.st_mode)) return Response::error(StatusCode::not_found);
  if (!trailing_slash) return redirect_to_directory(req, raw);

  if (!s.options.index.empty()) {
    std::copy(s.options.index.begin(), s.options.index.end(), path + len);
    const std::size_t index_len = len + s.options.index.size();
    path[index_len] = '\0';
    std::expected<Fd, int> index = open_beneath(s, path);
    if (index) {
      struct stat ist;
      if (::fstat(index->get(), &ist) != 0) return Response::error(status_for_errno(errno));
      if (S_ISREG(ist.st_mode)) {
        return serve_file(s, req, std::move(*index), ist, std::string_view(path, index_len));
      }
    } else if (index.error() != ENOENT) {
      return Response::error(status_for_errno(index.error()));
    }
  }
  if (s.options.list_directories) return list_directory(s, req, std::move(*fd));
  return Response::error(StatusCode::not_found);
}

}  // namespace strata::http
