// http::StaticFiles: serves the files under a root directory (like Go's http.FileServer,
// tower-http's ServeDir or nginx's `root`), zero-copy: the body is the open file and the server
// sends it with sendfile(2). A multipart/byteranges body (several ranges) is the exception: it
// is a BodyStream that reads the ranges with pread(2) into one pooled 64 KiB buffer at a time.
//
//   http::Router router;
//   router.get("/static/*path", http::StaticFiles("/var/www"));      // GET and HEAD
//   http::StaticFilesOptions o;
//   o.max_age = std::chrono::hours(1);                                // cache-control: public, ...
//   o.list_directories = true;
//   router.get("/pub/*file", http::StaticFiles("/srv/pub", o.with_param("file")));
//
// What it answers (GET and HEAD; other methods 405 with `Allow: GET, HEAD`):
// - a regular file: 200 with Content-Type (mime_type_for), Content-Length (from the body),
//   Last-Modified (mtime), ETag `"<hex mtime ns>-<hex size>"` (strong: any write changes mtime;
//   no inode, so replicas of one tree agree), Accept-Ranges: bytes (unless options.max_ranges
//   is 0) and the configured Cache-Control;
// - conditional requests, RFC 9110 §13.2.2 order: If-Match (strong) / If-Unmodified-Since -> 412,
//   If-None-Match (weak, `*`, lists) / If-Modified-Since (only without If-None-Match) -> 304,
//   which keeps ETag, Last-Modified and Cache-Control and has no body;
// - Range (RFC 9110 §14; on GET and, as nginx and Go's http.ServeContent do, on HEAD, which
//   then gets the headers a GET would (§9.3.2), without the body, although §14.2 defines
//   ranges for GET only): a list of `a-b`, `a-` or `-n`. Overlapping or adjacent ranges are
//   coalesced (§14.3), in the order first requested, and unsatisfiable ones are dropped.
//   One range left -> 206 with Content-Range and the file's bytes by sendfile; several -> 206
//   `multipart/byteranges; boundary=<16 random hex digits>` (§14.6), each part with the file's
//   Content-Type and its Content-Range, and an exact Content-Length; none left -> 416 with
//   `Content-Range: bytes */size`. More than options.max_ranges range-specs (16), another unit
//   or a malformed range-spec -> 200 with the whole file (the RFC lets a server ignore Range;
//   nginx does the same beyond its max_ranges). Coalescing and the limit bound a response to
//   the file's size plus max_ranges part heads, whatever "many small overlapping ranges" a
//   client asks for. If-Range (an ETag compared strongly, or a date equal to Last-Modified)
//   else 200;
// - a directory: without a trailing slash, 301 to `./<name>/` (relative, so `//host` paths cannot
//   become an open redirect); with one, its index file (options.index, "index.html"), else an
//   HTML listing if options.list_directories, else 404 (not 403: no hint that it exists);
// - anything else (FIFO, socket, device) 404; errors: ENOENT, ENOTDIR, ELOOP, EXDEV, ENXIO and
//   ENAMETOOLONG (also a path longer than PATH_MAX) -> 404, EACCES/EPERM -> 403, anything else
//   500. No response ever contains a file-system path.
//
// Which path: the value of the route's wildcard named options.param ("path" by default, see
// with_param()), or req.path() when the request carries no route parameters (a fallback
// handler). A route with parameters but none of that name is a configuration error: 500.
//
// Path safety: the raw path is percent-decoded refusing %2F and NUL (400); a decoded backslash,
// a `.` or `..` segment (clients remove dot segments, RFC 3986 §5.2.4) or an invalid escape is
// 400; leading slashes are dropped (the path is always relative to the root); a segment starting
// with '.' is 404 unless options.serve_dotfiles. The file is then
// opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to the root's directory
// fd, opened once, so the kernel refuses any symlink (or race) that leads outside the root with
// EXDEV -> 404; symlinks that stay inside are followed. Without openat2 (ENOSYS, or EPERM from
// a seccomp filter; probed once at construction) it opens with openat() and checks the
// descriptor's real path (/proc/self/fd) against the root's real path before using it.
//
// Blocking: open and fstat run on the calling worker, as nginx does without aio threads: for
// files in the page cache they take microseconds, and only a multipart body reads file data in
// user space (pread, at most 64 KiB per poll, on the connection's worker). Files open with
// O_NONBLOCK, so a FIFO under the root cannot hang a worker.
//
// Thread safety: a StaticFiles is immutable after construction; copies share the root fd, and
// any number of workers may call it at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/task.hpp"

namespace strata::http {

// How StaticFiles serves its root.
struct StaticFilesOptions {
  // The route wildcard that holds the file path (`/static/*path` -> "path").
  std::string param = "path";
  // The file served for a directory requested with a trailing slash ("" = none).
  std::string index = "index.html";
  // Serve names starting with '.' (`.env`, `.git/`, `.well-known/`)? By default they answer 404
  // and are left out of listings, as Express's serve-static does: a root that holds a project's
  // checkout must not leak its secrets. Turn on for `.well-known` (ACME, security.txt).
  bool serve_dotfiles = false;
  // An HTML listing for a directory without an index file (else 404).
  bool list_directories = false;
  // Listings stop after this many entries (a huge directory must not make a huge response).
  std::size_t max_listing_entries = 10000;
  // A Range header with more range-specs than this (satisfiable or not, before coalescing) is
  // ignored: 200 with the whole file, like nginx's max_ranges. 0 turns ranges off (Range is
  // always ignored and Accept-Ranges is not sent). Coalescing costs O(n^2) in this bound.
  std::size_t max_ranges = 16;
  // Cache-Control sent verbatim with files (and their 304s); "" = use max_age, if set.
  std::string cache_control;
  // With cache_control empty: `Cache-Control: public, max-age=<seconds>`.
  std::optional<std::chrono::seconds> max_age;
  // false: never use openat2, always the openat + /proc/self/fd check (tests, seccomp sandboxes
  // that refuse openat2 with EPERM).
  bool use_openat2 = true;

  StaticFilesOptions& with_param(std::string name) & {
    param = std::move(name);
    return *this;
  }
  StaticFilesOptions&& with_param(std::string name) && {
    param = std::move(name);
    return std::move(*this);
  }
};

namespace detail {
struct StaticFilesState;
}

// A Router handler (`Task<Response>(Request&)`) serving the files under one directory.
class StaticFiles {
 public:
  // Opens `root` (must be a directory); throws std::system_error if it cannot, and
  // std::invalid_argument for an invalid option (a Cache-Control with CR/LF, an index with '/'):
  // a route table is built at start-up, where a bad root is a configuration error.
  explicit StaticFiles(std::string_view root, StaticFilesOptions options = {});
  // The same, reporting errors as a Result.
  static Result<StaticFiles> open(std::string_view root, StaticFilesOptions options = {});

  // Answers one request (see the top of this file). Synchronous: it never suspends.
  Response respond(const Request& req) const;
  // For the Router: respond() as a task.
  Task<Response> operator()(Request& req) const;

  // Whether this instance resolves paths with openat2 (false: the /proc/self/fd fallback).
  bool uses_openat2() const noexcept;

 private:
  explicit StaticFiles(std::shared_ptr<const detail::StaticFilesState> s) noexcept
      : state_(std::move(s)) {}
  std::shared_ptr<const detail::StaticFilesState> state_;
};

}  // namespace strata::http
