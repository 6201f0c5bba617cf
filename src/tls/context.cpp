#include "strata/tls/context.hpp"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "engine.hpp"

namespace strata::tls {

using detail::config_error;
using detail::Engine;
using detail::SslCtxPtr;

namespace {

int version_number(Version v) {
  return v == Version::tls1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

// The wire form of an ALPN list: each name prefixed by its length.
Result<std::string> alpn_wire(const std::vector<std::string>& names) {
  std::string wire;
  for (const std::string& n : names) {
    if (n.empty() || n.size() > 255) {
      return std::unexpected(Error(make_error_code(TlsErrc::invalid_config),
                                   "ALPN protocol names are 1 to 255 bytes"));
    }
    wire += static_cast<char>(n.size());
    wire += n;
  }
  return wire;
}

// A context with the settings both sides share.
Result<SslCtxPtr> make_ctx(const CommonConfig& c, bool server) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return config_error("SSL_CTX_new");
  if (c.min_version > c.max_version) {
    return std::unexpected(
        Error(make_error_code(TlsErrc::invalid_config), "min_version is above max_version"));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), version_number(c.min_version));
  SSL_CTX_set_max_proto_version(ctx.get(), version_number(c.max_version));
  if (c.min_version == Version::tls1_2 &&
      SSL_CTX_set_cipher_list(ctx.get(), c.tls12_ciphers.c_str()) != 1) {
    return config_error("TLS 1.2 cipher list '" + c.tls12_ciphers + "'");
  }
  if (SSL_CTX_set_ciphersuites(ctx.get(), c.tls13_ciphersuites.c_str()) != 1) {
    return config_error("TLS 1.3 cipher suites '" + c.tls13_ciphersuites + "'");
  }
  if (SSL_CTX_set1_groups_list(ctx.get(), c.groups.c_str()) != 1) {
    return config_error("groups '" + c.groups + "'");
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                     (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  // Release record buffers whenever they are empty: an idle connection holds none.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_AUTO_RETRY);
  // Read whole socket buffers at once: one read per burst of records, not two per record.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  return ctx;
}

// Adds the CAs in `pem` and in the file `path` to the context's trust store; their names are
// also collected into `names` (what a server lists in its CertificateRequest) when given.
Result<void> add_cas(SSL_CTX* ctx, const std::string& pem, const std::string& path,
                     STACK_OF(X509_NAME) * names) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  auto add = [&](std::vector<Certificate> certs) {
    for (const Certificate& c : certs) {
      X509_STORE_add_cert(store, c.native());  // a duplicate is not an error here
      if (names) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(c.native())));
    }
  };
  if (!pem.empty()) {
    Result<std::vector<Certificate>> certs = Certificate::parse_pem(pem);
    if (!certs) return std::unexpected(std::move(certs).error());
    add(std::move(*certs));
  }
  if (!path.empty()) {
    BIO* bio = BIO_new_file(path.c_str(), "r");
    if (!bio) return config_error("cannot read CA file " + path);
    std::string text;
    char buf[4096];
    int n;
    while ((n = BIO_read(bio, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    BIO_free(bio);
    Result<std::vector<Certificate>> certs = Certificate::parse_pem(text);
    if (!certs) {
      return std::unexpected(
          Error(certs.error().code(), path + ": " + std::string(certs.error().context())));
    }
    add(std::move(*certs));
  }
  ERR_clear_error();
  return {};
}

Result<void> use_identity(SSL_CTX* ctx, const Identity& id) {
  if (SSL_CTX_use_certificate(ctx, id.leaf().native()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, id.native_key()) != 1) {
    return config_error("use certificate and key");
  }
  for (const Certificate& c : id.intermediates()) {
    if (SSL_CTX_add1_chain_cert(ctx, c.native()) != 1) return config_error("add chain certificate");
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Server

namespace detail {

// Session ticket keys (RFC 5077 layout: name, AES-256-CBC key, HMAC-SHA256 key), newest first.
struct TicketKeys {
  struct Key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
    Instant created;
  };
  std::mutex mu;
  std::vector<Key> keys;  // guarded by mu
  Duration rotation{};
  static constexpr std::size_t kept = 3;  // the current key and two before it

  void rotate_locked(Instant now) {
    Key k{};
    RAND_bytes(k.name, sizeof k.name);
    RAND_bytes(k.aes, sizeof k.aes);
    RAND_bytes(k.hmac, sizeof k.hmac);
    k.created = now;
    keys.insert(keys.begin(), k);
    if (keys.size() > kept) keys.resize(kept);
  }
  Key current() {
    std::lock_guard lock(mu);
    const Instant now = Clock::now();
    if (keys.empty() || (rotation > Duration::zero() && now - keys.front().created >= rotation)) {
      rotate_locked(now);
    }
    return keys.front();
  }
  // The key named `name`, and whether it is the current one.
  std::optional<std::pair<Key, bool>> find(const unsigned char* name) {
    std::lock_guard lock(mu);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (std::memcmp(keys[i].name, name, sizeof keys[i].name) == 0) {
        return std::make_pair(keys[i], i == 0);
      }
    }
    return std::nullopt;
  }
};

// One generation of server contexts (reload() makes a new one): an SSL_CTX per identity, all
// configured alike, the first the default. Sessions keep their generation alive.
struct ServerCtxSet {
  std::vector<SslCtxPtr> ctxs;
  std::vector<Identity> identities;
  std::shared_ptr<TicketKeys> tickets;
  std::string alpn_wire;
  bool reject_unknown_alpn = true;
};

struct ServerContextImpl {
  ServerConfig config;
  std::shared_ptr<TicketKeys> tickets = std::make_shared<TicketKeys>();
  mutable std::mutex mu;
  std::shared_ptr<const ServerCtxSet> current;  // guarded by mu

  std::shared_ptr<const ServerCtxSet> load() const {
    std::lock_guard lock(mu);
    return current;
  }
};

namespace {

ServerCtxSet* set_of(SSL* ssl) {
  return static_cast<ServerCtxSet*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

int on_servername(SSL* ssl, int*, void*) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  ServerCtxSet* set = set_of(ssl);
  if (!name || !set) return SSL_TLSEXT_ERR_OK;
  for (std::size_t i = 0; i < set->identities.size(); ++i) {
    if (set->identities[i].matches(name)) {
      if (i != 0) SSL_set_SSL_CTX(ssl, set->ctxs[i].get());
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_OK;  // no match: the default certificate
}

int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
            unsigned int inlen, void*) {
  ServerCtxSet* set = set_of(ssl);
  if (!set || set->alpn_wire.empty()) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* selected = nullptr;
  // Server preference: our list first.
  if (SSL_select_next_proto(
          &selected, outlen, reinterpret_cast<const unsigned char*>(set->alpn_wire.data()),
          static_cast<unsigned int>(set->alpn_wire.size()), in, inlen) == OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return set->reject_unknown_alpn ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK;
}

int on_ticket_key(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                  EVP_MAC_CTX* mac, int enc) {
  ServerCtxSet* set = set_of(ssl);
  if (!set) return -1;
  auto mac_key = [&](const unsigned char* key) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key), 32),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(mac, params) == 1;
  };
  if (enc == 1) {
    TicketKeys::Key k = set->tickets->current();
    std::memcpy(name, k.name, sizeof k.name);
    if (RAND_bytes(iv, 16) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aes, iv) != 1) return -1;
    return mac_key(k.hmac) ? 1 : -1;
  }
  std::optional<std::pair<TicketKeys::Key, bool>> k = set->tickets->find(name);
  if (!k) return 0;  // unknown or retired key: a full handshake
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k->first.aes, iv) != 1) return -1;
  if (!mac_key(k->first.hmac)) return -1;
  // 2: valid, and issue a fresh ticket under the current key. TLS 1.3 always gets one: its
  // tickets are meant for one use (RFC 8446 §C.4), and OpenSSL sends none after a resumption
  // that returned 1, which would leave the client without a ticket for its next connection.
  return k->second && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

Result<std::shared_ptr<const ServerCtxSet>> build_server_set(
    const ServerConfig& c, const std::vector<Identity>& identities,
    std::shared_ptr<TicketKeys> tickets) {
  if (identities.empty()) {
    return std::unexpected(Error(make_error_code(TlsErrc::invalid_config),
                                 "tls::ServerConfig: at least one identity is required"));
  }
  if (c.client_auth != ClientAuth::none && c.client_ca_pem.empty() && c.client_ca_file.empty()) {
    return std::unexpected(Error(make_error_code(TlsErrc::invalid_config),
                                 "tls::ServerConfig: client_auth needs client_ca_pem or _file"));
  }
  auto set = std::make_shared<ServerCtxSet>();
  set->identities = identities;
  set->tickets = std::move(tickets);
  set->reject_unknown_alpn = c.reject_unknown_alpn;
  Result<std::string> wire = alpn_wire(c.alpn);
  if (!wire) return std::unexpected(std::move(wire).error());
  set->alpn_wire = std::move(*wire);
  for (const Identity& id : identities) {
    Result<SslCtxPtr> ctx = make_ctx(c, true);
    if (!ctx) return std::unexpected(std::move(ctx).error());
    SSL_CTX* x = ctx->get();
    if (Result<void> r = use_identity(x, id); !r) return std::unexpected(std::move(r).error());
    SSL_CTX_set_app_data(x, set.get());
    SSL_CTX_set_tlsext_servername_callback(x, on_servername);
    SSL_CTX_set_alpn_select_cb(x, on_alpn, nullptr);
    static constexpr unsigned char sid_ctx[] = "strata";
    SSL_CTX_set_session_id_context(x, sid_ctx, sizeof sid_ctx - 1);
    // No server-side session cache: resumption is by stateless tickets only (no memory per
    // session on the server, and it works across workers and processes sharing the keys).
    SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
    if (c.session_tickets) {
      SSL_CTX_set_tlsext_ticket_key_evp_cb(x, on_ticket_key);
      SSL_CTX_set_num_tickets(x, c.tickets_per_handshake);
      SSL_CTX_set_timeout(
          x, static_cast<long>(
                 std::chrono::duration_cast<std::chrono::seconds>(c.session_lifetime).count()));
    } else {
      SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(x, 0);
    }
    if (c.client_auth != ClientAuth::none) {
      STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
      Result<void> r = add_cas(x, c.client_ca_pem, c.client_ca_file, names);
      if (!r) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return std::unexpected(std::move(r).error());
      }
      SSL_CTX_set_client_CA_list(x, names);  // takes ownership
      SSL_CTX_set_verify(
          x,
          SSL_VERIFY_PEER |
              (c.client_auth == ClientAuth::required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
          nullptr);
    }
    set->ctxs.push_back(std::move(*ctx));
  }
  return std::shared_ptr<const ServerCtxSet>(std::move(set));
}

}  // namespace
}  // namespace detail

Result<ServerContext> ServerContext::create(ServerConfig config) {
  auto impl = std::make_shared<detail::ServerContextImpl>();
  impl->config = std::move(config);
  impl->tickets->rotation = impl->config.ticket_key_rotation;
  auto set = detail::build_server_set(impl->config, impl->config.identities, impl->tickets);
  if (!set) return std::unexpected(std::move(set).error());
  impl->current = std::move(*set);
  return ServerContext(std::move(impl));
}

Result<void> ServerContext::reload(std::vector<Identity> identities) const {
  auto set = detail::build_server_set(impl_->config, identities, impl_->tickets);
  if (!set) return std::unexpected(std::move(set).error());
  std::lock_guard lock(impl_->mu);
  impl_->current = std::move(*set);
  impl_->config.identities = std::move(identities);
  return {};
}

void ServerContext::rotate_ticket_keys() const {
  std::lock_guard lock(impl_->tickets->mu);
  impl_->tickets->rotate_locked(Clock::now());
}

const ServerConfig& ServerContext::config() const noexcept {
  return impl_->config;
}

Result<Session> ServerContext::new_session() const {
  std::shared_ptr<const detail::ServerCtxSet> set = impl_->load();
  SSL_CTX* ctx = set->ctxs.front().get();
  Result<std::unique_ptr<Engine>> e =
      Engine::create(ctx, true, impl_->config.handshake_timeout, std::move(set));
  if (!e) return std::unexpected(std::move(e).error());
  return Session(std::move(*e));
}

// ---------------------------------------------------------------------------------------------
// Client

namespace detail {

struct ClientContextImpl {
  ClientConfig config;
  SslCtxPtr ctx;
  mutable std::mutex mu;
  std::unordered_map<std::string, SSL_SESSION*> sessions;  // guarded by mu

  ~ClientContextImpl() {
    for (auto& [key, s] : sessions) SSL_SESSION_free(s);
  }
};

namespace {

int on_new_session(SSL* ssl, SSL_SESSION* sess) {
  auto* impl = static_cast<ClientContextImpl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  auto* e = static_cast<Engine*>(SSL_get_app_data(ssl));
  if (!impl || !e || e->cache_key.empty() || !SSL_SESSION_is_resumable(sess)) return 0;
  if (impl->config.session_cache_size == 0) return 0;
  std::lock_guard lock(impl->mu);
  auto [it, inserted] = impl->sessions.try_emplace(e->cache_key, sess);
  if (!inserted) {
    SSL_SESSION_free(it->second);
    it->second = sess;
  } else if (impl->sessions.size() > impl->config.session_cache_size) {
    // Over the limit: forget another server (any one; the cache is a convenience).
    auto victim = impl->sessions.begin();
    if (victim == it) ++victim;
    SSL_SESSION_free(victim->second);
    impl->sessions.erase(victim);
  }
  return 1;  // we keep the reference
}

// A TLS 1.2 resumption that renewed its ticket: OpenSSL retires the session it resumed from
// but does not report the renewed one (it calls the new-session callback only for full TLS 1.2
// handshakes), so the client would fall back to a full handshake next time. Store it here.
void on_client_handshake_done(Engine& e) {
  if (!SSL_session_reused(e.ssl) || SSL_version(e.ssl) != TLS1_2_VERSION) return;
  SSL_SESSION* sess = SSL_get1_session(e.ssl);
  if (sess && on_new_session(e.ssl, sess) == 0) SSL_SESSION_free(sess);
}

}  // namespace
}  // namespace detail

Result<ClientContext> ClientContext::create(ClientConfig config) {
  auto impl = std::make_shared<detail::ClientContextImpl>();
  impl->config = std::move(config);
  const ClientConfig& c = impl->config;
  Result<SslCtxPtr> ctx = make_ctx(c, false);
  if (!ctx) return std::unexpected(std::move(ctx).error());
  SSL_CTX* x = ctx->get();
  if (c.danger_accept_invalid_certificates) {
    SSL_CTX_set_verify(x, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(x, SSL_VERIFY_PEER, nullptr);
    if (c.use_system_roots && SSL_CTX_set_default_verify_paths(x) != 1) {
      return config_error("load the system CA store");
    }
    Result<void> r = add_cas(x, c.ca_pem, c.ca_file, nullptr);
    if (!r) return std::unexpected(std::move(r).error());
  }
  if (c.identity) {
    Result<void> r = use_identity(x, *c.identity);
    if (!r) return std::unexpected(std::move(r).error());
  }
  if (!c.alpn.empty()) {
    Result<std::string> wire = alpn_wire(c.alpn);
    if (!wire) return std::unexpected(std::move(wire).error());
    if (SSL_CTX_set_alpn_protos(x, reinterpret_cast<const unsigned char*>(wire->data()),
                                static_cast<unsigned int>(wire->size())) != 0) {
      return config_error("set ALPN protocols");
    }
  }
  if (c.session_resumption) {
    SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(x, detail::on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
  }
  SSL_CTX_set_app_data(x, impl.get());
  impl->ctx = std::move(*ctx);
  return ClientContext(std::move(impl));
}

Result<Session> ClientContext::new_session(std::string_view server_name,
                                           std::string_view cache_key) const {
  const ClientConfig& c = impl_->config;
  std::string name(server_name);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  unsigned char addr[16];
  const bool is_ip =
      inet_pton(AF_INET, name.c_str(), addr) == 1 || inet_pton(AF_INET6, name.c_str(), addr) == 1;
  Result<std::unique_ptr<Engine>> made =
      Engine::create(impl_->ctx.get(), false, c.handshake_timeout, impl_);
  if (!made) return std::unexpected(std::move(made).error());
  std::unique_ptr<Engine> e = std::move(*made);
  SSL* ssl = e->ssl;
  if (!is_ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    return config_error("SNI name '" + name + "'");
  }
  if (!c.danger_accept_invalid_certificates && !c.danger_accept_invalid_hostnames) {
    if (name.empty()) {
      return std::unexpected(Error(make_error_code(TlsErrc::invalid_config),
                                   "tls::connect: a server name is required to verify"));
    }
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str())
                         : SSL_set1_host(ssl, name.c_str());
    if (ok != 1) return config_error("verify name '" + name + "'");
  }
  if (c.session_resumption) {
    e->on_handshake_done = detail::on_client_handshake_done;
    e->cache_key = cache_key.empty() ? name : std::string(cache_key);
    std::lock_guard lock(impl_->mu);
    auto it = impl_->sessions.find(e->cache_key);
    if (it != impl_->sessions.end()) SSL_set_session(ssl, it->second);
  }
  return Session(std::move(e));
}

std::size_t ClientContext::cached_sessions() const {
  std::lock_guard lock(impl_->mu);
  return impl_->sessions.size();
}

void ClientContext::clear_session_cache() const {
  std::lock_guard lock(impl_->mu);
  for (auto& [key, s] : impl_->sessions) SSL_SESSION_free(s);
  impl_->sessions.clear();
}

const ClientConfig& ClientContext::config() const noexcept {
  return impl_->config;
}

}  // namespace strata::tls
