// Authentication and authorisation guards: a static bearer token, JWTs (HS256 with a shared
// secret, RS256/ES256 with a PEM public key, verified with OpenSSL), and roles.
//
//   class ApiTokenGuard : public web::BearerGuard {               // token from configuration
//    public:
//     using inject = web::Inject<web::Config>;
//     explicit ApiTokenGuard(std::shared_ptr<web::Config> c)
//         : BearerGuard(c->get("API_TOKEN").value_or("dev-token")) {}
//   };
//   auto jwt = std::make_shared<web::JwtGuard>(web::JwtConfig::hs256("secret"));
//   app->use_global_guard(jwt);                                   // ctx.get<web::JwtClaims>()
//   app->use_global_guard(std::make_shared<web::RolesGuard>());   // route `.roles("admin")`
//
// A missing or malformed Authorization header answers 401 (with WWW-Authenticate: Bearer); a
// token that is present but wrong answers 403 (BearerGuard) or 401 (JwtGuard: bad signature,
// expired, not yet valid, wrong issuer/audience). RolesGuard answers 403 unless the claims'
// "roles" array holds one of the route's roles (routes without roles pass).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "strata/web/json.hpp"
#include "strata/web/pipeline.hpp"

namespace strata::web {

// The token of an `Authorization: Bearer <token>` header, or nullopt.
std::optional<std::string_view> bearer_token(const http::Request& req) noexcept;

class BearerGuard : public Guard {
 public:
  explicit BearerGuard(std::string token) : token_(std::move(token)) {}
  Task<bool> can_activate(Context& ctx) override;

 private:
  std::string token_;
};

// A verified JWT's claims, left in the Context by JwtGuard.
struct JwtClaims {
  json::object claims;
  std::string subject() const;
};

struct JwtConfig {
  enum class Alg { hs256, rs256, es256 };
  Alg alg = Alg::hs256;
  std::string key;               // HS256: the secret; RS256/ES256: a PEM public key
  std::string issuer, audience;  // checked when non-empty
  std::chrono::seconds leeway{30};
  static JwtConfig hs256(std::string secret) { return make(Alg::hs256, std::move(secret)); }
  static JwtConfig rs256(std::string pem) { return make(Alg::rs256, std::move(pem)); }
  static JwtConfig es256(std::string pem) { return make(Alg::es256, std::move(pem)); }
  static JwtConfig make(Alg alg, std::string key) {
    JwtConfig c;
    c.alg = alg;
    c.key = std::move(key);
    return c;
  }
};

// Why a JWT was refused.
enum class JwtError { malformed, algorithm, signature, expired, not_yet_valid, issuer, audience };
std::string_view to_string(JwtError e) noexcept;

class JwtVerifier {
 public:
  explicit JwtVerifier(JwtConfig config);  // throws std::invalid_argument for a bad key
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;
  // The claims of a valid token at `now`.
  std::variant<json::object, JwtError> verify(
      std::string_view token,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  JwtConfig config_;
  void* pkey_ = nullptr;  // EVP_PKEY* for RS256/ES256
};

// HS256 signing, for tests and for apps that issue their own tokens.
std::string jwt_sign_hs256(const json::object& claims, std::string_view secret);

class JwtGuard : public Guard {
 public:
  explicit JwtGuard(JwtConfig config) : verifier_(std::move(config)) {}
  Task<bool> can_activate(Context& ctx) override;

 private:
  JwtVerifier verifier_;
};

class RolesGuard : public Guard {
 public:
  Task<bool> can_activate(Context& ctx) override;
};

}  // namespace strata::web
