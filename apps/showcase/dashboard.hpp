// The dashboard's API: the latest sample, the recent history, and the live stream over SSE.
//
//   curl -sk https://localhost:8443/api/metrics                  # the latest sample (JSON)
//   curl -skN https://localhost:8443/api/metrics/stream          # `event: sample` once a second
//
// The stream starts with one `event: history` (the recent samples, so a chart is full at
// once), then one `event: sample` per interval with `id:` set to the sample's number.
#pragma once

#include <memory>
#include <vector>

#include "metrics.hpp"
#include "strata/http.hpp"
#include "strata/rx.hpp"
#include "strata/web.hpp"

namespace showcase {

class DashboardController {
 public:
  static constexpr std::string_view prefix = "/api/metrics";
  using inject = strata::web::Inject<MetricsService>;
  explicit DashboardController(std::shared_ptr<MetricsService> metrics)
      : metrics_(std::move(metrics)) {}

  Sample latest() const;
  std::vector<Sample> history() const { return metrics_->history(); }
  // An Observable route: the framework serves it as text/event-stream (web/sse.hpp).
  strata::rx::Observable<strata::web::MessageEvent> stream() const;

  static constexpr auto routes() {
    namespace web = strata::web;
    return web::routes(
        web::get<"">(&DashboardController::latest, "latestSample").summary("The latest sample"),
        web::get<"history">(&DashboardController::history, "sampleHistory")
            .summary("The recent samples, oldest first"),
        web::get<"stream">(&DashboardController::stream, "sampleStream")
            .summary("Samples as they are taken (text/event-stream)"));
  }

 private:
  std::shared_ptr<MetricsService> metrics_;
};

}  // namespace showcase
