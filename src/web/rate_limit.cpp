#include "strata/web/rate_limit.hpp"

#include <algorithm>
#include <cmath>

#include "strata/web/exception.hpp"

namespace strata::web {

RateLimit::RateLimit(RateLimitConfig config) : config_(std::move(config)) {
  if (!config_.key)
    config_.key = [](const http::Request& req) { return req.peer.ip().to_string(); };
}

RateLimit::Decision RateLimit::take(const std::string& key,
                                    std::chrono::steady_clock::time_point now) {
  Shard& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= config_.max_keys / shards_.size()) {
      // Drop the buckets that have refilled: forgetting them changes nothing.
      std::erase_if(shard.buckets, [&](const auto& kv) {
        double dt = std::chrono::duration<double>(now - kv.second.last).count();
        return kv.second.tokens + dt * config_.rate >= config_.burst;
      });
    }
    it = shard.buckets.emplace(key, Bucket{config_.burst, now}).first;
  }
  Bucket& b = it->second;
  double dt = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(config_.burst, b.tokens + std::max(0.0, dt) * config_.rate);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {0, std::floor(b.tokens)};
  }
  return {(1.0 - b.tokens) / config_.rate, 0};
}

Task<http::Response> RateLimit::use(http::Request& req, MiddlewareNext next) {
  if (std::find(config_.skip.begin(), config_.skip.end(), req.path()) != config_.skip.end())
    co_return co_await next.run();
  std::string key = config_.key(req);
  Decision d = take(key, std::chrono::steady_clock::now());
  std::string limit = std::to_string(static_cast<std::int64_t>(config_.burst));
  if (d.wait > 0) {
    auto seconds = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(d.wait)));
    HttpException e(http::StatusCode::too_many_requests,
                    std::string("ThrottlerException: Too Many Requests"));
    e.with_header("retry-after", std::to_string(seconds))
        .with_header("ratelimit-limit", limit)
        .with_header("ratelimit-remaining", "0");
    throw e;
  }
  http::Response r = co_await next.run();
  (void)r.headers.set("ratelimit-limit", limit);
  (void)r.headers.set("ratelimit-remaining",
                      std::to_string(static_cast<std::int64_t>(d.remaining)));
  co_return r;
}

}  // namespace strata::web
