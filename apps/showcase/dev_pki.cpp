// The development PKI (dev_pki.hpp), written with OpenSSL 3's EVP and X509 APIs.
#include "dev_pki.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <system_error>

namespace showcase {
namespace {

using strata::Errc;
using strata::fail;
using strata::Result;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(FILE* p) const { std::fclose(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

std::unexpected<strata::Error> openssl_error(const char* what) {
  return fail(Errc::invalid_input, std::string("dev pki: ") + what + " failed");
}

Key new_key() {
  return Key(EVP_EC_gen("P-256"));
}

// A v3 extension by its config-file spelling (e.g. "critical,CA:TRUE").
bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, named `cn`, signed by `issuer_key` (self-signed when issuer is null).
Cert make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, long days,
               bool ca) {
  Cert cert(X509_new());
  if (!cert) return nullptr;
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  ASN1_INTEGER* sn = BN_to_ASN1_INTEGER(bn, nullptr);
  BN_free(bn);
  const bool ok_serial = sn && X509_set_serialNumber(cert.get(), sn) == 1;
  ASN1_INTEGER_free(sn);
  if (!ok_serial || X509_set_version(cert.get(), 2) != 1) return nullptr;
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // an hour of clock skew
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Strata showcase"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1) return nullptr;
  if (X509_set_pubkey(cert.get(), key) != 1) return nullptr;
  bool ok = add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ca) {
    ok = ok && add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
         add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always") &&
         add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature") &&
         add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
         add_ext(cert.get(), signer, NID_subject_alt_name,
                 "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
  }
  if (!ok) return nullptr;
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

Result<void> write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
  if (fd < 0)
    return fail(strata::Error(std::error_code(errno, std::generic_category()), "open " + path));
  std::unique_ptr<FILE, Free> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    return fail(strata::Error(std::error_code(errno, std::generic_category()), "fdopen " + path));
  }
  const int ok = key ? PEM_write_PrivateKey(f.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                     : PEM_write_X509(f.get(), cert);
  if (ok != 1) return openssl_error("PEM write");
  return {};
}

template <class T, class Read>
std::unique_ptr<T, Free> read_pem(const std::string& path, Read read) {
  std::unique_ptr<FILE, Free> f(std::fopen(path.c_str(), "r"));
  if (!f) return nullptr;
  return std::unique_ptr<T, Free>(read(f.get(), nullptr, nullptr, nullptr));
}

std::string spki_sha256_base64(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  if (len <= 0) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), digest, &dlen, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  unsigned char out[64];
  const int n = EVP_EncodeBlock(out, digest, static_cast<int>(dlen));
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

// The server certificate is usable if it exists, was issued by the CA and has a week left.
bool still_good(X509* server, X509* ca) {
  if (!server || !ca) return false;
  if (X509_check_issued(ca, server) != X509_V_OK) return false;
  std::time_t week = std::time(nullptr) + 7 * 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(server), &week) > 0;
}

}  // namespace

Result<DevPki> DevPki::ensure(const std::string& dir) {
  DevPki pki;
  pki.dir = dir;
  pki.ca_cert = dir + "/ca.pem";
  pki.server_cert = dir + "/server.pem";
  pki.server_key = dir + "/server.key";
  const std::string ca_key_path = dir + "/ca.key";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(strata::Error(ec, "create " + dir));

  auto ca = read_pem<X509>(pki.ca_cert, PEM_read_X509);
  auto ca_key = read_pem<EVP_PKEY>(ca_key_path, PEM_read_PrivateKey);
  auto server = read_pem<X509>(pki.server_cert, PEM_read_X509);
  auto server_key = read_pem<EVP_PKEY>(pki.server_key, PEM_read_PrivateKey);
  if (server && server_key && still_good(server.get(), ca.get())) {
    pki.server_spki_sha256 = spki_sha256_base64(server.get());
    return pki;
  }

  if (!ca || !ca_key) {  // a new CA: every certificate it signed before is replaced too
    ca_key = new_key();
    if (!ca_key) return openssl_error("CA key generation");
    ca = make_cert(ca_key.get(), "Strata showcase development CA", nullptr, nullptr, 3650, true);
    if (!ca) return openssl_error("CA certificate");
    if (auto r = write_pem(ca_key_path, nullptr, ca_key.get()); !r) return fail(r.error());
    if (auto r = write_pem(pki.ca_cert, ca.get(), nullptr); !r) return fail(r.error());
  }
  server_key = new_key();
  if (!server_key) return openssl_error("server key generation");
  server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(), 90, false);
  if (!server) return openssl_error("server certificate");
  if (auto r = write_pem(pki.server_key, nullptr, server_key.get()); !r) return fail(r.error());
  if (auto r = write_pem(pki.server_cert, server.get(), nullptr); !r) return fail(r.error());
  pki.server_spki_sha256 = spki_sha256_base64(server.get());
  pki.created = true;
  return pki;
}

}  // namespace showcase
