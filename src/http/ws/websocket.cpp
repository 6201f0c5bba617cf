// ws::WebSocket (strata/http/ws/websocket.hpp).
//
// Design note. The read side (receive, receive_chunk, the drain in close) is used by one task
// at a time and owns: the read buffer (a pooled block, [rpos, size) unread), the frame parser
// and the current frame (its header, payload bytes left and the offset for unmasking), the
// current message (type, size so far, UTF-8 state, whether compressed) and the inflater. A data
// frame's payload is handed out straight from the read buffer after unmasking in place, or
// through the inflater into a pooled 16 KiB output block, one step per chunk, so a deflate
// bomb costs one block, never the inflated size. The buffer is compacted only when more bytes
// are needed, i.e. after every handed-out view is dead.
//
// The write side is a Mutex<Writer>: every frame (data, pong, close) is encoded and written
// under it, so frames never interleave, the deflater is used by one writer at a time, and a
// send completes only when the transport took all of its bytes (backpressure).
//
// Closing state is two flags, shared: close_sent (set under the write lock when the close frame
// went out; no data frame follows it) and the read side's closed flag. peer_close is written by
// the read side before it reports Errc::closed.
#include "strata/http/ws/websocket.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "strata/http/ws/utf8.hpp"
#include "strata/io/ext.hpp"
#include "strata/io/poll_fn.hpp"
#include "strata/rt/select.hpp"
#include "strata/rt/sync/mutex.hpp"
#include "zstream.hpp"

namespace strata::http::ws {

namespace detail {

constexpr std::size_t read_block = 16 * 1024;
constexpr std::size_t small_frame = 4 * 1024;  // header and payload copied into one write

struct Writer {
  std::unique_ptr<Deflater> deflater;
  std::string compressed;  // the last compressed message (capacity reused)
};

struct Core {
  Core(std::unique_ptr<io::DynStream> t, Role r, Options o, std::string proto, DeflateParams d,
       io::Buffer leftover)
      : io(std::move(t)),
        role(r),
        opt(o),
        subprotocol(std::move(proto)),
        deflate(d),
        parser(r, FrameLimits{o.max_frame_size, d.enabled}),
        rbuf(std::move(leftover)) {
    if (d.enabled) {
      const bool we_server = r == Role::server;
      const bool own_nct = we_server ? d.server_no_context_takeover : d.client_no_context_takeover;
      const bool peer_nct = we_server ? d.client_no_context_takeover : d.server_no_context_takeover;
      const int bits = we_server ? d.server_max_window_bits : d.client_max_window_bits;
      auto w = std::make_unique<Deflater>(bits, d.level, d.mem_level, own_nct);
      writer_init = std::move(w);
      inflater = std::make_unique<Inflater>(peer_nct);
    }
  }

  std::unique_ptr<io::DynStream> io;
  Role role;
  Options opt;
  std::string subprotocol;
  DeflateParams deflate;
  std::unique_ptr<Deflater> writer_init;  // moved into the Writer on first use

  // Read side.
  FrameParser parser;
  io::Buffer rbuf;
  std::size_t rpos = 0;
  FrameHeader frame;
  bool in_frame = false;
  std::uint64_t frame_left = 0;
  std::uint64_t frame_off = 0;
  MessageType msg_type = MessageType::binary;
  bool msg_compressed = false;
  std::uint64_t msg_size = 0;
  Utf8Validator utf8;
  std::unique_ptr<Inflater> inflater;
  io::Buffer inflated;           // the output block of the current compressed message
  bool inflate_active = false;   // the inflater holds output to hand out
  bool release_pending = false;  // a message ended: free its buffers on the next receive
  bool compressed_done = false;  // the current message's compressed bytes are all in
  bool awaiting_pong = false;
  bool read_closed = false;
  // Server side: the accepting server's drain flag (close_on_drain); once it is set the read
  // side sends close 1001 and waits (close_timeout) for the reply.
  const std::atomic<bool>* draining = nullptr;
  bool drain_close_sent = false;
  std::atomic<bool> reading{false};

  // Shared.
  std::atomic<bool> close_sent{false};
  mutable std::mutex info_mu;
  std::optional<CloseInfo> peer_close;

  sync::Mutex<Writer> writer;

  std::span<const std::byte> buffered() const noexcept {
    return rbuf.bytes().subspan(std::min(rpos, rbuf.size()));
  }
};

namespace {

Task<Result<void>> write_bytes(Core& c, io::ConstBuffer bytes) {
  Result<Result<void>> w = co_await timeout(c.opt.write_timeout, io::write_all(*c.io, bytes));
  if (!w) co_return fail(Errc::timed_out, "ws: write");
  co_return std::move(*w);
}

// Encodes and writes one frame; the caller holds the write lock.
Task<Result<void>> write_frame_locked(Core& c, Opcode op, bool rsv1,
                                      std::span<const std::byte> payload) {
  std::array<std::byte, max_header_size> head;
  MaskKey key{};
  const bool mask = c.role == Role::client;
  if (mask) RAND_bytes(key.data(), static_cast<int>(key.size()));
  const std::size_t hn = encode_header(head, op, true, rsv1, payload.size(), mask ? &key : nullptr);
  if (!mask && payload.size() > small_frame) {
    Result<void> h = co_await write_bytes(c, std::span(head).first(hn));
    if (!h) co_return h;
    Result<void> b = co_await write_bytes(c, payload);
    if (!b) co_return b;
  } else {
    io::Buffer buf = io::Buffer::acquire(std::min(hn + payload.size(), read_block));
    std::memcpy(buf.data(), head.data(), hn);
    std::size_t room = buf.capacity() - hn;
    std::size_t off = 0;
    std::size_t at = hn;
    do {
      const std::size_t n = std::min(room, payload.size() - off);
      if (n) std::memcpy(buf.data() + at, payload.data() + off, n);
      if (mask) apply_mask(std::span(buf.data() + at, n), key, off);
      buf.resize(at + n);
      Result<void> w = co_await write_bytes(c, buf.bytes());
      if (!w) co_return w;
      off += n;
      at = 0;
      room = buf.capacity();
    } while (off < payload.size());
  }
  Result<Result<void>> f = co_await timeout(c.opt.write_timeout, io::flush(*c.io));
  if (!f) co_return fail(Errc::timed_out, "ws: flush");
  co_return std::move(*f);
}

Task<Result<void>> write_frame(Core& c, Opcode op, std::span<const std::byte> payload) {
  auto guard = co_await c.writer.lock();
  if (c.close_sent.load(std::memory_order_acquire))  // pairs with the store after a close frame
    co_return fail(Errc::closed, "ws: close frame already sent");
  bool rsv1 = false;
  if (c.writer_init) guard->deflater = std::move(c.writer_init);
  if (guard->deflater && !is_control(op) && payload.size() >= c.opt.compression_threshold) {
    Result<void> z = guard->deflater->compress(payload, guard->compressed);
    if (!z) co_return z;
    payload = std::as_bytes(std::span(guard->compressed));
    rsv1 = true;
  }
  co_return co_await write_frame_locked(c, op, rsv1, payload);
}

// Sends a close frame unless one went out already (then: ok, nothing sent).
Task<Result<void>> send_close(Core& c, std::uint16_t code, std::string_view reason) {
  auto guard = co_await c.writer.lock();
  if (c.close_sent.load(std::memory_order_acquire)) co_return Result<void>{};
  std::array<std::byte, max_control_payload> p;
  std::size_t n = 0;
  if (code != static_cast<std::uint16_t>(CloseCode::no_status)) {
    p[0] = std::byte(code >> 8);
    p[1] = std::byte(code & 0xFF);
    reason = reason.substr(0, max_control_payload - 2);
    if (!reason.empty()) std::memcpy(p.data() + 2, reason.data(), reason.size());
    n = 2 + reason.size();
  }
  c.close_sent.store(true, std::memory_order_release);  // pairs with write_frame's load
  co_return co_await write_frame_locked(c, Opcode::close, false, std::span(p).first(n));
}

Task<void> shutdown_transport(Core& c) {
  (void)co_await timeout(c.opt.close_timeout, io::shutdown(*c.io));
}

// Fails the connection: a close frame with `code`, then the transport is shut down.
Task<Error> fail_connection(Core& c, CloseCode code, const char* what) {
  c.read_closed = true;
  (void)co_await timeout(c.opt.close_timeout, send_close(c, static_cast<std::uint16_t>(code), {}));
  co_await shutdown_transport(c);
  co_return Error(code, std::string("ws: ") + what);
}

// Completes once `*draining` is set (polled again on every wake of the connection's task).
auto until_draining(const std::atomic<bool>* draining) {
  return io::poll_fn([draining](Context&) -> Poll<bool> {
    if (draining->load(std::memory_order_acquire)) return true;
    return pending;
  });
}

// Reads more bytes into the read buffer, sending keep-alive pings while the peer is quiet, and
// starting the close handshake (1001) when the accepting server drains.
Task<Result<void>> fill(Core& c) {
  if (!c.rbuf) c.rbuf = io::Buffer::acquire(read_block);
  if (c.rpos == c.rbuf.size()) {
    c.rbuf.clear();
    c.rpos = 0;
  } else if (c.rbuf.capacity() - c.rbuf.size() < max_header_size + max_control_payload) {
    const std::size_t keep = c.rbuf.size() - c.rpos;
    std::memmove(c.rbuf.data(), c.rbuf.data() + c.rpos, keep);
    c.rbuf.resize(keep);
    c.rpos = 0;
  }
  for (;;) {
    if (c.draining && !c.drain_close_sent && c.draining->load(std::memory_order_acquire)) {
      c.drain_close_sent = true;
      (void)co_await timeout(
          c.opt.close_timeout,
          send_close(c, static_cast<std::uint16_t>(CloseCode::going_away), "server shutting down"));
    }
    const Duration wait = c.drain_close_sent ? c.opt.close_timeout
                          : c.awaiting_pong  ? c.opt.dead_peer_timeout
                                             : c.opt.ping_interval;
    Result<std::size_t> n;
    bool timed_out = false;
    if (c.draining && !c.drain_close_sent) {
      // Also wake when the server starts draining (Server::shutdown wakes every connection).
      const Duration limit = wait > Duration::zero() ? wait : Duration(std::chrono::hours(24));
      auto r = co_await select(timeout(limit, io::read(*c.io, c.rbuf.spare())),
                               until_draining(c.draining));
      if (r.index() == 1) continue;  // send the close at the top
      Result<Result<std::size_t>> t = std::move(std::get<0>(r));
      if (t) {
        n = std::move(*t);
      } else {
        timed_out = wait > Duration::zero();
        if (!timed_out) continue;
      }
    } else if (wait <= Duration::zero()) {
      n = co_await io::read(*c.io, c.rbuf.spare());
    } else {
      Result<Result<std::size_t>> t = co_await timeout(wait, io::read(*c.io, c.rbuf.spare()));
      if (t) n = std::move(*t);
      timed_out = !t;
    }
    if (timed_out) {
      if (c.awaiting_pong || c.drain_close_sent) {
        c.read_closed = true;
        co_await shutdown_transport(c);
        co_return fail(Errc::timed_out, c.drain_close_sent ? "ws: no close reply while draining"
                                                           : "ws: peer did not answer a ping");
      }
      c.awaiting_pong = true;
      Result<void> p = co_await write_frame(c, Opcode::ping, {});
      if (!p && p.error() != Errc::closed) co_return p;
      continue;
    }
    if (!n) {
      c.read_closed = true;
      co_return fail(n.error());
    }
    if (*n == 0) {
      c.read_closed = true;
      {
        std::lock_guard lock(c.info_mu);
        if (!c.peer_close)
          c.peer_close = CloseInfo{static_cast<std::uint16_t>(CloseCode::abnormal), {}};
      }
      co_return fail(Errc::closed, "ws: connection ended without a close frame");
    }
    c.rbuf.commit(*n);
    c.awaiting_pong = false;  // any bytes prove the peer alive
    co_return Result<void>{};
  }
}

// Handles a complete control frame whose (unmasked) payload is `p`. Returns an error when the
// read side is done (close received, or a failure).
Task<Result<void>> on_control(Core& c, Opcode op, std::span<const std::byte> p) {
  if (op == Opcode::ping) {
    std::array<std::byte, max_control_payload> copy;
    std::memcpy(copy.data(), p.data(), p.size());
    Result<void> w = co_await write_frame(c, Opcode::pong, std::span(copy).first(p.size()));
    if (!w && w.error() != Errc::closed) co_return w;
    co_return Result<void>{};
  }
  if (op == Opcode::pong) co_return Result<void>{};
  // Close.
  CloseInfo info;
  if (p.size() == 1)
    co_return fail(co_await fail_connection(c, CloseCode::protocol_error, "close frame of 1 byte"));
  if (p.size() >= 2) {
    info.code = static_cast<std::uint16_t>((std::uint16_t(p[0]) << 8) | std::uint16_t(p[1]));
    if (!is_valid_close_code(info.code))
      co_return fail(co_await fail_connection(c, CloseCode::protocol_error, "invalid close code"));
    std::string_view reason(reinterpret_cast<const char*>(p.data()) + 2, p.size() - 2);
    if (!is_valid_utf8(reason))
      co_return fail(
          co_await fail_connection(c, CloseCode::invalid_payload, "close reason not UTF-8"));
    info.reason = std::string(reason);
  }
  const std::uint16_t echo = info.code;
  {
    std::lock_guard lock(c.info_mu);
    c.peer_close = std::move(info);
  }
  c.read_closed = true;
  (void)co_await timeout(c.opt.close_timeout, send_close(c, echo, {}));
  co_await shutdown_transport(c);
  co_return fail(Errc::closed, "ws: closed by the peer");
}

// Ends a message. Its buffers are released on the next receive, not here: the last chunk
// handed to the caller points into them (the inflated block or the read buffer).
void end_message(Core& c) {
  if (c.inflater && c.msg_compressed) c.inflater->end_message();
  c.inflate_active = false;
  c.release_pending = true;
}

// Frees the buffers of the message that ended, once the caller is done with its last chunk.
void release_message_buffers(Core& c) {
  if (!c.release_pending) return;
  c.release_pending = false;
  c.inflated.reset();
  if (c.rpos >= c.rbuf.size()) {
    c.rbuf.reset();
    c.rpos = 0;
  }
}

}  // namespace

// The body of receive_chunk; `reading` is set around it.
Task<Result<Chunk>> receive_chunk_impl(Core& c) {
  release_message_buffers(c);
  for (;;) {
    if (c.read_closed) co_return fail(Errc::closed, "ws: connection closed");
    // Output the inflater still holds for the current message, one block per chunk.
    if (c.inflate_active) {
      const std::span<std::byte> out(c.inflated.data(), c.inflated.capacity());
      Result<std::size_t> n = c.inflater->step(out);
      if (!n)
        co_return fail(
            co_await fail_connection(c, CloseCode::invalid_payload, "corrupt deflate data"));
      bool last = false;
      if (*n < out.size() && !c.inflater->has_input()) {  // this input is used up
        c.inflate_active = false;
        if (c.inflater->finishing()) {
          last = true;
        } else if (c.compressed_done) {
          c.inflater->finish();  // all compressed bytes are in: inflate the 00 00 FF FF tail
          c.inflate_active = true;
        }
      }
      if (*n == 0 && !last) continue;
      c.msg_size += *n;
      if (c.msg_size > c.opt.max_message_size)
        co_return fail(co_await fail_connection(c, CloseCode::message_too_big, "message too big"));
      std::span<const std::byte> data(c.inflated.data(), *n);
      if (c.msg_type == MessageType::text) {
        if (!c.utf8.feed(data) || (last && !c.utf8.complete()))
          co_return fail(co_await fail_connection(c, CloseCode::invalid_payload, "text not UTF-8"));
      }
      Chunk out_chunk{c.msg_type, data, last};
      if (last) end_message(c);
      co_return out_chunk;
    }
    if (!c.in_frame) {
      FrameParse p = c.parser.parse(c.buffered());
      if (p.status == FrameStatus::need_more) {
        Result<void> r = co_await fill(c);
        if (!r) co_return fail(r.error());
        continue;
      }
      if (p.status == FrameStatus::error)
        co_return fail(co_await fail_connection(c, p.error, p.what));
      c.rpos += p.consumed;
      c.frame = p.header;
      if (is_control(c.frame.opcode)) {
        while (c.buffered().size() < c.frame.length) {
          Result<void> r = co_await fill(c);
          if (!r) co_return fail(r.error());
        }
        std::span<std::byte> payload(c.rbuf.data() + c.rpos, c.frame.length);
        if (c.frame.masked) apply_mask(payload, c.frame.mask, 0);
        c.rpos += c.frame.length;
        Result<void> h = co_await on_control(c, c.frame.opcode, payload);
        if (!h) co_return fail(h.error());
        continue;
      }
      if (c.frame.opcode != Opcode::continuation) {
        c.msg_type = c.frame.opcode == Opcode::text ? MessageType::text : MessageType::binary;
        c.msg_compressed = c.frame.rsv1;
        c.msg_size = 0;
        c.utf8.reset();
      }
      c.in_frame = true;
      c.frame_left = c.frame.length;
      c.frame_off = 0;
    }
    if (c.frame_left > 0 && c.buffered().empty()) {
      Result<void> r = co_await fill(c);
      if (!r) co_return fail(r.error());
      continue;
    }
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(c.buffered().size(), c.frame_left));
    std::span<std::byte> data(c.rbuf.data() + c.rpos, n);
    if (c.frame.masked) apply_mask(data, c.frame.mask, c.frame_off);
    c.rpos += n;
    c.frame_off += n;
    c.frame_left -= n;
    if (c.frame_left == 0) c.in_frame = false;
    const bool last = c.frame_left == 0 && c.frame.fin;
    if (c.msg_compressed) {
      if (!c.inflated) c.inflated = io::Buffer::acquire(read_block);
      Result<void> in = c.inflater->input(data);
      if (!in) co_return fail(in.error());
      c.inflate_active = true;
      c.compressed_done = last;
      continue;
    }
    c.msg_size += n;
    if (c.msg_size > c.opt.max_message_size)
      co_return fail(co_await fail_connection(c, CloseCode::message_too_big, "message too big"));
    if (c.msg_type == MessageType::text) {
      if (!c.utf8.feed(data) || (last && !c.utf8.complete()))
        co_return fail(co_await fail_connection(c, CloseCode::invalid_payload, "text not UTF-8"));
    }
    if (n == 0 && !last) continue;  // an empty non-final frame
    Chunk out{c.msg_type, data, last};
    if (last) end_message(c);
    co_return out;
  }
}

}  // namespace detail

using detail::Core;

WebSocket::WebSocket(std::unique_ptr<io::DynStream> transport, Role role, Options options,
                     std::string subprotocol, DeflateParams deflate, io::Buffer leftover)
    : core_(std::make_unique<Core>(std::move(transport), role, options, std::move(subprotocol),
                                   deflate, std::move(leftover))) {}
WebSocket::WebSocket(WebSocket&&) noexcept = default;
WebSocket& WebSocket::operator=(WebSocket&&) noexcept = default;
WebSocket::~WebSocket() = default;

Task<Result<Chunk>> WebSocket::receive_chunk() {
  Core& c = *core_;
  c.reading.store(true, std::memory_order_relaxed);
  Result<Chunk> r = co_await detail::receive_chunk_impl(c);
  c.reading.store(false, std::memory_order_relaxed);
  co_return r;
}

Task<Result<Message>> WebSocket::receive() {
  Message m;
  for (;;) {
    Result<Chunk> ch = co_await receive_chunk();
    if (!ch) co_return fail(ch.error());
    m.type = ch->type;
    m.data.append(reinterpret_cast<const char*>(ch->data.data()), ch->data.size());
    if (ch->last) co_return m;
  }
}

Task<Result<void>> WebSocket::send(MessageType type, std::span<const std::byte> payload) {
  return detail::write_frame(*core_, type == MessageType::text ? Opcode::text : Opcode::binary,
                             payload);
}
Task<Result<void>> WebSocket::send_text(std::string_view text) {
  return send(MessageType::text, std::as_bytes(std::span(text)));
}
Task<Result<void>> WebSocket::send_binary(std::span<const std::byte> payload) {
  return send(MessageType::binary, payload);
}

Task<Result<void>> WebSocket::send_encoded(EncodedFrame frame) {
  Core& c = *core_;
  auto guard = co_await c.writer.lock();
  if (c.close_sent.load(std::memory_order_acquire))
    co_return fail(Errc::closed, "ws: close frame already sent");
  Result<void> w = co_await detail::write_bytes(c, io::as_bytes(*frame.bytes));
  if (!w) co_return w;
  Result<Result<void>> f = co_await timeout(c.opt.write_timeout, io::flush(*c.io));
  if (!f) co_return fail(Errc::timed_out, "ws: flush");
  co_return std::move(*f);
}

Task<Result<void>> WebSocket::ping(std::span<const std::byte> payload) {
  if (payload.size() > max_control_payload)
    return [](Error e) -> Task<Result<void>> {
      co_return fail(std::move(e));
    }(Error(Errc::invalid_input, "ws: ping payload over 125 bytes"));
  return detail::write_frame(*core_, Opcode::ping, payload);
}

Task<Result<void>> WebSocket::close(CloseCode code, std::string_view reason) {
  Core& c = *core_;
  Result<void> sent = co_await detail::send_close(c, static_cast<std::uint16_t>(code), reason);
  if (!sent) {
    co_await detail::shutdown_transport(c);
    co_return sent;
  }
  const bool reader_busy = c.reading.load(std::memory_order_relaxed);
  if (!reader_busy && !c.read_closed) {
    // Drain until the peer's close arrives (receive answers nothing: our close went out).
    const Instant deadline = Clock::now() + c.opt.close_timeout;
    for (;;) {
      Result<Result<Chunk>> r = co_await timeout_at(deadline, receive_chunk());
      if (!r || !*r) break;
    }
  }
  if (!c.read_closed) {
    c.read_closed = true;
    co_await detail::shutdown_transport(c);
  }
  co_return Result<void>{};
}

Role WebSocket::role() const noexcept {
  return core_->role;
}
const std::string& WebSocket::subprotocol() const noexcept {
  return core_->subprotocol;
}
const DeflateParams& WebSocket::deflate() const noexcept {
  return core_->deflate;
}
std::optional<CloseInfo> WebSocket::peer_close() const {
  std::lock_guard lock(core_->info_mu);
  return core_->peer_close;
}
void WebSocket::close_on_drain(const std::atomic<bool>* draining) noexcept {
  core_->draining = draining;
}

bool WebSocket::close_sent() const noexcept {
  return core_->close_sent.load(std::memory_order_acquire);
}

EncodedFrame encode_message(MessageType type, std::span<const std::byte> payload) {
  std::array<std::byte, max_header_size> head;
  const std::size_t hn =
      encode_header(head, type == MessageType::text ? Opcode::text : Opcode::binary, true, false,
                    payload.size(), nullptr);
  auto s = std::make_shared<std::string>();
  s->reserve(hn + payload.size());
  s->append(reinterpret_cast<const char*>(head.data()), hn);
  s->append(reinterpret_cast<const char*>(payload.data()), payload.size());
  return EncodedFrame{std::move(s)};
}

}  // namespace strata::http::ws
