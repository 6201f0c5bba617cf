// The dashboard's routes (dashboard.hpp): an Observable of samples turned into an SSE stream.
#include "dashboard.hpp"

#include <memory>
#include <string>

namespace showcase {

using namespace strata;
namespace {

web::MessageEvent event(std::string type, std::string data) {
  web::MessageEvent e;
  e.type = std::move(type);
  e.data = std::move(data);
  return e;
}

}  // namespace

Sample DashboardController::latest() const {
  std::vector<Sample> h = metrics_->history();
  if (h.empty()) throw web::ServiceUnavailableException("no sample yet");
  return h.back();
}

// Per client: the history as one event, then the live samples; the gauge counts the client
// while its subscription lives (finalize runs when the stream is dropped).
rx::Observable<web::MessageEvent> DashboardController::stream() const {
  return rx::defer([metrics = metrics_] {
    auto open = std::make_shared<Gauge>(metrics->counters().sse_clients);
    auto history = event("history", web::json::serialize(web::to_json(metrics->history())));
    history.retry = std::chrono::milliseconds(2000);  // the browser's reconnection delay
    auto live = metrics->samples() | rx::map([](const Sample& s) {
                  return event("sample", web::json::serialize(web::to_json(s)));
                });
    return rx::concat<web::MessageEvent>({rx::of(std::move(history)), live}) |
           rx::finalize([open] {});
  });
}

}  // namespace showcase
