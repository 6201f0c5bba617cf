// The dashboard's numbers: what the process does, sampled once a second by an Observable
// pipeline and multicast to every dashboard that listens (over SSE, dashboard.hpp).
//
//   interval(1s) | map(read counters) | buffer_count(2, 1) | map(difference) | tap(remember)
//       -> SyncSubject<Sample> -> one to_stream() per SSE client
//
// Requests are counted and timed by RequestMetrics, a middleware: every request of the app
// (pages, API, SSE, WebSocket upgrades) passes it first, whichever protocol carried it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "strata/http.hpp"
#include "strata/http/h3/server.hpp"
#include "strata/rt.hpp"
#include "strata/rx.hpp"
#include "strata/web.hpp"

namespace showcase {

// Request latencies in log-scale buckets (four per doubling, from 1 µs to ~16 s), recorded
// from any thread without a lock; quantiles are read from the difference of two snapshots.
class LatencyHistogram {
 public:
  static constexpr std::size_t buckets = 96;
  using Counts = std::array<std::uint64_t, buckets>;

  void record(strata::Duration d) noexcept;
  Counts snapshot() const noexcept;
  // The q-quantile (0..1) of the recorded latencies in `counts`, in microseconds (0 if none):
  // the upper edge of the bucket that holds it.
  static std::uint64_t quantile_us(const Counts& counts, double q) noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, buckets> counts_{};
};

// Live counters the routes and the middleware update.
struct Counters {
  // Requests by how they arrived: HTTP/1.1 plain, HTTP/1.1 over TLS, h2c, h2 over TLS, h3.
  std::atomic<std::uint64_t> h1{0}, h1_tls{0}, h2c{0}, h2{0}, h3{0};
  std::atomic<std::int64_t> sse_clients{0}, ws_clients{0};
  LatencyHistogram latency;
};

// Holds one unit of a gauge (a connected client) for as long as it lives.
class Gauge {
 public:
  explicit Gauge(std::atomic<std::int64_t>& g) noexcept : g_(&g) {
    g_->fetch_add(1, std::memory_order_relaxed);
  }
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;
  ~Gauge() { g_->fetch_sub(1, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t>* g_;
};

// One worker thread of the runtime over the last interval.
struct WorkerSample {
  std::uint64_t polls_per_s = 0;
  std::uint64_t steals_per_s = 0;
  std::uint64_t parks_per_s = 0;
  std::uint32_t queue_depth = 0;
};
BOOST_DESCRIBE_STRUCT(WorkerSample, (), (polls_per_s, steals_per_s, parks_per_s, queue_depth))

// What a dashboard draws: one interval of the process (rates per second, rounded; latency
// quantiles in microseconds: JSON integers read better than Boost.JSON's 1.2E1 doubles).
struct Sample {
  std::uint64_t seq = 0;
  std::uint64_t uptime_s = 0;
  std::uint64_t rps = 0;  // requests per second, all protocols
  std::uint64_t rps_h1 = 0, rps_h1_tls = 0, rps_h2c = 0, rps_h2 = 0, rps_h3 = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t p50_us = 0, p90_us = 0, p99_us = 0;
  std::uint64_t connections = 0, connections_tls = 0, connections_h2 = 0;
  std::uint64_t connections_h3 = 0;  // QUIC connections (not in `connections`, which is TCP)
  std::int64_t sse_clients = 0, ws_clients = 0;
  std::uint64_t spawned_per_s = 0;
  std::uint64_t injection_queue = 0;
  std::uint64_t blocking_threads = 0;
  std::vector<WorkerSample> workers;
};
BOOST_DESCRIBE_STRUCT(Sample, (),
                      (seq, uptime_s, rps, rps_h1, rps_h1_tls, rps_h2c, rps_h2, rps_h3,
                       requests_total, p50_us, p90_us, p99_us, connections, connections_tls,
                       connections_h2, connections_h3, sse_clients, ws_clients, spawned_per_s,
                       injection_queue, blocking_threads, workers))

// The sampler: a singleton provider. main() attaches the runtime and the server once they
// exist; the pipeline starts with the application (on_module_init) and ends with it.
class MetricsService {
 public:
  static constexpr std::size_t history_size = 120;

  MetricsService();
  ~MetricsService();

  // What is sampled (any may stay unset: its numbers read zero).
  void attach(const strata::Runtime* runtime, const strata::http::Server* server,
              const strata::http::h3::Server* h3 = nullptr);
  Counters& counters() noexcept { return *counters_; }

  // Live samples, on the sampler's thread (hot: a subscriber sees the ones after it came).
  strata::rx::Observable<Sample> samples() const { return subject_.observable(); }
  // The latest samples, oldest first (at most history_size).
  std::vector<Sample> history() const;

  void on_module_init();
  void on_application_shutdown();

 private:
  struct Reading;
  Reading read() const;
  Sample difference(const Reading& before, const Reading& after);
  void remember(const Sample& s);

  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  std::atomic<const strata::Runtime*> runtime_{nullptr};
  std::atomic<const strata::http::Server*> server_{nullptr};
  std::atomic<const strata::http::h3::Server*> h3_{nullptr};
  strata::Instant started_ = strata::Clock::now();
  std::uint64_t seq_ = 0;
  strata::rx::SyncSubject<Sample> subject_;
  strata::rx::Subscription pipeline_;
  mutable std::mutex history_mu_;
  std::deque<Sample> history_;
};

// Counts and times every request (the first middleware of the app).
class RequestMetrics : public strata::web::Middleware {
 public:
  explicit RequestMetrics(std::shared_ptr<MetricsService> metrics) : metrics_(std::move(metrics)) {}
  strata::Task<strata::http::Response> use(strata::http::Request& req,
                                           strata::web::MiddlewareNext next) override;

 private:
  std::shared_ptr<MetricsService> metrics_;
};

// Adds `Server-Timing: handler;dur=<ms>` to a route's reply (an interceptor: it wraps the
// pipes and the handler, so the time is the route's own; browsers show it in their dev tools).
class ServerTiming : public strata::web::Interceptor {
 public:
  strata::Task<strata::web::Reply> intercept(strata::web::Context& ctx,
                                             strata::web::Next next) override;
};

}  // namespace showcase
