// permessage-deflate (RFC 7692): what a WebSocket endpoint offers or accepts, and the
// parameters a handshake settled on. Compression itself runs inside ws::WebSocket (zlib).
//
//   ws::AcceptOptions opts;
//   opts.deflate.enabled = true;                        // accept permessage-deflate if offered
//   opts.deflate.server_no_context_takeover = true;     // ~no zlib memory between messages
//   co_return ws::accept(req, session, opts);
//
// Negotiation: the server takes the first offer it can honour (unknown or repeated parameters,
// out-of-range window bits make an offer unusable) and answers with the parameters in force:
// no_context_takeover for a side when either end asked for it, and window bits no larger than
// the offer allows. A window of 8 bits is declined (zlib's raw deflate cannot produce it), and
// received messages are always inflated with a 32 KiB window, which accepts every peer.
//
// Memory (measured, see docs/ws.md): a side that keeps its context holds its zlib stream
// between messages (deflate about 2^(window+2) + 2^(mem_level+9) bytes plus ~6 KiB, inflate
// about 39 KiB once used); with no_context_takeover the stream is released after each message.
// Messages below Options::compression_threshold bytes are sent uncompressed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "strata/rt/error.hpp"

namespace strata::http::ws {

struct DeflateOptions {
  bool enabled = false;                     // offer (client) / accept (server) the extension
  bool server_no_context_takeover = false;  // ask for it (either side may)
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;  // 9-15: the largest window the server's deflater uses
  int client_max_window_bits = 15;  // 9-15: the same for the client's deflater
  int level = 6;                    // zlib compression level, 1-9
  int mem_level = 8;                // zlib memLevel, 1-9 (memory vs. speed)
};

// What a handshake settled on.
struct DeflateParams {
  bool enabled = false;
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
  int level = 6;
  int mem_level = 8;
};

// Server side: picks an offer from the request's Sec-WebSocket-Extensions value(s) (joined by
// commas). Returns the parameters and sets `response` to the header value to send, or nullopt
// (no compression) if nothing acceptable was offered.
std::optional<DeflateParams> negotiate_deflate(std::string_view offers, const DeflateOptions& opts,
                                               std::string& response);

// Client side: the Sec-WebSocket-Extensions value to offer ("" when disabled).
std::string deflate_offer(const DeflateOptions& opts);

// Client side: checks the server's Sec-WebSocket-Extensions value against what was offered
// (an empty value: no compression). A response the client cannot accept (an extension or a
// parameter it did not offer, a bad value) is Errc::invalid_input: the connection must fail.
Result<DeflateParams> accept_deflate_response(std::string_view response,
                                              const DeflateOptions& opts);

}  // namespace strata::http::ws
