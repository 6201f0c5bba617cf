// The outbound panel: the app calls itself with http::Client (pooled, h2 by ALPN, verifying
// the development CA) and combines the calls with JavaScript's Promise combinators.
//
//   curl -sk https://localhost:8443/api/outbound               # Promise.all + Promise.race
//   curl -sk 'https://localhost:8443/api/outbound/work?ms=100'  # what it calls
//
// One round: three `work` calls at once under Promise::all (the round takes as long as the
// slowest, not the sum), then a slow call raced against a timer under Promise::race (the timer
// wins: the slow call is abandoned). The client's counters show the pooling: after the first
// round every call rides the one HTTP/2 connection that is already open.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/http.hpp"
#include "strata/web.hpp"

namespace showcase {

struct CallResult {
  std::string url;
  int status = 0;
  std::string protocol;  // "HTTP/2", "HTTP/1.1", or "" when the call failed
  std::int64_t elapsed_ms = 0;
  std::string error;
};
BOOST_DESCRIBE_STRUCT(CallResult, (), (url, status, protocol, elapsed_ms, error))

struct ClientCounters {
  std::uint64_t requests = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;
  std::uint64_t http2_connections = 0;
};
BOOST_DESCRIBE_STRUCT(ClientCounters, (),
                      (requests, connections_opened, connections_reused, http2_connections))

struct OutboundReport {
  std::vector<CallResult> all;  // Promise::all, in input order
  std::int64_t all_ms = 0;      // the whole Promise::all
  CallResult race;              // Promise::race's winner
  std::int64_t race_ms = 0;
  ClientCounters client;  // since the process started
};
BOOST_DESCRIBE_STRUCT(OutboundReport, (), (all, all_ms, race, race_ms, client))

struct WorkDone {
  int slept_ms = 0;
};
BOOST_DESCRIBE_STRUCT(WorkDone, (), (slept_ms))

// The client and where it calls (a singleton provider; main() sets the origin after binding).
class OutboundService {
 public:
  void configure(std::string origin, const std::string& ca_file);
  strata::Task<CallResult> call(std::string path);
  ClientCounters counters() const;

 private:
  std::string origin_;
  std::optional<strata::http::Client> client_;
};

class OutboundController {
 public:
  static constexpr std::string_view prefix = "/api/outbound";
  using inject = strata::web::Inject<OutboundService>;
  explicit OutboundController(std::shared_ptr<OutboundService> s) : service_(std::move(s)) {}

  using TimeoutMs = strata::web::Query<"timeout_ms", int, strata::web::Default{250},
                                       strata::web::Min{10}, strata::web::Max{5000}>;
  using WorkMs = strata::web::Query<"ms", int, strata::web::Default{0}, strata::web::Min{0},
                                    strata::web::Max{2000}>;

  strata::Task<OutboundReport> run(TimeoutMs timeout_ms);
  strata::Task<WorkDone> work(WorkMs ms);

  static constexpr auto routes() {
    namespace web = strata::web;
    return web::routes(web::get<"">(&OutboundController::run, "outboundRound")
                           .summary("Call the app itself: Promise.all, then Promise.race"),
                       web::get<"work">(&OutboundController::work, "outboundWork")
                           .summary("Answer after `ms` milliseconds"));
  }

 private:
  std::shared_ptr<OutboundService> service_;
};

}  // namespace showcase
