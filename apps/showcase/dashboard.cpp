// The dashboard's routes (dashboard.hpp): an Observable of samples turned into an SSE stream.
#include "dashboard.hpp"

#include <functional>
#include <string>

namespace showcase {

using namespace strata;
namespace sse = http::sse;

namespace {

std::string encode(const Sample& s) {
  return web::json::serialize(web::to_json(s));
}

Task<void> pump_samples(std::shared_ptr<MetricsService> metrics, sse::Sink sink,
                        std::string /*last_event_id: the history event covers a reconnect*/) {
  Gauge open(metrics->counters().sse_clients);  // the frame is destroyed when the client leaves
  // Subscribe first, then read the history: a sample taken in between is in both, and the
  // page drops repeats by `seq`.
  rx::StreamConfig buffering;
  buffering.capacity = 8;  // a stalled client skips to the newest samples
  auto live = rx::to_stream(metrics->samples() | rx::map(encode), buffering);
  sse::Event history;
  history.event = "history";
  history.data = web::json::serialize(web::to_json(metrics->history()));
  Result<void> sent = co_await sink.send(std::move(history));
  if (!sent) co_return;
  for (;;) {
    std::optional<std::string> sample = co_await live.next();
    if (!sample) co_return;  // the application shuts down
    sse::Event e;
    e.event = "sample";
    e.data = std::move(*sample);
    sent = co_await sink.send(std::move(e));
    if (!sent) co_return;  // the dashboard left
  }
}

}  // namespace

Sample DashboardController::latest() const {
  std::vector<Sample> h = metrics_->history();
  if (h.empty()) throw web::ServiceUnavailableException("no sample yet");
  return h.back();
}

http::Response DashboardController::stream(http::Request& req) const {
  sse::StreamConfig config;
  config.retry = std::chrono::milliseconds(2000);
  return sse::response(req, std::bind_front(pump_samples, metrics_), config);
}

}  // namespace showcase
