// strata-bench-http-client: http::Client requests per second over HTTP/1.1 and over HTTP/2
// (h2c with prior knowledge) against the same Strata server, in one run (a load scenario, not
// a Google Benchmark: numbers go to docs/http2.md, never into assertions).
//
//   ./build/release/bench/http/strata-bench-http-client [tasks=64] [requests_per_task=500]
//
// The server runs on its own current-thread runtime and thread; the client on another. Each of
// `tasks` client tasks sends `requests_per_task` GET /plaintext in a row and reads each body.
// HTTP/1.1 uses up to `tasks` pooled connections; HTTP/2 multiplexes them on one.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "strata/http.hpp"
#include "strata/rt.hpp"

namespace {

using namespace strata;

Task<http::Response> plaintext(http::Request&) {
  co_return http::Response::text_static("Hello, World!");
}

Task<void> worker(http::Client client, std::string url, int n, int* failures) {
  for (int i = 0; i < n; ++i) {
    auto r = co_await client.get(url).send();
    if (!r) {
      ++*failures;
      continue;
    }
    auto body = co_await r->body.text(1024);
    if (!body) ++*failures;
  }
}

Task<double> run(http::Client client, std::string url, int tasks, int n, int* failures) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<JoinHandle<void>> hs;
  for (int t = 0; t < tasks; ++t) hs.push_back(spawn(worker(client, url, n, failures)));
  for (auto& h : hs) (void)co_await h;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  co_return static_cast<double>(tasks) * n / secs;
}

}  // namespace

int main(int argc, char** argv) {
  const int tasks = argc > 1 ? std::atoi(argv[1]) : 64;
  const int n = argc > 2 ? std::atoi(argv[2]) : 500;
  Runtime server_rt(RuntimeConfig::current_thread());
  auto server = server_rt.block_on([]() -> Task<Result<http::Server>> {
    co_return http::Server::bind(*net::SocketAddr::parse("127.0.0.1:0"), http::ServerConfig{});
  }());
  if (!server) {
    std::fprintf(stderr, "bind: %s\n", server.error().message().c_str());
    return 1;
  }
  auto router = std::make_shared<http::Router>();
  router->get("/plaintext", plaintext);
  const std::string url = "http://" + server->local_addr().to_string() + "/plaintext";
  std::thread serving([&] { (void)server_rt.block_on(server->serve(router)); });

  Runtime client_rt(RuntimeConfig::current_thread());
  for (int round = 0; round < 2; ++round) {
    for (bool h2 : {false, true}) {
      http::ClientConfig cfg;
      if (h2) cfg.protocol = http::ClientProtocol::http2_prior_knowledge;
      http::Client client(cfg);
      int failures = 0;
      const double rps = client_rt.block_on(run(client, url, tasks, n, &failures));
      std::printf("%-8s %3d tasks x %d: %9.0f req/s, %llu connections, %d failures\n",
                  h2 ? "h2c" : "http/1.1", tasks, n, rps,
                  static_cast<unsigned long long>(client.stats().connections_opened), failures);
    }
  }
  server->shutdown(std::chrono::seconds(1));
  serving.join();
  return 0;
}
