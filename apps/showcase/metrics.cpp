// The sampler pipeline and the request-metrics middleware (metrics.hpp).
#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace showcase {

using namespace strata;
using namespace std::chrono_literals;

namespace {

constexpr Duration sample_period = 1s;

std::uint64_t per_second(std::uint64_t before, std::uint64_t after, double seconds) {
  if (after < before || seconds <= 0) return 0;
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(after - before) / seconds));
}

// Bucket i holds latencies below 2^((i+1)/4) - 1 microseconds.
std::uint64_t upper_edge_us(std::size_t i) {
  return static_cast<std::uint64_t>(
      std::llround(std::exp2(static_cast<double>(i + 1) / 4.0) - 1.0));
}

}  // namespace

// ---- LatencyHistogram ----

void LatencyHistogram::record(Duration d) noexcept {
  const double us = std::max(0.0, std::chrono::duration<double, std::micro>(d).count());
  const auto i = static_cast<std::size_t>(4.0 * std::log2(us + 1.0));
  counts_[std::min(i, buckets - 1)].fetch_add(1, std::memory_order_relaxed);
}

LatencyHistogram::Counts LatencyHistogram::snapshot() const noexcept {
  Counts c{};
  for (std::size_t i = 0; i < buckets; ++i) c[i] = counts_[i].load(std::memory_order_relaxed);
  return c;
}

std::uint64_t LatencyHistogram::quantile_us(const Counts& counts, double q) noexcept {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += counts[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return upper_edge_us(i);
  }
  return upper_edge_us(buckets - 1);
}

// ---- MetricsService ----

// Cumulative counters at one instant; a Sample is the difference of two.
struct MetricsService::Reading {
  Instant at;
  std::uint64_t h1 = 0, h1_tls = 0, h2c = 0, h2 = 0, h3 = 0;
  LatencyHistogram::Counts latency{};
  RuntimeMetrics runtime;
  http::ServerStats server;
  http::h3::ServerStats quic;
};

MetricsService::MetricsService() = default;
MetricsService::~MetricsService() {
  pipeline_.unsubscribe();
}

void MetricsService::attach(const Runtime* runtime, const http::Server* server,
                            const http::h3::Server* h3) {
  runtime_.store(runtime, std::memory_order_release);
  server_.store(server, std::memory_order_release);
  h3_.store(h3, std::memory_order_release);
}

MetricsService::Reading MetricsService::read() const {
  Reading r;
  r.at = Clock::now();
  r.h1 = counters_->h1.load(std::memory_order_relaxed);
  r.h1_tls = counters_->h1_tls.load(std::memory_order_relaxed);
  r.h2c = counters_->h2c.load(std::memory_order_relaxed);
  r.h2 = counters_->h2.load(std::memory_order_relaxed);
  r.h3 = counters_->h3.load(std::memory_order_relaxed);
  r.latency = counters_->latency.snapshot();
  if (const Runtime* rt = runtime_.load(std::memory_order_acquire)) r.runtime = rt->metrics();
  if (const http::Server* s = server_.load(std::memory_order_acquire)) r.server = s->stats();
  if (const http::h3::Server* q = h3_.load(std::memory_order_acquire)) r.quic = q->stats();
  return r;
}

Sample MetricsService::difference(const Reading& a, const Reading& b) {
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  Sample s;
  s.seq = ++seq_;
  s.uptime_s = static_cast<std::uint64_t>(std::chrono::duration<double>(b.at - started_).count());
  s.rps_h1 = per_second(a.h1, b.h1, secs);
  s.rps_h1_tls = per_second(a.h1_tls, b.h1_tls, secs);
  s.rps_h2c = per_second(a.h2c, b.h2c, secs);
  s.rps_h2 = per_second(a.h2, b.h2, secs);
  s.rps_h3 = per_second(a.h3, b.h3, secs);
  s.rps = s.rps_h1 + s.rps_h1_tls + s.rps_h2c + s.rps_h2 + s.rps_h3;
  s.requests_total = b.h1 + b.h1_tls + b.h2c + b.h2 + b.h3;
  LatencyHistogram::Counts delta{};
  for (std::size_t i = 0; i < delta.size(); ++i)
    delta[i] = b.latency[i] >= a.latency[i] ? b.latency[i] - a.latency[i] : 0;
  s.p50_us = LatencyHistogram::quantile_us(delta, 0.50);
  s.p90_us = LatencyHistogram::quantile_us(delta, 0.90);
  s.p99_us = LatencyHistogram::quantile_us(delta, 0.99);
  s.connections = b.server.connections_active;
  s.connections_tls = b.server.connections_tls_active;
  s.connections_h2 = b.server.connections_h2_active;
  s.connections_h3 = b.quic.connections_active;
  s.sse_clients = counters_->sse_clients.load(std::memory_order_relaxed);
  s.ws_clients = counters_->ws_clients.load(std::memory_order_relaxed);
  s.spawned_per_s = per_second(a.runtime.spawned, b.runtime.spawned, secs);
  s.injection_queue = b.runtime.injection_queue_depth;
  s.blocking_threads = b.runtime.blocking_threads;
  for (std::size_t w = 0; w < b.runtime.worker.size(); ++w) {
    const WorkerMetrics& now = b.runtime.worker[w];
    const WorkerMetrics then = w < a.runtime.worker.size() ? a.runtime.worker[w] : WorkerMetrics{};
    s.workers.push_back(WorkerSample{
        per_second(then.polls, now.polls, secs), per_second(then.steals, now.steals, secs),
        per_second(then.parks, now.parks, secs), now.local_queue_depth});
  }
  return s;
}

void MetricsService::remember(const Sample& s) {
  std::lock_guard lock(history_mu_);
  history_.push_back(s);
  if (history_.size() > history_size) history_.pop_front();
}

std::vector<Sample> MetricsService::history() const {
  std::lock_guard lock(history_mu_);
  return {history_.begin(), history_.end()};
}

void MetricsService::on_module_init() {
  // The pipeline runs on the runtime that starts the application (its timers and its thread);
  // subscribers on other workers receive through the SyncSubject.
  pipeline_ = (rx::interval(sample_period)                           //
               | rx::map([this](long) { return read(); })            //
               | rx::buffer_count(2, 1)                              // pairs
               | rx::map([this](const std::vector<Reading>& pair) {  //
                   return difference(pair.front(), pair.back());     //
                 })                                                  //
               | rx::tap([this](const Sample& s) { remember(s); }))  //
                  .subscribe([subject = subject_](const Sample& s) { subject.next(s); });
}

void MetricsService::on_application_shutdown() {
  pipeline_.unsubscribe();
  subject_.complete();  // every dashboard's stream ends
}

// ---- RequestMetrics ----

Task<http::Response> RequestMetrics::use(http::Request& req, web::MiddlewareNext next) {
  Counters& c = metrics_->counters();
  const bool h2 = req.version == http::Version::http_2;
  const bool tls = req.tls != nullptr;
  std::atomic<std::uint64_t>& count = req.version == http::Version::http_3 ? c.h3
                                      : h2                                 ? (tls ? c.h2 : c.h2c)
                                           : (tls ? c.h1_tls : c.h1);
  count.fetch_add(1, std::memory_order_relaxed);
  const Instant start = Clock::now();
  http::Response resp = co_await next.run();
  c.latency.record(Clock::now() - start);
  co_return resp;
}

// ---- ServerTiming ----

Task<web::Reply> ServerTiming::intercept(web::Context&, web::Next next) {
  const Instant start = Clock::now();
  web::Reply reply = co_await next.handle();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  char value[48];
  std::snprintf(value, sizeof value, "handler;dur=%.3f", ms);
  (void)reply.headers.set("server-timing", value);
  co_return reply;
}

}  // namespace showcase
