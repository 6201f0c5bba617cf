// The outbound panel's calls (outbound.hpp).
#include "outbound.hpp"

#include <chrono>

#include "strata/rx.hpp"

namespace showcase {

using namespace strata;
using namespace std::chrono_literals;
using rx::Promise;

namespace {

std::int64_t ms_since(Instant start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// The loser of the race: a timer that settles with a "timed out" result.
Task<CallResult> deadline(std::string what, int ms) {
  co_await sleep(std::chrono::milliseconds(ms));
  CallResult r;
  r.url = std::move(what);
  r.error = "timed out after " + std::to_string(ms) + " ms";
  r.elapsed_ms = ms;
  co_return r;
}

}  // namespace

void OutboundService::configure(std::string origin, const std::string& ca_file) {
  origin_ = std::move(origin);
  http::ClientConfig config;
  config.tls.use_system_roots = false;  // only the development CA signs this app's certificate
  config.tls.ca_file = ca_file;
  config.request_timeout = 5s;
  config.user_agent = "strata-showcase-outbound";
  client_.emplace(std::move(config));
}

Task<CallResult> OutboundService::call(std::string path) {
  CallResult r;
  r.url = origin_ + path;
  const Instant start = Clock::now();
  if (!client_) {
    r.error = "not configured";
    co_return r;
  }
  Result<http::Response> resp = co_await client_->get(r.url).send();
  if (resp) {
    r.status = resp->status.as_u16();
    r.protocol = std::string(resp->version.as_str());
    Result<std::string> body = co_await resp->body.text(1 << 16);  // read to the end: reuse
    if (!body) r.error = body.error().message();
  } else {
    r.error = resp.error().message();
  }
  r.elapsed_ms = ms_since(start);
  co_return r;
}

ClientCounters OutboundService::counters() const {
  if (!client_) return {};
  http::ClientStats s = client_->stats();
  return {s.requests, s.connections_opened, s.connections_reused, s.http2_connections};
}

Task<OutboundReport> OutboundController::run(TimeoutMs timeout_ms) {
  OutboundReport report;
  Instant start = Clock::now();
  std::vector<Promise<CallResult>> calls;
  static constexpr int delays_ms[] = {120, 40, 80};
  for (int ms : delays_ms)
    calls.push_back(
        Promise<CallResult>::from(service_->call("/api/outbound/work?ms=" + std::to_string(ms))));
  auto all = Promise<CallResult>::all(std::move(calls));
  report.all = co_await all;
  report.all_ms = ms_since(start);

  start = Clock::now();
  std::vector<Promise<CallResult>> racers;
  racers.push_back(Promise<CallResult>::from(service_->call("/api/outbound/work?ms=1500")));
  racers.push_back(Promise<CallResult>::from(deadline("timer", *timeout_ms)));
  auto race = Promise<CallResult>::race(std::move(racers));
  report.race = co_await race;
  report.race_ms = ms_since(start);
  report.client = service_->counters();
  co_return report;
}

Task<WorkDone> OutboundController::work(WorkMs ms) {
  co_await sleep(std::chrono::milliseconds(*ms));
  co_return WorkDone{*ms};
}

}  // namespace showcase
