// The test PKI (tests/tls/make_pki.sh, run with the openssl CLI once per test binary into a
// temporary folder, removed at exit) and contexts made from it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "strata/tls.hpp"

#ifndef STRATA_TEST_SOURCE_DIR
#error "STRATA_TEST_SOURCE_DIR must name the tests/ folder"
#endif

namespace strata::test {

class Pki {
 public:
  static const Pki& get() {
    static Pki pki;
    return pki;
  }
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& file) const { return dir_ + "/" + file; }

  // "server" -> server.pem + server.key.
  tls::Identity identity(const std::string& name) const {
    auto id = tls::Identity::from_pem_files(path(name + ".pem"), path(name + ".key"));
    if (!id) throw std::runtime_error("test identity " + name + ": " + id.error().message());
    return *id;
  }

  // A server configuration serving `first` (the default) and `second` (when given), ALPN
  // http/1.1. (No initializer_list: g++ 12 rejects one inside a co_await expression.)
  tls::ServerConfig server_config(const char* first = "server",
                                  const char* second = nullptr) const {
    tls::ServerConfig c;
    c.identities.push_back(identity(first));
    if (second) c.identities.push_back(identity(second));
    c.alpn = {"http/1.1"};
    return c;
  }
  // A client trusting only the test CA (not the system store, so that results do not depend on
  // the machine).
  tls::ClientConfig client_config() const {
    tls::ClientConfig c;
    c.use_system_roots = false;
    c.ca_file = path("ca.pem");
    c.alpn = {"http/1.1"};
    return c;
  }
  static tls::ServerContext server(tls::ServerConfig c) {
    auto ctx = tls::ServerContext::create(std::move(c));
    if (!ctx) throw std::runtime_error("server context: " + ctx.error().message());
    return *ctx;
  }
  static tls::ClientContext client(tls::ClientConfig c) {
    auto ctx = tls::ClientContext::create(std::move(c));
    if (!ctx) throw std::runtime_error("client context: " + ctx.error().message());
    return *ctx;
  }

 private:
  Pki() {
    char tmpl[] = "/tmp/strata-pki-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    const std::string cmd =
        std::string(STRATA_TEST_SOURCE_DIR) + "/tls/make_pki.sh " + dir_ + " >&2";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make_pki.sh failed");
  }
  ~Pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

}  // namespace strata::test
