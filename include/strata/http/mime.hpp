// Media types for file names: the Content-Type a static-file server sends for an extension.
//
//   strata::http::mime_type_for("/www/index.HTML");   // "text/html; charset=utf-8"
//   strata::http::mime_type_for("app.wasm");          // "application/wasm"
//   strata::http::mime_type_for(".woff2");            // "font/woff2"
//   strata::http::mime_type_for("css");               // "text/css; charset=utf-8"
//   strata::http::mime_type_for("/data/blob");        // "application/octet-stream"
//
// The extension is what follows the last '.' of the last path segment, compared
// ASCII-case-insensitively; an argument without '/' or '.' is taken as an extension itself.
// Textual types carry "; charset=utf-8". Unknown extensions, and names with none, give
// application/octet-stream (so a browser downloads rather than sniffs them). The result is a
// view of static storage; the lookup allocates nothing.
#pragma once

#include <string_view>

namespace strata::http {

inline constexpr std::string_view default_mime_type = "application/octet-stream";

std::string_view mime_type_for(std::string_view path_or_extension) noexcept;

}  // namespace strata::http
