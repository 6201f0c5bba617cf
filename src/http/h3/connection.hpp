// One QUIC connection carrying HTTP/3: ngtcp2 (transport, GnuTLS handshake), nghttp3 (framing,
// QPACK) and the streams' handlers. Private to src/http/h3; driven by the endpoint (server.cpp),
// always from the endpoint's task.
#pragma once

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/http/h3/server.hpp"
#include "strata/net/udp_socket.hpp"

namespace strata::http::h3::detail {

inline constexpr std::size_t kCidLen = 18;  // our connection IDs
inline constexpr std::size_t kMaxPacket = 1452;

// ns since the steady clock's epoch: ngtcp2's timestamps.
inline ngtcp2_tstamp timestamp(Instant t) noexcept {
  return static_cast<ngtcp2_tstamp>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}
inline Instant instant(ngtcp2_tstamp ts) noexcept {
  return Instant(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(ts)));
}

class Connection;

// What every connection of one endpoint shares (owned by the endpoint, outlives connections).
struct Shared {
  const ServerConfig* config = nullptr;
  Service* service = nullptr;
  gnutls_certificate_credentials_t cred = nullptr;
  std::array<std::uint8_t, 32> secret{};  // stateless reset tokens
  net::SocketAddr local;
  std::unordered_map<std::string, Connection*> cids;  // connection ID -> connection
  const std::atomic<bool>* draining = nullptr;
  std::atomic<std::uint64_t> requests{0}, bad_requests{0}, datagrams_in{0}, datagrams_out{0},
      dropped{0}, accepted{0};
};

struct Stream;

class Connection {
 public:
  Connection(Shared& shared, const net::SocketAddr& remote);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Sets up the server side from the client's first Initial packet; false on failure.
  bool init(const ngtcp2_pkt_hd& hd);
  // Feeds one datagram from `from`; false: the connection is gone (remove it).
  bool on_datagram(const std::uint8_t* data, std::size_t len, const net::SocketAddr& from,
                   Instant now);
  // Timers, handlers, output; false: the connection is gone.
  bool drive(Context& cx, net::UdpSocket& sock, Instant now);
  // When drive() must run again at the latest.
  Instant expiry() const;

  // Used by the ngtcp2/nghttp3 callbacks (connection.cpp).
  Shared& shared;
  ngtcp2_conn* conn = nullptr;
  nghttp3_conn* h3 = nullptr;
  gnutls_session_t tls = nullptr;
  ngtcp2_crypto_conn_ref conn_ref{};
  Context* cx = nullptr;
  std::deque<std::unique_ptr<Stream>> streams;
  std::vector<std::string> cid_keys;
  bool setup_h3();
  void add_cid(const ngtcp2_cid& cid);
  void remove_cid(const ngtcp2_cid& cid);
  Stream* find(std::int64_t id);
  void remove(Stream* s);

 private:
  void start_handler(Stream& s);
  void submit_response(Stream& s);
  bool poll_handlers();
  bool write_packets(net::UdpSocket& sock, Instant now);
  bool send(net::UdpSocket& sock, const std::uint8_t* p, std::size_t n, const net::SocketAddr& to);
  // Enters the closing period with CONNECTION_CLOSE (`ccerr`); false if nothing could be sent.
  void close(const ngtcp2_connection_close_error& ccerr, Instant now);

  net::SocketAddr remote_;
  sockaddr_storage local_ss_{}, remote_ss_{};
  socklen_t local_len_ = 0, remote_len_ = 0;
  // A packet the socket did not take yet (EAGAIN): sent first on the next drive().
  std::vector<std::uint8_t> blocked_;
  net::SocketAddr blocked_to_;
  // Closing/draining: the close packet (empty when draining) and when to forget the connection.
  enum class State : std::uint8_t { open, closing, draining, gone };
  State state_ = State::open;
  std::vector<std::uint8_t> close_pkt_;
  Instant close_deadline_{};
  bool close_pending_ = false;  // close_pkt_ must be (re)sent
  // Graceful shutdown: GOAWAY(max) when the server starts draining, GOAWAY(last) a little later.
  bool notice_sent_ = false, goaway_sent_ = false;
  Instant goaway_at_{};
  ngtcp2_connection_close_error last_error_{};
};

// The connections of one endpoint, and the routing of datagrams to them.
class Endpoint {
 public:
  explicit Endpoint(Shared& s) : shared(s) {}

  // Routes one datagram from `from`: to the connection its DCID names; to a new connection if
  // it is a valid client Initial and the limits allow; for an unknown version, a Version
  // Negotiation packet is written to `reply` (sent by the caller, best effort); anything else
  // is dropped and counted.
  void on_datagram(const std::uint8_t* data, std::size_t len, const net::SocketAddr& from,
                   Instant now, std::vector<std::uint8_t>& reply);

  Shared& shared;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> conns;
};

}  // namespace strata::http::h3::detail
