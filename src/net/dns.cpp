// c-ares integration: one channel per ResolveFuture, its sockets on the reactor, its timeouts on a
// Sleep. See include/strata/net/dns.hpp for the contract.
#include "strata/net/dns.hpp"

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <mutex>
#include <string>
#include <utility>

#include "strata/net/ip_addr.hpp"

namespace strata::net {

namespace {

class DnsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dns"; }
  std::string message(int ev) const override {
    switch (static_cast<DnsErrc>(ev)) {
      case DnsErrc::host_not_found:
        return "host not found";
      case DnsErrc::no_data:
        return "no address of the requested family";
      case DnsErrc::server_failure:
        return "name server failure";
      case DnsErrc::refused:
        return "query refused by the name server";
      case DnsErrc::connection_refused:
        return "could not contact a name server";
      case DnsErrc::bad_response:
        return "malformed name server response";
      case DnsErrc::bad_name:
        return "invalid host name";
      case DnsErrc::failure:
        return "resolver failure";
    }
    return "unknown dns error";
  }
};

Error status_error(int status, const std::string& host) {
  std::string ctx = "resolve " + host;
  switch (status) {
    case ARES_ENOTFOUND:
      return {DnsErrc::host_not_found, std::move(ctx)};
    case ARES_ENODATA:
      return {DnsErrc::no_data, std::move(ctx)};
    case ARES_ESERVFAIL:
      return {DnsErrc::server_failure, std::move(ctx)};
    case ARES_EREFUSED:
      return {DnsErrc::refused, std::move(ctx)};
    case ARES_ECONNREFUSED:
      return {DnsErrc::connection_refused, std::move(ctx)};
    case ARES_EFORMERR:
    case ARES_EBADRESP:
    case ARES_EOF:
      return {DnsErrc::bad_response, std::move(ctx)};
    case ARES_EBADNAME:
    case ARES_ENONAME:
      return {DnsErrc::bad_name, std::move(ctx)};
    case ARES_ETIMEOUT:
      return {Errc::timed_out, std::move(ctx)};
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return {Errc::cancelled, std::move(ctx)};
    case ARES_ENOMEM:
      return {std::make_error_code(std::errc::not_enough_memory), std::move(ctx)};
    default:
      return {DnsErrc::failure, ctx + " (" + ares_strerror(status) + ")"};
  }
}

// RFC 1123 host names, plus '_' (used in service labels); bounded to DNS's limits.
bool valid_host_name(std::string_view h) {
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  if (h.empty() || h.size() > 253) return false;
  std::size_t label = 0;
  for (char c : h) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label != 0;
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// "localhost", "localhost.", "x.localhost" (RFC 6761 §6.3).
bool is_localhost(std::string_view h) {
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  constexpr std::string_view name = "localhost";
  if (h.size() < name.size() || !ascii_iequal(h.substr(h.size() - name.size()), name)) {
    return false;
  }
  return h.size() == name.size() || h[h.size() - name.size() - 1] == '.';
}

// An IP literal, bare or in brackets, with an optional zone for IPv6.
std::optional<SocketAddr> parse_literal(std::string_view h, std::uint16_t port) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (auto ip = IpAddr::parse(h)) {
    return SocketAddr(*ip, port);
  }
  if (h.find(':') == std::string_view::npos) return std::nullopt;
  std::string text;
  text.reserve(h.size() + 4);
  text.append("[").append(h).append("]:0");
  auto sa = SocketAddr::parse(text);
  if (!sa) return std::nullopt;
  sa->set_port(port);
  return *sa;
}

bool family_ok(const SocketAddr& a, AddressFamily f) {
  return f == AddressFamily::any || (f == AddressFamily::v6) == a.is_ipv6();
}

// Whether `fd` is ready for `events` now (level), so that a stale edge costs no c-ares call.
bool level_ready(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

char lookups_files_dns[] = "fb";
char lookups_dns[] = "b";

}  // namespace

const std::error_category& dns_category() noexcept {
  static const DnsCategory category;
  return category;
}

// One socket of the channel, registered with the reactor of the thread that polled when c-ares
// opened it.
struct ResolveFuture::Sock {
  Sock(int f, IoRegistration r) noexcept : fd(f), reg(std::move(r)) {}
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;

  int fd;
  IoRegistration reg;
  bool want_read = false;
  bool want_write = false;

  // Drops our task's wakers (the reactor frees the source only at its next poll; see
  // EventedFd::release), then deregisters, before c-ares closes the fd.
  ~Sock() {
    Waker noop = Waker::noop();
    Context cx(noop);
    (void)reg.poll_ready(cx, Interest::readable);
    (void)reg.poll_ready(cx, Interest::writable);
  }

  // True when ready for `in` now; otherwise the waker is stored and false returned.
  bool ready(Context& cx, Interest in) {
    const short ev = in == Interest::readable ? POLLIN : POLLOUT;
    for (int i = 0; i < 4; ++i) {
      Poll<ReadyEvent> p = reg.poll_ready(cx, in);
      if (p.is_pending()) return false;
      const ReadyEvent e = p.take();
      if (level_ready(fd, ev)) return true;
      reg.clear_readiness(e);  // a stale edge: wait for the next one
    }
    return true;  // events keep coming: let c-ares look (it handles EAGAIN)
  }
};

ResolveFuture::ResolveFuture(std::string_view host, std::uint16_t port, const ResolveOptions& opts)
    : host_(host), port_(port), opts_(opts), servers_(opts.servers.begin(), opts.servers.end()) {
  opts_.servers = {};
  if (auto lit = parse_literal(host, port)) {
    if (family_ok(*lit, opts_.family)) {
      result_.emplace(std::vector<SocketAddr>{*lit});
    } else {
      result_.emplace(fail(Error(DnsErrc::no_data, "resolve " + host_)));
    }
  } else if (!valid_host_name(host)) {
    // Bounded context: the name may be arbitrary input of any length.
    const std::size_t shown = std::min<std::size_t>(host_.size(), 64);
    result_.emplace(fail(Error(DnsErrc::bad_name, "resolve " + host_.substr(0, shown) +
                                                      (shown < host_.size() ? "..." : ""))));
  } else if (is_localhost(host)) {
    std::vector<SocketAddr> v;
    if (opts_.family != AddressFamily::v4) v.emplace_back(SocketAddrV6(Ipv6Addr::localhost, port));
    if (opts_.family != AddressFamily::v6) v.emplace_back(SocketAddrV4(Ipv4Addr::localhost, port));
    result_.emplace(std::move(v));
  }
}

ResolveFuture::ResolveFuture(ResolveFuture&& o) noexcept
    : host_(std::move(o.host_)),
      port_(o.port_),
      opts_(o.opts_),
      servers_(std::move(o.servers_)),
      result_(std::move(o.result_)) {
  assert(!o.started_ && "a ResolveFuture cannot move after its first poll");
}

ResolveFuture::~ResolveFuture() {
  destroy_channel();
}

void ResolveFuture::destroy_channel() noexcept {
  if (!channel_) return;
  // Deregister every socket while c-ares still has it open (a closed fd number may be reused by
  // another thread at once), then let ares_destroy close them and cancel the query: its
  // callbacks see channel_ == nullptr and only free what they are given.
  ares_channeldata* ch = std::exchange(channel_, nullptr);
  socks_.clear();
  timer_.reset();
  ares_destroy(ch);
}

Result<void> ResolveFuture::start() {
  library_init();
  ares_options o{};
  o.sock_state_cb = &ResolveFuture::on_sock_state;
  o.sock_state_cb_data = this;
  o.timeout = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
      opts_.timeout.count(), 1, std::chrono::milliseconds::rep{24 * 3600 * 1000}));
  o.tries = std::max(opts_.tries, 1);
  o.lookups = opts_.use_hosts_file ? lookups_files_dns : lookups_dns;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  ares_channeldata* ch = nullptr;
  if (int st = ares_init_options(&ch, &o, mask); st != ARES_SUCCESS) {
    return fail(status_error(st, host_));
  }
  channel_ = ch;
  if (!servers_.empty()) {
    std::string csv;
    for (const SocketAddr& s : servers_) {
      SocketAddr a = s;
      if (a.port() == 0) a.set_port(53);
      if (!csv.empty()) csv += ',';
      csv += a.to_string();
    }
    if (int st = ares_set_servers_ports_csv(channel_, csv.c_str()); st != ARES_SUCCESS) {
      return fail(status_error(st, host_));
    }
  }
  ares_addrinfo_hints hints{};
  hints.ai_flags = ARES_AI_ENVHOSTS;
  hints.ai_family = opts_.family == AddressFamily::v4   ? AF_INET
                    : opts_.family == AddressFamily::v6 ? AF_INET6
                                                        : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // May complete at once (hosts file, errors): on_result sets result_.
  ares_getaddrinfo(channel_, host_.c_str(), nullptr, &hints, &ResolveFuture::on_result, this);
  return {};
}

void ResolveFuture::on_sock_state(void* data, int fd, int readable, int writable) {
  auto* self = static_cast<ResolveFuture*>(data);
  if (!self->channel_) return;  // being destroyed: the sockets were deregistered already
  auto it = std::find_if(self->socks_.begin(), self->socks_.end(),
                         [fd](const std::unique_ptr<Sock>& s) { return s->fd == fd; });
  if (!readable && !writable) {
    if (it != self->socks_.end()) self->socks_.erase(it);
    return;
  }
  if (it == self->socks_.end()) {
    auto reg = IoRegistration::create(fd);
    if (!reg) {
      if (!self->result_)
        self->result_.emplace(fail(Error(reg.error().code(), "resolve " + self->host_)));
      return;
    }
    self->socks_.push_back(std::make_unique<Sock>(fd, std::move(*reg)));
    it = std::prev(self->socks_.end());
  }
  (*it)->want_read = readable != 0;
  (*it)->want_write = writable != 0;
}

void ResolveFuture::on_result(void* data, int status, int, ares_addrinfo* res) {
  auto* self = static_cast<ResolveFuture*>(data);
  if (!self->channel_ || self->result_) {  // cancelled, or failed already
    if (res) ares_freeaddrinfo(res);
    return;
  }
  if (status != ARES_SUCCESS) {
    if (res) ares_freeaddrinfo(res);
    self->result_.emplace(fail(status_error(status, self->host_)));
    return;
  }
  std::vector<SocketAddr> out;
  for (ares_addrinfo_node* n = res ? res->nodes : nullptr; n; n = n->ai_next) {
    auto a = SocketAddr::from_sockaddr(n->ai_addr, n->ai_addrlen);
    if (!a || !family_ok(*a, self->opts_.family)) continue;
    a->set_port(self->port_);
    if (std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
  }
  if (res) ares_freeaddrinfo(res);
  if (out.empty()) {
    self->result_.emplace(fail(Error(DnsErrc::no_data, "resolve " + self->host_)));
  } else {
    self->result_.emplace(std::move(out));
  }
}

bool ResolveFuture::drive(Context& cx) {
  // Bounded: after this many c-ares calls in one poll, yield to other tasks.
  for (int calls = 0; calls < 64; ++calls) {
    if (result_) return true;
    bool processed = false;
    for (std::size_t i = 0; i < socks_.size(); ++i) {
      Sock& s = *socks_[i];
      const int fd = s.fd;
      const int rfd = s.want_read && s.ready(cx, Interest::readable) ? fd : ARES_SOCKET_BAD;
      const int wfd = s.want_write && s.ready(cx, Interest::writable) ? fd : ARES_SOCKET_BAD;
      if (rfd == ARES_SOCKET_BAD && wfd == ARES_SOCKET_BAD) continue;
      ares_process_fd(channel_, rfd, wfd);  // may add or remove sockets: rescan
      processed = true;
      break;
    }
    if (processed) continue;
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
      timer_.reset();
      return false;
    }
    const Instant deadline =
        Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
    if (!timer_) {
      timer_.emplace(deadline);
    } else if (deadline < timer_->deadline() || timer_->is_elapsed()) {
      timer_->reset(deadline);
    }
    if (timer_->poll(cx).is_pending()) return false;
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // expire timed-out queries
    timer_.reset();
  }
  cx.waker().wake_by_ref();
  return false;
}

Poll<Result<std::vector<SocketAddr>>> ResolveFuture::poll(Context& cx) {
  if (!started_) {
    started_ = true;
    if (!result_) {
      if (auto r = start(); !r) result_.emplace(fail(r.error()));
    }
  }
  if (!result_) drive(cx);
  if (!result_) return pending;
  destroy_channel();
  return std::move(*result_);
}

ResolveFuture resolve(std::string_view host, std::uint16_t port, const ResolveOptions& opts) {
  return ResolveFuture(host, port, opts);
}

namespace {

Task<Result<TcpStream>> connect_resolved(std::string host, std::uint16_t port,
                                         ConnectOptions opts) {
  auto addrs = co_await resolve(host, port, opts.resolve);
  if (!addrs) co_return fail(addrs.error());
  auto s = co_await TcpStream::connect(std::span<const SocketAddr>(*addrs), opts.attempt_delay);
  if (!s) {
    co_return fail(Error(s.error().code(), "connect " + host + ":" + std::to_string(port)));
  }
  co_return std::move(*s);
}

}  // namespace

Task<Result<TcpStream>> connect(std::string host, std::uint16_t port, ConnectOptions opts) {
  if (opts.timeout <= Duration::zero()) {
    co_return co_await connect_resolved(std::move(host), port, opts);
  }
  std::string ctx = "connect " + host + ":" + std::to_string(port);
  auto r = co_await timeout(opts.timeout, connect_resolved(std::move(host), port, opts));
  if (!r) co_return fail(Error(r.error().code(), std::move(ctx)));
  co_return std::move(*r);
}

}  // namespace strata::net
