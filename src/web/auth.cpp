#include "strata/web/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <array>
#include <stdexcept>

#include "strata/http/headers.hpp"
#include "strata/web/context.hpp"
#include "strata/web/exception.hpp"

namespace strata::web {

namespace {

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a dangling sextet: not a valid length
  return out;
}

std::string base64url_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  return {reinterpret_cast<const char*>(mac.data()), len};
}

// ES256 signatures are r || s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> es256_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

[[noreturn]] void unauthorized(std::string message) {
  UnauthorizedException e(std::move(message));
  e.with_header("www-authenticate", "Bearer");
  throw e;
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& req) noexcept {
  std::optional<std::string_view> h = req.headers.get("authorization");
  if (!h || h->size() < 7 || !http::ascii_iequals(h->substr(0, 7), "Bearer ")) return std::nullopt;
  std::string_view token = h->substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

Task<bool> BearerGuard::can_activate(Context& ctx) {
  std::optional<std::string_view> token = bearer_token(ctx.request);
  if (!token) unauthorized("missing bearer token");
  co_return token->size() == token_.size() &&
      CRYPTO_memcmp(token->data(), token_.data(), token_.size()) == 0;
}

std::string JwtClaims::subject() const {
  auto it = claims.find("sub");
  return it != claims.end() && it->value().is_string() ? std::string(it->value().get_string())
                                                       : std::string();
}

std::string_view to_string(JwtError e) noexcept {
  switch (e) {
    case JwtError::malformed:
      return "malformed token";
    case JwtError::algorithm:
      return "unexpected signing algorithm";
    case JwtError::signature:
      return "invalid signature";
    case JwtError::expired:
      return "token expired";
    case JwtError::not_yet_valid:
      return "token not yet valid";
    case JwtError::issuer:
      return "wrong issuer";
    case JwtError::audience:
      return "wrong audience";
  }
  return "invalid token";
}

JwtVerifier::JwtVerifier(JwtConfig config) : config_(std::move(config)) {
  if (config_.alg == JwtConfig::Alg::hs256) return;
  BIO* bio = BIO_new_mem_buf(config_.key.data(), static_cast<int>(config_.key.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) throw std::invalid_argument("web::JwtVerifier: the key is not a PEM public key");
  int id = EVP_PKEY_get_base_id(key);
  if ((config_.alg == JwtConfig::Alg::rs256 && id != EVP_PKEY_RSA) ||
      (config_.alg == JwtConfig::Alg::es256 && id != EVP_PKEY_EC)) {
    EVP_PKEY_free(key);
    throw std::invalid_argument("web::JwtVerifier: the key's type does not match the algorithm");
  }
  pkey_ = key;
}

JwtVerifier::~JwtVerifier() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
}

std::variant<json::object, JwtError> JwtVerifier::verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return JwtError::malformed;
  std::string_view signed_part = token.substr(0, dot2);
  auto header = base64url_decode(token.substr(0, dot1));
  auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!header || !payload || !sig) return JwtError::malformed;
  json::error_code ec;
  json::value h = json::parse(*header, ec);
  if (ec || !h.is_object()) return JwtError::malformed;
  json::value p = json::parse(*payload, ec);
  if (ec || !p.is_object()) return JwtError::malformed;

  static constexpr std::string_view kAlgNames[] = {"HS256", "RS256", "ES256"};
  const json::value* alg = h.as_object().if_contains("alg");
  if (!alg || !alg->is_string() || alg->get_string() != kAlgNames[static_cast<int>(config_.alg)])
    return JwtError::algorithm;

  bool ok = false;
  if (config_.alg == JwtConfig::Alg::hs256) {
    std::string mac = hmac_sha256(config_.key, signed_part);
    ok = mac.size() == sig->size() && CRYPTO_memcmp(mac.data(), sig->data(), mac.size()) == 0;
  } else {
    std::string der_storage;
    std::string_view signature = *sig;
    if (config_.alg == JwtConfig::Alg::es256) {
      auto der = es256_to_der(*sig);
      if (!der) return JwtError::signature;
      der_storage = std::move(*der);
      signature = der_storage;
    }
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(pkey_)) ==
             1 &&
         EVP_DigestVerify(
             md, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
             reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    EVP_MD_CTX_free(md);
  }
  if (!ok) return JwtError::signature;

  json::object& claims = p.as_object();
  double t = std::chrono::duration<double>(now.time_since_epoch()).count();
  double leeway = static_cast<double>(config_.leeway.count());
  if (const json::value* exp = claims.if_contains("exp")) {
    if (!exp->is_number()) return JwtError::malformed;
    if (t > exp->to_number<double>() + leeway) return JwtError::expired;
  }
  if (const json::value* nbf = claims.if_contains("nbf")) {
    if (!nbf->is_number()) return JwtError::malformed;
    if (t + leeway < nbf->to_number<double>()) return JwtError::not_yet_valid;
  }
  if (!config_.issuer.empty()) {
    const json::value* iss = claims.if_contains("iss");
    if (!iss || !iss->is_string() || iss->get_string() != config_.issuer) return JwtError::issuer;
  }
  if (!config_.audience.empty()) {
    const json::value* aud = claims.if_contains("aud");
    bool match = false;
    if (aud && aud->is_string()) match = aud->get_string() == config_.audience;
    if (aud && aud->is_array())
      for (const auto& a : aud->get_array())
        match = match || (a.is_string() && a.get_string() == config_.audience);
    if (!match) return JwtError::audience;
  }
  return std::move(claims);
}

std::string jwt_sign_hs256(const json::object& claims, std::string_view secret) {
  std::string signed_part = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                            base64url_encode(json::serialize(claims));
  return signed_part + "." + base64url_encode(hmac_sha256(secret, signed_part));
}

Task<bool> JwtGuard::can_activate(Context& ctx) {
  std::optional<std::string_view> token = bearer_token(ctx.request);
  if (!token) unauthorized("missing bearer token");
  auto result = verifier_.verify(*token);
  if (auto* err = std::get_if<JwtError>(&result)) unauthorized(std::string(to_string(*err)));
  ctx.set(JwtClaims{std::move(std::get<json::object>(result))});
  co_return true;
}

Task<bool> RolesGuard::can_activate(Context& ctx) {
  const RouteInfo* route = ctx.route();
  if (!route || route->roles.empty()) co_return true;
  const JwtClaims* claims = ctx.get<JwtClaims>();
  if (!claims) co_return false;
  const json::value* roles = claims->claims.if_contains("roles");
  if (!roles || !roles->is_array()) co_return false;
  for (const auto& r : roles->get_array())
    for (const auto& want : route->roles)
      if (r.is_string() && r.get_string() == want) co_return true;
  co_return false;
}

}  // namespace strata::web
