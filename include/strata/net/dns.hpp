// DNS: asynchronous name resolution through c-ares, driven by the runtime's reactor and timers.
//
//   Result<std::vector<net::SocketAddr>> addrs = co_await net::resolve("example.com", 443);
//   if (!addrs) co_return fail(addrs.error());   // "resolve example.com: host not found"
//   Result<net::TcpStream> s = co_await net::connect("example.com", 443);   // + Happy Eyeballs
//
// What resolve() returns: every address of the name, IPv6 and IPv4, deduplicated, in c-ares'
// RFC 6724 order (destination address selection, c-ares skips rules 3, 4 and 7). connect()
// hands that list to TcpStream::connect(span), which interleaves the families (RFC 8305).
//
// Without the network:
// - IP literals ("192.0.2.1", "2001:db8::1", "[2001:db8::1]", "[fe80::1%eth0]") are parsed with
//   SocketAddr's strict parser and returned at once.
// - "localhost" and names under ".localhost" (RFC 6761 §6.3) are [::1, 127.0.0.1].
// - The hosts file is read first ("fb" lookups: files, then DNS). Its path is /etc/hosts, or
//   $CARES_HOSTS when that variable is set (c-ares reads it on every query; set it before any
//   runtime thread starts).
//
// Errors (Error::code()): Errc::timed_out (no server answered in time), Errc::cancelled, and the
// DnsErrc values below in dns_category() (NXDOMAIN is DnsErrc::host_not_found). Names are checked
// before any query: at most 253 characters, labels of 1-63 letters, digits, '-' or '_', an
// optional final '.'; anything else is DnsErrc::bad_name.
//
// Design: each resolve() owns its own c-ares channel, created at the first poll and destroyed
// when the future completes or is dropped. The channel's sockets register with the reactor of
// the thread that polls (c-ares' socket-state callback), and ares_timeout() arms a Sleep. No
// thread pool, no locks, no state shared between queries: the future works on the current-thread
// and multi-thread runtimes alike, and dropping it cancels the query (the channel is destroyed
// after its sockets are deregistered; no callback can reach freed memory). The cost is one
// ares_init per query (reading resolv.conf), measured in docs/net.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "strata/net/socket_addr.hpp"
#include "strata/net/tcp_stream.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/reactor.hpp"
#include "strata/rt/task.hpp"
#include "strata/rt/time.hpp"

struct ares_addrinfo;
struct ares_channeldata;

namespace strata::net {

// Why a name did not resolve (besides Errc::timed_out and Errc::cancelled).
enum class DnsErrc {
  host_not_found = 1,  // NXDOMAIN, or not in the hosts file and no DNS answer
  no_data,             // the name exists but has no address of the requested family
  server_failure,      // SERVFAIL
  refused,             // the server refused the query (REFUSED)
  connection_refused,  // no server could be reached (ICMP port unreachable, TCP RST)
  bad_response,        // malformed or unexpected answer (FORMERR, bad packet)
  bad_name,            // the name is not a valid host name
  failure,             // any other resolver failure (the context names it)
};

const std::error_category& dns_category() noexcept;
inline std::error_code make_error_code(DnsErrc e) noexcept {
  return {static_cast<int>(e), dns_category()};
}
inline bool operator==(const Error& e, DnsErrc c) noexcept {
  return e.code() == make_error_code(c);
}

// Which address families resolve() asks for.
enum class AddressFamily : std::uint8_t { any, v4, v6 };

// Options of one resolution. Trivially destructible on purpose: it is usually built inside a
// `co_await` expression (g++ 12 destroys such aggregate temporaries twice).
struct ResolveOptions {
  // Time each server gets to answer on the first try (c-ares scales it on later tries).
  std::chrono::milliseconds timeout{2000};
  // Attempts per server.
  int tries = 2;
  AddressFamily family = AddressFamily::any;
  // Look in the hosts file before asking DNS.
  bool use_hosts_file = true;
  // Name servers to ask instead of resolv.conf's (port 0 means 53). resolve() copies them;
  // connect() reads them when it resolves, so they must outlive the connect() task.
  std::span<const SocketAddr> servers{};
};

// The future of resolve(). Movable only before its first poll.
class [[nodiscard]] ResolveFuture {
 public:
  ResolveFuture(std::string_view host, std::uint16_t port, const ResolveOptions& opts);
  ResolveFuture(ResolveFuture&& o) noexcept;
  ResolveFuture& operator=(ResolveFuture&&) = delete;
  ~ResolveFuture();

  Poll<Result<std::vector<SocketAddr>>> poll(Context& cx);

 private:
  struct Sock;
  static void on_sock_state(void* self, int fd, int readable, int writable);
  static void on_result(void* self, int status, int timeouts, ares_addrinfo* res);
  Result<void> start();
  // Drives the channel's sockets and timer; true when something was processed.
  bool drive(Context& cx);
  void destroy_channel() noexcept;

  std::string host_;
  std::uint16_t port_;
  ResolveOptions opts_;
  std::vector<SocketAddr> servers_;
  ares_channeldata* channel_ = nullptr;
  std::vector<std::unique_ptr<Sock>> socks_;
  std::optional<Sleep> timer_;
  std::optional<Result<std::vector<SocketAddr>>> result_;
  bool started_ = false;
};

// Resolves `host` to socket addresses with `port` (all of them; see the top of this file).
ResolveFuture resolve(std::string_view host, std::uint16_t port, const ResolveOptions& opts = {});

// What connect() does around the Happy Eyeballs connect.
struct ConnectOptions {
  // Deadline for resolving and connecting together; zero = none.
  Duration timeout = Duration::zero();
  Duration attempt_delay = std::chrono::milliseconds(250);
  ResolveOptions resolve{};
};

// Resolves `host` and connects to the first reachable address (TcpStream::connect(span)).
// Errors name the host: "connect example.com:443: Connection refused".
Task<Result<TcpStream>> connect(std::string host, std::uint16_t port, ConnectOptions opts = {});

}  // namespace strata::net

template <>
struct std::is_error_code_enum<strata::net::DnsErrc> : std::true_type {};
