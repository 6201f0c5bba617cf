// mime_type_for: extension lookup, case-insensitivity, charset on text types, the default.
#include <gtest/gtest.h>

#include "strata/http/mime.hpp"

namespace strata::http {
namespace {

TEST(HttpMime, maps_the_usual_web_types) {
  const std::pair<const char*, const char*> cases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"a.htm", "text/html; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"mod.mjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"logo.svg", "image/svg+xml"},
      {"p.png", "image/png"},
      {"p.jpg", "image/jpeg"},
      {"p.jpeg", "image/jpeg"},
      {"p.gif", "image/gif"},
      {"p.webp", "image/webp"},
      {"p.avif", "image/avif"},
      {"favicon.ico", "image/vnd.microsoft.icon"},
      {"m.wasm", "application/wasm"},
      {"doc.pdf", "application/pdf"},
      {"feed.xml", "application/xml"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"v.mp4", "video/mp4"},
      {"v.webm", "video/webm"},
      {"a.mp3", "audio/mpeg"},
      {"a.ogg", "audio/ogg"},
      {"x.zip", "application/zip"},
      {"x.tar.gz", "application/gzip"},
      {"app.js.map", "application/json"},
      {"t.csv", "text/csv; charset=utf-8"},
      {"README.md", "text/markdown; charset=utf-8"},
      {"site.webmanifest", "application/manifest+json"},
  };
  for (const auto& [name, type] : cases) EXPECT_EQ(mime_type_for(name), type) << name;
}

TEST(HttpMime, extension_is_case_insensitive_and_may_be_bare) {
  EXPECT_EQ(mime_type_for("/www/INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("Photo.JpG"), "image/jpeg");
  EXPECT_EQ(mime_type_for("css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for(".woff2"), "font/woff2");
  EXPECT_EQ(mime_type_for("WASM"), "application/wasm");
}

TEST(HttpMime, unknown_or_missing_extensions_are_octet_stream) {
  for (const char* name : {"", "file.unknownext", "/data/blob", "/dir.d/file", "archive.",
                           "x.verylongextension", "/www/html", "a.h tml", ".", "/"}) {
    EXPECT_EQ(mime_type_for(name), default_mime_type) << name;
  }
  EXPECT_EQ(default_mime_type, "application/octet-stream");
}

}  // namespace
}  // namespace strata::http
