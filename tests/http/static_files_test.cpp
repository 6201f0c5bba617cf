// http::StaticFiles behind the real http::Server over loopback, on a directory tree made by the
// test: content and headers, an 8 MiB file through sendfile, HEAD, conditional requests (304,
// 412), ranges (206, 416, If-Range, multipart/byteranges parsed and compared with the file,
// coalescing, the range limit), MIME types, directories (redirect, index, listing), every
// path-traversal vector (with openat2 and with the /proc/self/fd fallback), symlinks, errors,
// descriptor leaks, and curl as a real client.
#include "strata/http/static_files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "http_test_util.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// 2020-01-02 03:04:05.123456789 UTC: every file gets this mtime, so validators are known.
constexpr std::int64_t file_mtime = 1577934245;
constexpr long file_mtime_ns = 123456789;

// The tree served by the tests: <base>/www is the root, <base>/secret.txt must never be served.
class Tree {
 public:
  Tree() {
    char tmpl[] = "/tmp/strata-static-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (!made) throw std::runtime_error("mkdtemp failed");
    base = made;
    root = base + "/www";
    fs::create_directories(root + "/sub/deeper");
    fs::create_directories(root + "/nosub/b");
    fs::create_directories(root + "/evil.example");
    write(base + "/secret.txt", "TOP SECRET");
    write(root + "/hello.txt", "Hello, static world!\n");
    write(root + "/style.css", "body{}");
    write(root + "/app.js", "1;");
    write(root + "/image.png", std::string("\x89PNG\r\n\x1a\n", 8));
    write(root + "/data.wasm", std::string("\0asm", 4));
    write(root + "/noext", "raw");
    write(root + "/.env", "PASSWORD=x");
    fs::create_directories(root + "/.well-known");
    write(root + "/.well-known/security.txt", "Contact: x");
    write(root + "/nosub/.hidden", "h");
    write(root + "/empty.txt", "");
    write(root + "/sub/index.html", "<h1>sub</h1>");
    write(root + "/sub/deeper/x.txt", "deep");
    write(root + "/nosub/a.txt", "a");
    write(root + "/nosub/we<ird> & 'name'.txt", "w");
    write(root + "/noperm.txt", "locked");
    ::chmod((root + "/noperm.txt").c_str(), 0);
    big.resize(8u << 20);
    std::mt19937_64 rng(42);
    for (std::size_t i = 0; i + 8 <= big.size(); i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(big.data() + i, &v, 8);
    }
    write(root + "/big.bin", big);
    fs::create_symlink("hello.txt", root + "/link_in");
    fs::create_symlink("../hello.txt", root + "/sub/link_up_in");
    fs::create_symlink("sub", root + "/link_sub");
    fs::create_symlink("../secret.txt", root + "/link_out");
    fs::create_symlink(base + "/secret.txt", root + "/link_abs_out");
    fs::create_symlink("..", root + "/link_dir_out");
    fs::create_symlink("/proc/self/root" + base + "/secret.txt", root + "/link_magic");
    ::mkfifo((root + "/fifo").c_str(), 0644);
    for (const auto& e : fs::recursive_directory_iterator(base)) {
      if (e.is_symlink()) continue;
      set_mtime(e.path().string());
    }
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }

  static void write(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }
  static void set_mtime(const std::string& path) {
    timespec ts[2] = {{file_mtime, file_mtime_ns}, {file_mtime, file_mtime_ns}};
    ::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
  }

  std::string base, root, big;
};

const Tree& tree() {
  static Tree t;  // built once for the binary (each gtest test is its own process under ctest)
  return t;
}

std::string last_modified() {
  char buf[http::http_date_len];
  http::format_http_date(file_mtime, buf);
  return std::string(buf, sizeof buf);
}

// The ETag documented in static_files.hpp for a file of `size` bytes.
std::string etag_for(std::uint64_t size) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"",
                static_cast<unsigned long long>(file_mtime) * 1000000000ull + file_mtime_ns,
                static_cast<unsigned long long>(size));
  return buf;
}

Task<http::Response> ping(http::Request&) {
  co_return http::Response::text_static("pong");
}

std::shared_ptr<http::Router> make_router(bool use_openat2) {
  auto r = std::make_shared<http::Router>();
  http::StaticFilesOptions plain;
  plain.use_openat2 = use_openat2;
  http::StaticFilesOptions listing = plain;
  listing.list_directories = true;
  listing.max_age = std::chrono::hours(1);
  listing.with_param("file");
  http::StaticFilesOptions cached = plain;
  cached.cache_control = "no-cache";
  cached.serve_dotfiles = true;
  http::StaticFilesOptions no_ranges = plain;
  no_ranges.max_ranges = 0;
  r->get("/static/*path", http::StaticFiles(tree().root, plain))
      .get("/list/*file", http::StaticFiles(tree().root, listing))
      .get("/cached/*path", http::StaticFiles(tree().root, cached))
      .get("/noranges/*path", http::StaticFiles(tree().root, no_ranges))
      .get("/ping", ping)
      .fallback(http::StaticFiles(tree().root, plain));  // no params: req.path()
  return r;
}

using Body = Task<void> (*)(net::SocketAddr);

Task<void> with_static(Body body, bool use_openat2) {
  auto server = http::Server::bind(loopback());
  CO_ASSERT_OK(server);
  auto serving = spawn(server->serve(make_router(use_openat2)));
  co_await body(server->local_addr());
  server->shutdown(1s);
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
}

// One request on a fresh connection; `extra` is more header lines, each ending in \r\n.
Task<Result<RawResponse>> fetch(net::SocketAddr addr, std::string target, std::string extra = {},
                                std::string method = "GET") {
  auto c = co_await connect(addr);
  if (!c) co_return std::unexpected(c.error());
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
  Result<void> sent = co_await c->send(req);
  if (!sent) co_return std::unexpected(sent.error());
  co_return co_await c->read(method == "HEAD");
}

#define FETCH(var, ...)                   \
  auto var = co_await fetch(__VA_ARGS__); \
  CO_ASSERT_OK(var)

// --- content and headers ---------------------------------------------------------------------

Task<void> serves_file_with_headers(net::SocketAddr addr) {
  FETCH(r, addr, "/static/hello.txt");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Hello, static world!\n");
  EXPECT_EQ(r->headers["content-length"], "21");
  EXPECT_EQ(r->headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(r->headers["accept-ranges"], "bytes");
  EXPECT_EQ(r->headers["last-modified"], last_modified());
  EXPECT_EQ(r->headers["etag"], etag_for(21));
  EXPECT_EQ(r->headers.count("cache-control"), 0u);

  FETCH(c, addr, "/cached/hello.txt");
  EXPECT_EQ(c->headers["cache-control"], "no-cache");
  FETCH(l, addr, "/list/hello.txt");
  EXPECT_EQ(l->headers["cache-control"], "public, max-age=3600");
  EXPECT_EQ(l->body, "Hello, static world!\n");

  FETCH(e, addr, "/static/empty.txt");
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->headers["content-length"], "0");
  EXPECT_EQ(e->body, "");

  FETCH(f, addr, "/hello.txt");  // the fallback handler: the path is req.path()
  EXPECT_EQ(f->status, 200);
  EXPECT_EQ(f->body, "Hello, static world!\n");
  FETCH(enc, addr, "/static/nosub/we%3Cird%3E%20%26%20'name'.txt");  // percent-decoded
  EXPECT_EQ(enc->status, 200);
  EXPECT_EQ(enc->body, "w");
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, serves_file_with_headers) {
  run(with_static(serves_file_with_headers, true));
}

Task<void> mime_types(net::SocketAddr addr) {
  const std::pair<const char*, const char*> cases[] = {
      {"/static/style.css", "text/css; charset=utf-8"},
      {"/static/app.js", "text/javascript; charset=utf-8"},
      {"/static/image.png", "image/png"},
      {"/static/data.wasm", "application/wasm"},
      {"/static/noext", "application/octet-stream"},
      {"/static/sub/", "text/html; charset=utf-8"},     // the index file's type
      {"/static/link_in", "application/octet-stream"},  // the name asked for, not the target's
  };
  for (auto [path, type] : cases) {
    FETCH(r, addr, path);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->headers["content-type"], type) << path;
  }
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, content_type_from_extension) {
  run(with_static(mime_types, true));
}

Task<void> big_file_byte_exact(net::SocketAddr addr) {
  FETCH(r, addr, "/static/big.bin");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-length"], std::to_string(8u << 20));
  EXPECT_TRUE(r->body == tree().big) << "8 MiB body differs (size " << r->body.size() << ")";
  FETCH(p, addr, "/static/big.bin", "Range: bytes=1000000-2999999\r\n");
  EXPECT_EQ(p->status, 206);
  EXPECT_TRUE(p->body == tree().big.substr(1000000, 2000000));
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, big_file_is_byte_exact_through_sendfile) {
  run(with_static(big_file_byte_exact, true), 30s);
}

Task<void> big_file_concurrent(net::SocketAddr addr) {
  std::vector<JoinHandle<Result<RawResponse>>> hs;
  for (int i = 0; i < 4; ++i) hs.push_back(spawn(fetch(addr, "/static/big.bin")));
  for (auto& h : hs) {
    auto r = co_await h;
    CO_ASSERT_OK(r);
    CO_ASSERT_OK(*r);
    EXPECT_TRUE((*r)->body == tree().big);
  }
}
TEST(StaticFiles, big_file_concurrently_on_multi_thread_runtime) {
  run_multi(with_static(big_file_concurrent, true), 2, 30s);
}

Task<void> head_has_length_no_body(net::SocketAddr addr) {
  FETCH(r, addr, "/static/big.bin", "", "HEAD");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-length"], std::to_string(8u << 20));
  EXPECT_EQ(r->headers["etag"], etag_for(8u << 20));
  EXPECT_EQ(r->body, "");
  FETCH(g, addr, "/static/hello.txt", "Range: bytes=0-1\r\n", "HEAD");  // as nginx: ranges too
  EXPECT_EQ(g->status, 206);
  EXPECT_EQ(g->headers["content-length"], "2");
  EXPECT_EQ(g->headers["content-range"], "bytes 0-1/21");
  EXPECT_EQ(g->body, "");
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, head_announces_length_without_body) {
  run(with_static(head_has_length_no_body, true));
}

// --- conditional requests ----------------------------------------------------------------------

Task<void> conditionals(net::SocketAddr addr) {
  const std::string etag = etag_for(21);
  const std::string weak = "W/" + etag;
  const std::string earlier = "Wed, 01 Jan 2020 00:00:00 GMT";
  const std::string later = "Fri, 01 Jan 2021 00:00:00 GMT";
  struct Case {
    std::string headers;
    int status;
  };
  const Case cases[] = {
      {"If-None-Match: " + etag + "\r\n", 304},
      {"If-None-Match: " + weak + "\r\n", 304},  // weak comparison
      {"If-None-Match: \"nope\", " + etag + "\r\n", 304},
      {"If-None-Match: \"nope\"\r\nIf-None-Match: " + etag + "\r\n", 304},  // two fields
      {"If-None-Match: *\r\n", 304},
      {"If-None-Match: \"nope\"\r\n", 200},
      {"If-None-Match: garbage\r\n", 200},
      {"If-Modified-Since: " + last_modified() + "\r\n", 304},
      {"If-Modified-Since: " + later + "\r\n", 304},
      {"If-Modified-Since: " + earlier + "\r\n", 200},
      {"If-Modified-Since: not a date\r\n", 200},
      // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3)
      {"If-None-Match: \"nope\"\r\nIf-Modified-Since: " + later + "\r\n", 200},
      {"If-Match: " + etag + "\r\n", 200},
      {"If-Match: *\r\n", 200},
      {"If-Match: \"a\", " + etag + "\r\n", 200},
      {"If-Match: \"nope\"\r\n", 412},
      {"If-Match: " + weak + "\r\n", 412},  // strong comparison
      {"If-Unmodified-Since: " + earlier + "\r\n", 412},
      {"If-Unmodified-Since: " + last_modified() + "\r\n", 200},
      {"If-Unmodified-Since: bogus\r\n", 200},
      // If-Match passes, so If-Unmodified-Since is not evaluated
      {"If-Match: " + etag + "\r\nIf-Unmodified-Since: " + earlier + "\r\n", 200},
      // If-Match fails before If-None-Match is looked at
      {"If-Match: \"nope\"\r\nIf-None-Match: " + etag + "\r\n", 412},
  };
  for (const Case& c : cases) {
    FETCH(r, addr, "/cached/hello.txt", c.headers);
    EXPECT_EQ(r->status, c.status) << c.headers;
    if (c.status == 304) {
      EXPECT_EQ(r->body, "") << c.headers;
      EXPECT_EQ(r->headers["etag"], etag) << c.headers;
      EXPECT_EQ(r->headers["last-modified"], last_modified()) << c.headers;
      EXPECT_EQ(r->headers["cache-control"], "no-cache") << c.headers;
      EXPECT_EQ(r->headers.count("content-length"), 0u) << c.headers;
    } else if (c.status == 200) {
      EXPECT_EQ(r->body, "Hello, static world!\n") << c.headers;
    }
  }
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, conditional_requests_304_and_412) {
  run(with_static(conditionals, true));
}

// --- ranges --------------------------------------------------------------------------------------

Task<void> ranges(net::SocketAddr addr) {
  const std::string etag = etag_for(21);
  const std::string body = "Hello, static world!\n";
  struct Case {
    std::string headers;
    int status;
    std::string content;  // expected body for 200/206
    std::string content_range;
  };
  const Case cases[] = {
      {"Range: bytes=0-4\r\n", 206, "Hello", "bytes 0-4/21"},
      {"Range: bytes=7-\r\n", 206, body.substr(7), "bytes 7-20/21"},
      {"Range: bytes=-6\r\n", 206, body.substr(15), "bytes 15-20/21"},
      {"Range: bytes=-100\r\n", 206, body, "bytes 0-20/21"},
      {"Range: bytes=5-1000000\r\n", 206, body.substr(5), "bytes 5-20/21"},
      {"Range: bytes=20-20\r\n", 206, "\n", "bytes 20-20/21"},
      {"Range: BYTES=0-0\r\n", 206, "H", "bytes 0-0/21"},
      {"Range: bytes=21-\r\n", 416, "", "bytes */21"},
      {"Range: bytes=1000-2000\r\n", 416, "", "bytes */21"},
      {"Range: bytes=-0\r\n", 416, "", "bytes */21"},
      {"Range: bytes=5-2\r\n", 200, body, ""},  // invalid: ignored
      {"Range: bytes=abc\r\n", 200, body, ""},
      {"Range: bytes=1-2-3\r\n", 200, body, ""},
      {"Range: items=0-1\r\n", 200, body, ""},
      {"Range: bytes=99999999999999999999999-\r\n", 200, body, ""},  // overflow: ignored
      {"Range: bytes=0-4\r\nIf-Range: " + etag + "\r\n", 206, "Hello", "bytes 0-4/21"},
      {"Range: bytes=0-4\r\nIf-Range: \"old\"\r\n", 200, body, ""},
      {"Range: bytes=0-4\r\nIf-Range: W/" + etag + "\r\n", 200, body, ""},
      {"Range: bytes=0-4\r\nIf-Range: " + last_modified() + "\r\n", 206, "Hello", "bytes 0-4/21"},
      {"Range: bytes=0-4\r\nIf-Range: Wed, 01 Jan 2020 00:00:00 GMT\r\n", 200, body, ""},
      {"If-Range: \"old\"\r\n", 200, body, ""},  // If-Range without Range: ignored
  };
  for (const Case& c : cases) {
    FETCH(r, addr, "/static/hello.txt", c.headers);
    EXPECT_EQ(r->status, c.status) << c.headers;
    if (c.status != 416) {
      EXPECT_EQ(r->body, c.content) << c.headers;
      EXPECT_EQ(r->headers["content-length"], std::to_string(c.content.size())) << c.headers;
      EXPECT_EQ(r->headers["etag"], etag) << c.headers;
    }
    if (c.content_range.empty()) {
      EXPECT_EQ(r->headers.count("content-range"), 0u) << c.headers;
    } else {
      EXPECT_EQ(r->headers["content-range"], c.content_range) << c.headers;
    }
  }
  FETCH(e, addr, "/static/empty.txt", "Range: bytes=0-\r\n");
  EXPECT_EQ(e->status, 416);
  EXPECT_EQ(e->headers["content-range"], "bytes */0");
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, range_requests_206_416_and_if_range) {
  run(with_static(ranges, true));
}

// --- multipart/byteranges ----------------------------------------------------------------------

// One part of a multipart/byteranges body, with the range its Content-Range names.
struct Part {
  std::string content_type, content_range, data;
  std::uint64_t first = 0, last = 0, size = 0;
};

// The boundary of `multipart/byteranges; boundary=B`, or "" if the type is another.
std::string boundary_of(const std::string& content_type) {
  const std::string prefix = "multipart/byteranges; boundary=";
  if (!content_type.starts_with(prefix)) return "";
  return content_type.substr(prefix.size());
}

// Parses a multipart/byteranges body strictly (RFC 9110 §14.6 with RFC 2046 delimiters): an
// empty preamble, `CRLF --B CRLF` before each part, part fields up to an empty line, and the
// closing `CRLF --B-- CRLF` at the very end. Each part must carry exactly Content-Type and
// Content-Range. nullopt (with a failure recorded) if anything is off.
std::optional<std::vector<Part>> parse_multipart(const std::string& body, const std::string& b) {
  std::vector<Part> parts;
  const std::string delimiter = "\r\n--" + b;
  if (b.empty() || !body.starts_with(delimiter)) {
    ADD_FAILURE() << "no opening delimiter in " << body.substr(0, 100);
    return std::nullopt;
  }
  std::size_t pos = delimiter.size();
  for (;;) {
    if (body.compare(pos, 4, "--\r\n") == 0) {
      if (pos + 4 != body.size()) ADD_FAILURE() << "bytes after the closing delimiter";
      return pos + 4 == body.size() ? std::optional(parts) : std::nullopt;
    }
    if (body.compare(pos, 2, "\r\n") != 0) {
      ADD_FAILURE() << "delimiter not followed by CRLF at " << pos;
      return std::nullopt;
    }
    pos += 2;
    const std::size_t fields_end = body.find("\r\n\r\n", pos);
    if (fields_end == std::string::npos) {
      ADD_FAILURE() << "part fields never end";
      return std::nullopt;
    }
    Part part;
    int fields = 0;
    for (std::size_t at = pos; at < fields_end + 2;) {
      const std::size_t eol = body.find("\r\n", at);
      const std::string line = body.substr(at, eol - at);
      at = eol + 2;
      const std::size_t colon = line.find(": ");
      const std::string name = lower(line.substr(0, colon));
      const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
      ++fields;
      if (name == "content-type") {
        part.content_type = value;
      } else if (name == "content-range") {
        part.content_range = value;
        unsigned long long a = 0, z = 0, n = 0;
        if (std::sscanf(value.c_str(), "bytes %llu-%llu/%llu", &a, &z, &n) != 3) {
          ADD_FAILURE() << "bad part Content-Range " << value;
          return std::nullopt;
        }
        part.first = a, part.last = z, part.size = n;
      } else {
        ADD_FAILURE() << "unexpected part field " << line;
      }
    }
    if (fields != 2 || part.content_range.empty()) {
      ADD_FAILURE() << "a part needs Content-Type and Content-Range";
      return std::nullopt;
    }
    pos = fields_end + 4;
    const std::size_t next = body.find(delimiter, pos);
    if (next == std::string::npos) {
      ADD_FAILURE() << "no delimiter after a part";
      return std::nullopt;
    }
    part.data = body.substr(pos, next - pos);
    parts.push_back(std::move(part));
    pos = next + delimiter.size();
  }
}

// A 206 multipart/byteranges response whose parts are exactly `want` ({first, last} pairs, in
// order) of `file` with MIME type `type`, each part's bytes equal to the file's.
void expect_byteranges(const RawResponse& r, const std::string& file, const std::string& type,
                       const std::vector<std::pair<std::uint64_t, std::uint64_t>>& want,
                       const std::string& what) {
  EXPECT_EQ(r.status, 206) << what;
  EXPECT_FALSE(r.chunked) << what;
  EXPECT_EQ(r.headers.count("content-range"), 0u) << what;
  EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size())) << what;
  EXPECT_EQ(r.headers.at("accept-ranges"), "bytes") << what;
  EXPECT_EQ(r.headers.at("etag"), etag_for(file.size())) << what;
  const std::string boundary = boundary_of(r.headers.at("content-type"));
  EXPECT_EQ(boundary.size(), 16u) << r.headers.at("content-type");
  std::optional<std::vector<Part>> parts = parse_multipart(r.body, boundary);
  if (!parts) return;
  ASSERT_EQ(parts->size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const Part& p = (*parts)[i];
    EXPECT_EQ(p.content_type, type) << what;
    EXPECT_EQ(p.first, want[i].first) << what << " part " << i;
    EXPECT_EQ(p.last, want[i].second) << what << " part " << i;
    EXPECT_EQ(p.size, file.size()) << what;
    EXPECT_TRUE(p.data == file.substr(p.first, p.last - p.first + 1))
        << what << " part " << i << " differs from the file";
  }
}

Task<void> multipart(net::SocketAddr addr) {
  const std::string hello = "Hello, static world!\n";
  const std::string text = "text/plain; charset=utf-8";
  struct Case {
    std::string range;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> parts;
  };
  const Case cases[] = {
      {"bytes=0-1,5-6", {{0, 1}, {5, 6}}},
      {"bytes=-3,0-1", {{18, 20}, {0, 1}}},                // the order of the request
      {"bytes=0-4,2-8,20-", {{0, 8}, {20, 20}}},           // overlapping: coalesced
      {"bytes=0-1,2-3,10-11,9-9", {{0, 3}, {9, 11}}},      // adjacent: coalesced
      {"bytes=10-11,0-1,4-5,2-3", {{10, 11}, {0, 5}}},     // one bridging two
      {"bytes=100-200,0-1,50-,-0,3-4", {{0, 1}, {3, 4}}},  // unsatisfiable ones dropped
      {"bytes=0-1, ,3-4", {{0, 1}, {3, 4}}},               // empty list elements
      {"bytes= 0-1 ,\t3-4 ", {{0, 1}, {3, 4}}},            // OWS around elements
      {"bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,0-0,2-2,4-4,6-6,8-8",
       {{0, 0},
        {2, 2},
        {4, 4},
        {6, 6},
        {8, 8},
        {10, 10},
        {12, 12},
        {14, 14},
        {16, 16},
        {18, 18},
        {20, 20}}},  // 16 range-specs: the limit
  };
  for (const Case& c : cases) {
    FETCH(r, addr, "/static/hello.txt", "Range: " + c.range + "\r\n");
    expect_byteranges(*r, hello, text, c.parts, c.range);
  }

  // Byte-exact parts of the 8 MiB file, each larger than the 64 KiB read buffer.
  FETCH(big, addr, "/static/big.bin",
        "Range: bytes=-70000,0-99,1000000-2999999,4000000-4200000\r\n");
  expect_byteranges(
      *big, tree().big, "application/octet-stream",
      {{(8u << 20) - 70000, (8u << 20) - 1}, {0, 99}, {1000000, 2999999}, {4000000, 4200000}},
      "big.bin");

  // Each response has its own boundary.
  FETCH(again, addr, "/static/hello.txt", "Range: bytes=0-1,5-6\r\n");
  FETCH(third, addr, "/static/hello.txt", "Range: bytes=0-1,5-6\r\n");
  EXPECT_NE(again->headers["content-type"], third->headers["content-type"]);
  EXPECT_EQ(again->headers["content-length"], third->headers["content-length"]);
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, several_ranges_give_multipart_byteranges) {
  run(with_static(multipart, true), 30s);
}

Task<void> multipart_edges(net::SocketAddr addr) {
  const std::string hello = "Hello, static world!\n";
  const std::string etag = etag_for(21);
  struct Case {
    std::string headers;
    int status;
    std::string content;  // the body of a 200 or a single-part 206
    std::string content_range;
  };
  const Case cases[] = {
      // coalesced into one range: a plain 206, by sendfile
      {"Range: bytes=0-4,2-6\r\n", 206, "Hello, ", "bytes 0-6/21"},
      {"Range: bytes=10-12,0-4,5-9\r\n", 206, "Hello, static", "bytes 0-12/21"},
      {"Range: bytes=0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-\r\n", 206, hello,
       "bytes 0-20/21"},  // the "many overlapping ranges" attack: one part
      {"Range: bytes=100-,2-3\r\n", 206, "ll", "bytes 2-3/21"},  // the only satisfiable one
      // 17 range-specs: more than max_ranges, ignored (nginx's max_ranges)
      {"Range: bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,"
       "15-15,16-16\r\n",
       200, hello, ""},
      {"Range: bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,"
       "15-15,100-\r\n",
       200, hello, ""},  // unsatisfiable ones count too
      // none satisfiable: 416
      {"Range: bytes=100-200,30-,-0\r\n", 416, "", "bytes */21"},
      {"Range: bytes=21-,21-\r\n", 416, "", "bytes */21"},
      // one malformed range-spec: the whole header is ignored
      {"Range: bytes=0-1,abc\r\n", 200, hello, ""},
      {"Range: bytes=0-1,5-2\r\n", 200, hello, ""},
      {"Range: bytes=,\r\n", 200, hello, ""},  // no range-spec at all
      // If-Range: a mismatch gives the whole file
      {"Range: bytes=0-1,5-6\r\nIf-Range: \"old\"\r\n", 200, hello, ""},
      {"Range: bytes=0-1,5-6\r\nIf-Range: Wed, 01 Jan 2020 00:00:00 GMT\r\n", 200, hello, ""},
  };
  for (const Case& c : cases) {
    FETCH(r, addr, "/static/hello.txt", c.headers);
    EXPECT_EQ(r->status, c.status) << c.headers;
    if (c.status != 416) {
      EXPECT_EQ(r->headers["content-type"], "text/plain; charset=utf-8") << c.headers;
      EXPECT_EQ(r->body, c.content) << c.headers;
    }
    if (c.content_range.empty()) {
      EXPECT_EQ(r->headers.count("content-range"), 0u) << c.headers;
    } else {
      EXPECT_EQ(r->headers["content-range"], c.content_range) << c.headers;
    }
  }
  // If-Range that matches: the ranges are served.
  FETCH(m, addr, "/static/hello.txt", "Range: bytes=0-1,5-6\r\nIf-Range: " + etag + "\r\n");
  expect_byteranges(*m, hello, "text/plain; charset=utf-8", {{0, 1}, {5, 6}}, "If-Range");
  FETCH(d, addr, "/static/hello.txt",
        "Range: bytes=0-1,5-6\r\nIf-Range: " + last_modified() + "\r\n");
  expect_byteranges(*d, hello, "text/plain; charset=utf-8", {{0, 1}, {5, 6}}, "If-Range date");

  // HEAD: the headers of the GET (the same Content-Length), no body.
  FETCH(get, addr, "/static/big.bin", "Range: bytes=0-99,5000-\r\n");
  FETCH(head, addr, "/static/big.bin", "Range: bytes=0-99,5000-\r\n", "HEAD");
  expect_byteranges(*get, tree().big, "application/octet-stream", {{0, 99}, {5000, (8u << 20) - 1}},
                    "GET");
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->headers["content-length"], get->headers["content-length"]);
  EXPECT_NE(boundary_of(head->headers["content-type"]), "");
  EXPECT_EQ(head->headers.count("content-range"), 0u);
  EXPECT_EQ(head->headers["etag"], etag_for(8u << 20));

  // max_ranges = 0: Range is ignored and not advertised.
  FETCH(off, addr, "/noranges/hello.txt", "Range: bytes=0-1\r\n");
  EXPECT_EQ(off->status, 200);
  EXPECT_EQ(off->body, hello);
  EXPECT_EQ(off->headers.count("accept-ranges"), 0u);
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, multipart_coalescing_limits_416_if_range_and_head) {
  run(with_static(multipart_edges, true), 30s);
}

// --- directories -----------------------------------------------------------------------------

Task<void> directories(net::SocketAddr addr) {
  FETCH(r, addr, "/static/sub");
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(r->headers["location"], "./sub/");
  FETCH(q, addr, "/static/sub/deeper?x=1");
  EXPECT_EQ(q->status, 301);
  EXPECT_EQ(q->headers["location"], "./deeper/?x=1");
  FETCH(o, addr, "/static//evil.example");  // never a protocol-relative `//evil.example/`
  EXPECT_EQ(o->status, 301);
  EXPECT_EQ(o->headers["location"], "./evil.example/");
  FETCH(i, addr, "/static/sub/");
  EXPECT_EQ(i->status, 200);
  EXPECT_EQ(i->body, "<h1>sub</h1>");
  FETCH(n, addr, "/static/nosub/");
  EXPECT_EQ(n->status, 404);
  FETCH(rt, addr, "/static/");
  EXPECT_EQ(rt->status, 404);  // the root has no index and plain has no listing
  FETCH(f, addr, "/static/hello.txt/");
  EXPECT_EQ(f->status, 404);

  FETCH(l, addr, "/list/nosub/");
  EXPECT_EQ(l->status, 200);
  EXPECT_EQ(l->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(l->body.find("<a href=\"./a.txt\">a.txt</a>"), std::string::npos) << l->body;
  EXPECT_NE(l->body.find("<a href=\"./b/\">b/</a>"), std::string::npos) << l->body;
  EXPECT_NE(l->body.find("we&lt;ird&gt; &amp; &#39;name&#39;.txt</a>"), std::string::npos)
      << l->body;
  EXPECT_EQ(l->body.find("<ird>"), std::string::npos) << "unescaped name: " << l->body;
  EXPECT_EQ(l->body.find(tree().root), std::string::npos) << "leaks the root: " << l->body;
  EXPECT_LT(l->body.find("\"./a.txt\""), l->body.find("\"./b/\""));  // sorted
  EXPECT_EQ(l->body.find(".hidden"), std::string::npos) << "lists a dotfile: " << l->body;
  FETCH(li, addr, "/list/sub/");
  EXPECT_EQ(li->body, "<h1>sub</h1>");  // an index wins over a listing
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, directories_redirect_index_and_listing) {
  run(with_static(directories, true));
}

Task<void> dotfiles(net::SocketAddr addr) {
  for (const char* path :
       {"/static/.env", "/static/.well-known/security.txt", "/static/.well-known/",
        "/static/%2eenv", "/static/nosub/.hidden", "/.env"}) {
    FETCH(r, addr, path);
    EXPECT_EQ(r->status, 404) << path;
  }
  FETCH(env, addr, "/cached/.env");  // serve_dotfiles = true
  EXPECT_EQ(env->status, 200);
  EXPECT_EQ(env->body, "PASSWORD=x");
  FETCH(wk, addr, "/cached/.well-known/security.txt");
  EXPECT_EQ(wk->body, "Contact: x");
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, dotfiles_are_hidden_unless_enabled) {
  run(with_static(dotfiles, true));
}

// --- path safety -----------------------------------------------------------------------------

struct Vector {
  const char* target;
  int status;
};
// Each must be refused; none may ever answer with the secret.
const Vector traversal_vectors[] = {
    {"/static/../secret.txt", 400},
    {"/static/sub/../../secret.txt", 400},
    {"/static/%2e%2e/secret.txt", 400},
    {"/static/%2E%2E/secret.txt", 400},
    {"/static/.%2e/secret.txt", 400},
    {"/static/sub/%2e%2e/%2e%2e/secret.txt", 400},
    {"/static/..%2fsecret.txt", 400},
    {"/static/%2e%2e%2fsecret.txt", 400},
    {"/static/sub%2f..%2f..%2fsecret.txt", 400},
    {"/static/hello.txt%00.png", 400},
    {"/static/%00", 400},
    {"/static/..%5csecret.txt", 400},
    {"/static/sub%5c..%5c..%5csecret.txt", 400},
    {"/static/./hello.txt", 400},
    {"/static/%zz", 400},
    {"/static//etc/passwd", 404},  // leading slashes dropped: <root>/etc/passwd
    {"/static/%2fetc%2fpasswd", 400},
    {"/static/link_out", 404},
    {"/static/link_abs_out", 404},
    {"/static/link_dir_out/secret.txt", 404},
    {"/static/link_magic", 404},
    {"/../secret.txt", 400},  // the fallback handler (req.path())
    {"/%2e%2e/secret.txt", 400},
};

Task<void> traversal(net::SocketAddr addr) {
  for (const Vector& v : traversal_vectors) {
    FETCH(r, addr, v.target);
    EXPECT_EQ(r->status, v.status) << v.target;
    EXPECT_EQ(r->body.find("TOP SECRET"), std::string::npos) << v.target;
    EXPECT_EQ(r->body.find("/tmp/"), std::string::npos) << "leaks a path: " << v.target;
  }
  // An absolute path to the secret, spelled out.
  FETCH(a, addr, "/static/" + tree().base + "/secret.txt");
  EXPECT_EQ(a->status, 404);
  EXPECT_EQ(a->body.find("TOP SECRET"), std::string::npos);
  // A raw backslash never even reaches the handler: the request-target parser refuses it.
  FETCH(b, addr, "/static/..\\secret.txt");
  EXPECT_EQ(b->status, 400);
  // Symlinks that stay inside the root are followed.
  FETCH(in, addr, "/static/link_in");
  EXPECT_EQ(in->status, 200);
  EXPECT_EQ(in->body, "Hello, static world!\n");
  FETCH(up, addr, "/static/sub/link_up_in");
  EXPECT_EQ(up->status, 200);
  EXPECT_EQ(up->body, "Hello, static world!\n");
  FETCH(dir, addr, "/static/link_sub/deeper/x.txt");
  EXPECT_EQ(dir->status, 200);
  EXPECT_EQ(dir->body, "deep");
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, traversal_vectors_are_refused_with_openat2) {
  run(with_static(traversal, true));
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, traversal_vectors_are_refused_with_proc_fd_fallback) {
  run(with_static(traversal, false));
}

TEST(StaticFiles, kernel_has_openat2) {
  http::StaticFiles sf(tree().root);
  EXPECT_TRUE(sf.uses_openat2()) << "this kernel should have openat2 (5.6+)";
  http::StaticFilesOptions o;
  o.use_openat2 = false;
  EXPECT_FALSE(http::StaticFiles(tree().root, o).uses_openat2());
}

// --- errors ----------------------------------------------------------------------------------

Task<void> errors(net::SocketAddr addr) {
  FETCH(nf, addr, "/static/missing.txt");
  EXPECT_EQ(nf->status, 404);
  FETCH(nd, addr, "/static/missing/x.txt");
  EXPECT_EQ(nd->status, 404);
  FETCH(fifo, addr, "/static/fifo");  // O_NONBLOCK: no hang waiting for a writer
  EXPECT_EQ(fifo->status, 404);
  FETCH(np, addr, "/static/noperm.txt");
  EXPECT_EQ(np->status, 403);
  EXPECT_EQ(np->body.find("/tmp/"), std::string::npos);
  FETCH(post, addr, "/static/hello.txt", "Content-Length: 0\r\n", "POST");
  EXPECT_EQ(post->status, 405);  // the Router's: the route has GET (and HEAD) only
  FETCH(longp, addr, "/static/" + std::string(5000, 'a'));
  EXPECT_EQ(longp->status, 404);
}

// Runs `body` on this thread without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH when root, so that
// a mode-000 file really is unreadable (capabilities are per thread; restored afterwards).
STRATA_TEST_ALL_FLAVOURS(StaticFiles, errors_map_to_404_403_405) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved[2]{}, dropped[2]{};
  ASSERT_EQ(::syscall(SYS_capget, &hdr, saved), 0);
  std::memcpy(dropped, saved, sizeof saved);
  dropped[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
  ASSERT_EQ(::syscall(SYS_capset, &hdr, dropped), 0);
  run(with_static(errors, true));
  ASSERT_EQ(::syscall(SYS_capset, &hdr, saved), 0);
}

TEST(StaticFiles, respond_without_a_server) {
  http::StaticFiles sf(tree().root);
  http::Request get(http::Method::get, "/hello.txt");
  http::Response r = sf.respond(get);
  EXPECT_EQ(r.status, http::StatusCode::ok);
  EXPECT_EQ(r.body.kind(), http::Body::Kind::file);
  EXPECT_EQ(r.body.file_length(), 21u);
  http::Request post(http::Method::post, "/hello.txt");
  http::Response p = sf.respond(post);
  EXPECT_EQ(p.status, http::StatusCode::method_not_allowed);
  EXPECT_EQ(p.headers.get("allow"), "GET, HEAD");
}

TEST(StaticFiles, bad_root_and_options_are_refused) {
  EXPECT_THROW(http::StaticFiles("/nonexistent/strata"), std::system_error);
  EXPECT_THROW(http::StaticFiles(tree().root + "/hello.txt"), std::system_error);
  auto r = http::StaticFiles::open("/nonexistent/strata");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
  http::StaticFilesOptions o;
  o.cache_control = "a\r\nx: y";
  EXPECT_THROW(http::StaticFiles(tree().root, o), std::invalid_argument);
  http::StaticFilesOptions i;
  i.index = "../secret.txt";
  EXPECT_THROW(http::StaticFiles(tree().root, i), std::invalid_argument);
}

// --- descriptors -----------------------------------------------------------------------------

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Clients that hang up in the middle of an 8 MiB body: the server's sendfile then fails
// (ECONNRESET, or EPIPE when the client's FIN came first), which must end that connection only —
// never a SIGPIPE for the process (sendfile(2) has no MSG_NOSIGNAL: the transport must guard
// it) — and the file's descriptor must still be closed. `extra`: more header lines (a Range
// header makes the body a multipart stream, written by write(2) instead).
Task<void> hang_ups(net::SocketAddr addr, std::string extra) {
  FETCH(warm, addr, "/ping");
  co_await sleep(20ms);  // the server has closed its side of that connection
  const std::size_t before = open_fds();
  for (int i = 0; i < 20; ++i) {
    auto c = co_await connect(addr);
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(co_await c->send("GET /static/big.bin HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"));
    if (i % 2 == 0) continue;  // FIN before any response byte: the server is in CLOSE_WAIT
    char buf[4096];
    auto n = co_await io::read(c->stream(), as_writable_bytes(std::span(buf)));
    CO_ASSERT_OK(n);
    co_await sleep(2ms);  // the server blocks in sendfile, then gets an RST
  }
  co_await sleep(50ms);
  FETCH(r, addr, "/ping");
  EXPECT_EQ(r->status, 200);
  co_await sleep(20ms);
  EXPECT_EQ(open_fds(), before);
}

Task<void> client_hangs_up_mid_file(net::SocketAddr addr) {
  co_await hang_ups(addr, "");
}
Task<void> client_hangs_up_mid_multipart(net::SocketAddr addr) {
  co_await hang_ups(addr, "Range: bytes=0-99,1000-\r\n");
}

Task<void> no_fd_leak(net::SocketAddr addr) {
  auto c = co_await connect(addr);
  CO_ASSERT_OK(c);
  const std::string etag = etag_for(21);
  const std::vector<std::pair<std::string, std::string>> reqs = {
      {"/static/hello.txt", ""},
      {"/static/big.bin", "Range: bytes=0-99\r\n"},
      {"/static/hello.txt", "If-None-Match: " + etag + "\r\n"},
      {"/static/hello.txt", "If-Match: \"x\"\r\n"},
      {"/static/hello.txt", "Range: bytes=500-\r\n"},
      {"/static/big.bin", "Range: bytes=0-99,200000-300000\r\n"},  // multipart
      {"/static/hello.txt", "Range: bytes=500-,600-\r\n"},
      {"/static/sub", ""},
      {"/static/sub/", ""},
      {"/static/nosub/", ""},
      {"/list/nosub/", ""},
      {"/static/missing", ""},
      {"/static/link_out", ""},
      {"/static/fifo", ""},
      {"/static/..%2f", ""},
      {"/static/hello.txt/", ""},
  };
  auto round = [](RawClient& client, const std::string& target,
                  const std::string& extra) -> Task<Result<RawResponse>> {
    Result<void> s =
        co_await client.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n");
    if (!s) co_return std::unexpected(s.error());
    co_return co_await client.read();
  };
  auto first = co_await round(*c, "/ping", "");
  CO_ASSERT_OK(first);
  const std::size_t before = open_fds();
  for (int i = 0; i < 50; ++i) {
    for (const auto& [target, extra] : reqs) {
      auto r = co_await round(*c, target, extra);
      CO_ASSERT_OK(r);
    }
  }
  auto last = co_await round(*c, "/ping", "");  // the previous response is finished by now
  CO_ASSERT_OK(last);
  EXPECT_EQ(open_fds(), before);
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, client_hanging_up_mid_file_ends_only_its_connection) {
  run(with_static(client_hangs_up_mid_file, true));
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, client_hanging_up_mid_multipart_ends_only_its_connection) {
  run(with_static(client_hangs_up_mid_multipart, true));
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, every_path_closes_its_descriptors) {
  run(with_static(no_fd_leak, true));
}

// --- curl ------------------------------------------------------------------------------------

Task<void> with_curl(net::SocketAddr addr) {
  const std::string url = "http://" + addr.to_string();
  Curl range = co_await curl("--range 7-12 -w ' %{http_code}' " + url + "/static/hello.txt");
  if (range.status == 127) ADD_FAILURE() << "curl is not installed (scripts/bootstrap installs it)";
  EXPECT_EQ(range.status, 0);
  EXPECT_EQ(range.out, "static 206");
  Curl multi = co_await curl("-r 0-1,5-6 -D - " + url + "/static/hello.txt");
  EXPECT_EQ(multi.status, 0);
  EXPECT_NE(multi.out.find("HTTP/1.1 206 Partial Content\r\n"), std::string::npos) << multi.out;
  const std::size_t type = multi.out.find("multipart/byteranges; boundary=");
  CO_ASSERT_TRUE(type != std::string::npos);
  const std::string boundary = multi.out.substr(type + 31, 16);
  const std::string part = "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes ";
  EXPECT_TRUE(multi.out.ends_with("\r\n\r\n\r\n--" + boundary + part + "0-1/21\r\n\r\nHe\r\n--" +
                                  boundary + part + "5-6/21\r\n\r\n, \r\n--" + boundary + "--\r\n"))
      << multi.out;
  Curl z = co_await curl("-z '" + last_modified() + "' -o /dev/null -w '%{http_code}' " + url +
                         "/static/hello.txt");
  EXPECT_EQ(z.out, "304");
  Curl older = co_await curl("-z 'Wed, 01 Jan 2020 00:00:00 GMT' -w ' %{http_code}' " + url +
                             "/static/hello.txt");
  EXPECT_EQ(older.out, "Hello, static world!\n 200");
  Curl big = co_await curl("-o - " + url + "/static/big.bin | sha256sum");
  Curl want = co_await curl("-o - file://" + tree().root + "/big.bin | sha256sum");
  EXPECT_EQ(big.out, want.out);
  Curl follow = co_await curl("-L -w ' %{http_code}' " + url + "/static/sub");
  EXPECT_EQ(follow.out, "<h1>sub</h1> 200");
  Curl as_is = co_await curl("--path-as-is -w ' %{http_code}' -o /dev/null " + url +
                             "/static/../secret.txt");
  EXPECT_EQ(as_is.out, " 400");
}
STRATA_TEST_ALL_FLAVOURS(StaticFiles, curl_range_if_modified_since_and_redirect) {
  run(with_static(with_curl, true), 30s);
}

}  // namespace
}  // namespace strata::test
