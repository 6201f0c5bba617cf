#include "strata/tls/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "openssl_util.hpp"

namespace strata::tls {

using detail::BioPtr;
using detail::config_error;
using detail::memory_bio;
using detail::PkeyPtr;

// ---- Certificate ----

Certificate Certificate::adopt(x509_st* x) noexcept {
  return Certificate(x);
}
Certificate Certificate::share(x509_st* x) noexcept {
  if (x) X509_up_ref(x);
  return Certificate(x);
}
Certificate::Certificate(const Certificate& o) noexcept : x_(o.x_) {
  if (x_) X509_up_ref(x_);
}
Certificate& Certificate::operator=(const Certificate& o) noexcept {
  if (this != &o) {
    if (o.x_) X509_up_ref(o.x_);
    X509_free(x_);
    x_ = o.x_;
  }
  return *this;
}
Certificate& Certificate::operator=(Certificate&& o) noexcept {
  if (this != &o) {
    X509_free(x_);
    x_ = o.x_;
    o.x_ = nullptr;
  }
  return *this;
}
Certificate::~Certificate() {
  X509_free(x_);
}

Result<std::vector<Certificate>> Certificate::parse_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  std::vector<Certificate> out;
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.push_back(adopt(x));
  }
  // The loop ends at the end of the text (PEM_R_NO_START_LINE) or at a malformed entry.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 &&
      !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return config_error("parse PEM certificate");
  }
  ERR_clear_error();
  if (out.empty()) {
    return std::unexpected(
        Error(make_error_code(TlsErrc::invalid_config), "parse PEM certificate: none found"));
  }
  return out;
}

Result<Certificate> Certificate::parse_der(std::span<const std::byte> der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!x) return config_error("parse DER certificate");
  return adopt(x);
}

namespace {

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::chrono::system_clock::time_point asn1_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

template <class F>
void for_each_san(X509* x, int type, F&& f) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == type) f(g);
  }
  GENERAL_NAMES_free(names);
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

}  // namespace

std::string Certificate::subject() const {
  return x_ ? name_text(X509_get_subject_name(x_)) : std::string();
}
std::string Certificate::issuer() const {
  return x_ ? name_text(X509_get_issuer_name(x_)) : std::string();
}
std::string Certificate::common_name() const {
  if (!x_) return {};
  const X509_NAME* name = X509_get_subject_name(x_);
  int last = -1;
  for (int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) {
    last = i;
  }
  if (last < 0) return {};
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}
std::vector<std::string> Certificate::dns_names() const {
  std::vector<std::string> out;
  if (!x_) return out;
  for_each_san(x_, GEN_DNS, [&](const GENERAL_NAME* g) {
    const ASN1_IA5STRING* s = g->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
  });
  return out;
}
std::vector<std::string> Certificate::ip_addresses() const {
  std::vector<std::string> out;
  if (!x_) return out;
  for_each_san(x_, GEN_IPADD, [&](const GENERAL_NAME* g) {
    const ASN1_OCTET_STRING* s = g->d.iPAddress;
    char buf[INET6_ADDRSTRLEN];
    const int len = ASN1_STRING_length(s);
    const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
    if (family && inet_ntop(family, ASN1_STRING_get0_data(s), buf, sizeof buf))
      out.emplace_back(buf);
  });
  return out;
}
std::chrono::system_clock::time_point Certificate::not_before() const {
  return x_ ? asn1_time(X509_get0_notBefore(x_)) : std::chrono::system_clock::time_point{};
}
std::chrono::system_clock::time_point Certificate::not_after() const {
  return x_ ? asn1_time(X509_get0_notAfter(x_)) : std::chrono::system_clock::time_point{};
}
std::string Certificate::serial_hex() const {
  if (!x_) return {};
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x_), nullptr);
  if (!bn) return {};
  char* text = BN_bn2hex(bn);
  std::string out = text ? text : "";
  OPENSSL_free(text);
  BN_free(bn);
  return out;
}
std::string Certificate::sha256_fingerprint() const {
  if (!x_) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x_, EVP_sha256(), md, &n) != 1) return {};
  return hex(md, n);
}
std::vector<std::byte> Certificate::der() const {
  std::vector<std::byte> out;
  if (!x_) return out;
  int n = i2d_X509(x_, nullptr);
  if (n <= 0) return out;
  out.resize(static_cast<std::size_t>(n));
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_X509(x_, &p);
  return out;
}
std::string Certificate::pem() const {
  if (!x_) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x_);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// ---- Identity ----

struct Identity::Data {
  Certificate leaf = Certificate::adopt(nullptr);
  std::vector<Certificate> intermediates;
  PkeyPtr key;
  std::vector<std::string> names;
};

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(Error(make_error_code(TlsErrc::invalid_config), "cannot read " + path));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<Identity> Identity::from_pem(std::string_view chain_pem, std::string_view key_pem) {
  Result<std::vector<Certificate>> chain = Certificate::parse_pem(chain_pem);
  if (!chain) return std::unexpected(std::move(chain).error());
  BioPtr bio = memory_bio(key_pem);
  ERR_clear_error();
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return config_error("parse PEM private key");
  if (X509_check_private_key((*chain)[0].native(), key.get()) != 1) {
    return config_error("the private key does not match the certificate");
  }
  auto d = std::make_shared<Data>();
  d->leaf = (*chain)[0];
  d->intermediates.assign(chain->begin() + 1, chain->end());
  d->key = std::move(key);
  for (std::string& n : d->leaf.dns_names()) d->names.push_back(lower(std::move(n)));
  for (std::string& n : d->leaf.ip_addresses()) d->names.push_back(std::move(n));
  if (d->names.empty()) {
    std::string cn = d->leaf.common_name();
    if (!cn.empty()) d->names.push_back(lower(std::move(cn)));
  }
  return Identity(std::move(d));
}

Result<Identity> Identity::from_pem_files(const std::string& chain_path,
                                          const std::string& key_path) {
  Result<std::string> chain = read_file(chain_path);
  if (!chain) return std::unexpected(std::move(chain).error());
  Result<std::string> key = read_file(key_path);
  if (!key) return std::unexpected(std::move(key).error());
  Result<Identity> id = from_pem(*chain, *key);
  if (!id) {
    return std::unexpected(Error(id.error().code(), chain_path + ", " + key_path + ": " +
                                                        std::string(id.error().context())));
  }
  return id;
}

const Certificate& Identity::leaf() const noexcept {
  return d_->leaf;
}
std::span<const Certificate> Identity::intermediates() const noexcept {
  return d_->intermediates;
}
const std::vector<std::string>& Identity::names() const noexcept {
  return d_->names;
}
evp_pkey_st* Identity::native_key() const noexcept {
  return d_->key.get();
}

bool Identity::matches(std::string_view host) const noexcept {
  auto eq = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const std::string& n : d_->names) {
    if (n.starts_with("*.")) {
      // One label: "a.example.com" matches "*.example.com", "example.com" and "b.a.example.com"
      // do not.
      const std::size_t dot = host.find('.');
      if (dot != std::string_view::npos && dot > 0 && eq(host.substr(dot), n.substr(1))) {
        return true;
      }
    } else if (eq(host, n)) {
      return true;
    }
  }
  return false;
}

}  // namespace strata::tls
