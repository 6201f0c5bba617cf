// h2::Settings: how an HTTP/2 server connection is configured (RFC 9113 §6.5.2 SETTINGS and the
// limits behind the defences), with the defaults documented in docs/http2.md.
//
//   http::ServerConfig config;
//   config.http2.max_concurrent_streams = 256;   // streams a client may have open at once
//   config.http2.initial_window_size = 1 << 20;  // bytes a stream may send before we read them
#pragma once

#include <cstdint>

namespace strata::http::h2 {

struct Settings {
  // Serve HTTP/2 at all: h2c with prior knowledge on plaintext listeners (detected from the
  // connection preface), h2 on TLS listeners whose context lists "h2" in its ALPN protocols.
  bool enabled = true;
  // SETTINGS_MAX_CONCURRENT_STREAMS: more are refused with REFUSED_STREAM (nginx: 128, h2o: 100).
  std::uint32_t max_concurrent_streams = 128;
  // SETTINGS_INITIAL_WINDOW_SIZE: what a stream's request body may send ahead of the handler's
  // reads (flow control: a slow reader stops only its own stream). Also the most a stream
  // buffers.
  std::uint32_t initial_window_size = 256 * 1024;
  // The connection-level receive window (all streams' unread request bytes together).
  std::uint32_t connection_window_size = 1024 * 1024;
  // SETTINGS_MAX_FRAME_SIZE we accept.
  std::uint32_t max_frame_size = 16 * 1024;
  // SETTINGS_MAX_HEADER_LIST_SIZE: a request whose decoded header list is larger is answered
  // 431 (the HPACK-bomb defence, with the HPACK table size below).
  std::uint32_t max_header_list_size = 64 * 1024;
  // SETTINGS_HEADER_TABLE_SIZE for the decoder's dynamic table.
  std::uint32_t header_table_size = 4096;
  // Rapid reset (CVE-2023-44487): at most `reset_burst` stream resets from the client, refilled
  // at `resets_per_second`; beyond it the connection is ended with GOAWAY ENHANCE_YOUR_CALM.
  std::uint32_t reset_burst = 200;
  std::uint32_t resets_per_second = 100;
  // Control-frame floods: entries in one SETTINGS frame, and outbound ACKs (PING, SETTINGS)
  // queued while the peer does not read, before it is considered flooding (nghttp2's limits).
  std::uint32_t max_settings_frames = 32;
  std::uint32_t max_outbound_acks = 1000;
  // CONTINUATION flood (CVE-2024-27316 class): CONTINUATION frames after one HEADERS frame
  // (with max_frame_size, this also bounds a header block: 9 x 16 KiB).
  std::uint32_t max_continuations = 8;
  // Empty frames (DATA, HEADERS, CONTINUATION without payload or END_STREAM) in a row
  // (CVE-2019-9518; Envoy allows 1).
  std::uint32_t max_empty_frames = 32;
  // WINDOW_UPDATE frames allowed beyond 2 per stream and 10 per DATA frame we sent, and
  // PRIORITY frames per stream (CVE-2019-9517/9513 class floods; Envoy's budgets).
  std::uint32_t window_update_budget = 100;
  std::uint32_t max_priority_frames_per_stream = 100;
};

}  // namespace strata::http::h2
