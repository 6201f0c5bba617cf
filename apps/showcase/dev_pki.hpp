// A development PKI for the showcase: a local CA and a server certificate for localhost,
// 127.0.0.1 and ::1 it signs, made with OpenSSL on first run and reused afterwards (renewed when
// the server certificate has less than a week left or a file is missing).
//
//   Result<showcase::DevPki> pki = showcase::DevPki::ensure("build/release/showcase-pki");
//   if (pki) std::printf("trust %s\n", pki->ca_cert.c_str());
//
// The files are what `openssl req -x509` + `openssl x509 -req` would make: ECDSA P-256 keys
// (0600), a CA with basicConstraints CA:TRUE and keyCertSign, and a server certificate with
// subjectAltName, serverAuth and a 90-day life. Nothing here is for production: the CA key
// sits next to the certificates.
#pragma once

#include <string>

#include "strata/rt/error.hpp"

namespace showcase {

struct DevPki {
  std::string dir;
  std::string ca_cert;      // <dir>/ca.pem: what a browser or curl (--cacert) trusts
  std::string server_cert;  // <dir>/server.pem: the chain the listener presents
  std::string server_key;   // <dir>/server.key
  // base64(SHA-256(server certificate's SubjectPublicKeyInfo)), for Chromium's
  // --ignore-certificate-errors-spki-list.
  std::string server_spki_sha256;
  bool created = false;  // made (or renewed) by this call

  static strata::Result<DevPki> ensure(const std::string& dir);
};

}  // namespace showcase
