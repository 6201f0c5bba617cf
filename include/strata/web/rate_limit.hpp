// web::RateLimit: a token bucket per client (its IP address by default) as middleware; over
// the limit, 429 Too Many Requests with Retry-After (whole seconds until a token is back).
//
//   web::RateLimitConfig limits;
//   limits.rate = 30;                                 // 30 requests/s, bursts of 60
//   limits.burst = 60;
//   limits.skip = {"/healthz", "/readyz", "/metrics"};
//   app->use(std::make_shared<web::RateLimit>(limits));
//
// Responses carry RateLimit-Limit and RateLimit-Remaining. Buckets live in 16 shards, each
// with its own lock; idle buckets (full again) are dropped when a shard grows past
// `max_keys / 16`, so memory stays bounded under address churn.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/web/pipeline.hpp"

namespace strata::web {

struct RateLimitConfig {
  double rate = 30;               // tokens per second
  double burst = 60;              // bucket size
  std::vector<std::string> skip;  // exact paths not limited
  std::size_t max_keys = 100'000;
  // The client key; default: the peer's IP address.
  std::function<std::string(const http::Request&)> key;
};

class RateLimit final : public Middleware {
 public:
  explicit RateLimit(RateLimitConfig config = {});
  Task<http::Response> use(http::Request& req, MiddlewareNext next) override;

  struct Decision {
    double wait = 0;       // seconds until a token is back; 0: allowed (a token was taken)
    double remaining = 0;  // whole tokens left
  };
  // Takes a token for `key` at `now`.
  Decision take(const std::string& key, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  RateLimitConfig config_;
  std::array<Shard, 16> shards_;
};

}  // namespace strata::web
