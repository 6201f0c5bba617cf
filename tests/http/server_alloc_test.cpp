// Proves that the server's plaintext path allocates nothing per request in steady state
// (keep-alive and pipelined). The server runs on its own thread; this binary replaces the global
// operator new and counts only that thread's allocations. The client is a blocking socket on
// the test's thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include "strata/http.hpp"
#include "strata/rt.hpp"

#include "../support/count_allocations.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

Task<http::Response> plaintext(http::Request&) {
  co_return http::Response::text_static("Hello, World!");
}

// Runs a server on its own thread until stop() (a current-thread runtime, one listener).
class ServerThread {
 public:
  ServerThread() {
    thread_ = std::thread([this] {
      Runtime rt = Runtime::current_thread();
      rt.block_on(run(this));
    });
    while (port_.load() == 0) std::this_thread::sleep_for(1ms);
  }
  ~ServerThread() {
    server_->shutdown(1s);
    thread_.join();
  }
  std::uint16_t port() const { return port_.load(); }

 private:
  static Task<void> run(ServerThread* self) {
    auto addr = net::SocketAddr::parse("127.0.0.1:0");
    auto server = http::Server::bind(*addr);
    if (!server) {
      ADD_FAILURE() << server.error().message();
      co_return;
    }
    self->server_ = &*server;
    auto router = std::make_shared<http::Router>();
    router->get("/plaintext", plaintext);
    self->port_.store(server->local_addr().port());
    (void)co_await server->serve(router);
  }

  std::thread thread_;
  std::atomic<std::uint16_t> port_{0};
  http::Server* server_ = nullptr;
};

// A blocking client on one keep-alive connection.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Client() { ::close(fd_); }

  // Sends `depth` requests in one write and reads the `depth` responses.
  void round(int depth) {
    std::string batch;
    for (int i = 0; i < depth; ++i) batch += "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::write(fd_, batch.data(), batch.size()), static_cast<ssize_t>(batch.size()));
    int seen = 0;
    while (seen < depth) {
      char buf[65536];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      ASSERT_GT(n, 0);
      pending_.append(buf, static_cast<std::size_t>(n));
      std::size_t pos;
      while ((pos = pending_.find("Hello, World!")) != std::string::npos) {
        pending_.erase(0, pos + 13);
        ++seen;
      }
    }
  }

 private:
  int fd_ = -1;
  std::string pending_;
};

bool caches_enabled() {
  return frame_cache_enabled() && io::BufferPool::caching_enabled();
}

TEST(HttpServerAlloc, keep_alive_and_pipelined_plaintext_allocate_nothing_per_request) {
  if (!caches_enabled()) GTEST_SKIP() << "allocation caches are off in sanitizer builds";
  counted_thread = false;  // the client (this thread) may allocate; the server thread may not
  ServerThread server;
  Client c(server.port());
  for (int i = 0; i < 500; ++i) c.round(1);  // warm the pools
  for (int i = 0; i < 50; ++i) c.round(16);
  counting = true;
  for (int i = 0; i < 2000; ++i) c.round(1);
  const long keep_alive = allocations.exchange(0);
  for (int i = 0; i < 200; ++i) c.round(16);
  const long pipelined = allocations.exchange(0);
  counting = false;
  EXPECT_EQ(keep_alive, 0) << "allocations over 2000 keep-alive requests";
  EXPECT_EQ(pipelined, 0) << "allocations over 3200 pipelined requests";
}

}  // namespace
}  // namespace strata::test
