// HTTP/2 at the frame level: the scripts in tests/http/h2_frames/ (python3 with python3-hpack,
// raw frames over a real socket) against a Strata server started in this process. Each script
// case asserts the exact frame or error the server must send (defences: rapid reset,
// CONTINUATION flood, HPACK bomb, SETTINGS/PING/empty-DATA/WINDOW_UPDATE floods, too many
// streams, idle and slow-read deadlines; RFC 9113 §4-§8 and RFC 7541 conformance; a graceful
// drain), and after each one that a new client is still served. The script runs under
// `timeout`, so a hung case fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "http_test_util.hpp"
#include "strata/http.hpp"

namespace strata::test {
namespace {

const http::Server* current_server = nullptr;

Task<http::Response> big_handler(http::Request&) {
  co_return http::Response::text(std::string(1 << 20, 'x'));
}
Task<http::Response> drain_handler(http::Request&) {
  current_server->shutdown(std::chrono::seconds(20));
  co_return http::Response::text("draining");
}

std::shared_ptr<http::Router> routes() {
  auto r = std::make_shared<http::Router>();
  r->get("/plaintext", plaintext_handler)
      .get("/", plaintext_handler)
      .get("/big", big_handler)
      .get("/drain", drain_handler)
      .post("/echo", echo_handler<1 << 20>);
  return r;
}

struct Outcome {
  std::string out;
  int passed = 0, failed = 0, ran = -1;
};

// Runs tests/http/h2_frames/run.py <group> against a server on `port`, off the runtime's threads.
Task<Outcome> run_group(std::string group, std::uint16_t port) {
  auto h = spawn_blocking([group = std::move(group), port] {
    const std::string cmd =
        "/usr/bin/python3 -c 'import hpack' 2>/dev/null || "
        "{ echo 'FAIL setup: python3-hpack is missing (scripts/bootstrap installs python3-h2)'; "
        "exit 1; }; PYTHONDONTWRITEBYTECODE=1 timeout -k 5 280 "
        "/usr/bin/python3 " STRATA_TEST_SOURCE_DIR "/http/h2_frames/run.py " +
        group + " " + std::to_string(port) + " " + std::to_string(::getpid()) + " 2>&1";
    int status = 0;
    Outcome o;
    o.out = run(cmd, status);
    std::istringstream lines(o.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("PASS ")) ++o.passed;
      if (line.starts_with("FAIL ")) ++o.failed;
      if (line.starts_with("ran ")) o.ran = std::stoi(line.substr(4));
    }
    return o;
  });
  auto r = co_await h;
  co_return r ? std::move(*r) : Outcome{"spawn_blocking failed"};
}

// Serves with short deadlines (the idle and slow-read cases wait for them), runs the group,
// and checks that every case ran and passed; `expected`: how many cases the group has.
Task<void> frames(std::string group, int expected) {
  http::ServerConfig config;
  config.idle_timeout = std::chrono::seconds(1);
  config.write_timeout = std::chrono::seconds(3);
  auto server = http::Server::bind(loopback(), std::move(config));
  CO_ASSERT_OK(server);
  current_server = &*server;
  auto serving = spawn(server->serve(routes()));
  Outcome o = co_await run_group(group, server->local_addr().port());
  EXPECT_EQ(o.failed, 0) << o.out;
  EXPECT_EQ(o.passed, expected) << o.out;
  EXPECT_EQ(o.ran, expected) << o.out;
  server->shutdown(std::chrono::seconds(1));
  Result<Result<void>> done = co_await serving;
  CO_ASSERT_OK(done);
  CO_ASSERT_OK(*done);
  current_server = nullptr;
}

TEST(HttpServerH2Frames, DefencesEndEachAbuseWithTheRightFrameAndStayHealthy) {
  run_multi(frames("defences", 13), 2, 300s);
}

TEST(HttpServerH2Frames, GracefulDrainFinishesInFlightStreamsAndIgnoresNewOnes) {
  run_multi(frames("drain", 1), 2, 120s);
}

TEST(HttpServerH2Frames, ConformanceRfc9113AndRfc7541) {
  run_multi(frames("conformance", 89), 2, 300s);
}

}  // namespace
}  // namespace strata::test
