// Example: a TCP echo server on the multi-thread runtime.
//
//   echo_server --port 7000 --workers 4      # port 0 picks a free port
//   printf 'hello\n' | nc -q1 127.0.0.1 7000
//
// Listens on 127.0.0.1, prints "listening on 127.0.0.1:PORT" once ready, and echoes every
// connection in its own task with io::copy(stream, stream): the copy waits for readability
// without a buffer and takes a pooled one only while bytes are in flight, so an idle connection
// costs its socket, its task and nothing else (docs/net.md, "Memory per idle connection").
// Runs until killed. The open-file soft limit is raised to the hard limit at start.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "strata/io.hpp"
#include "strata/net.hpp"
#include "strata/rt.hpp"

using namespace std::chrono_literals;

namespace {

strata::Task<void> echo(strata::net::TcpStream stream) {
  (void)stream.set_nodelay(true);
  // Errors (a peer reset, ...) just end the connection.
  (void)co_await strata::io::copy(stream, stream);
}

strata::Task<int> serve(std::uint16_t port) {
  using namespace strata;
  auto listener = net::TcpListener::bind(net::SocketAddrV4(net::Ipv4Addr::localhost, port), 4096);
  if (!listener) {
    std::fprintf(stderr, "echo_server: %s\n", listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_addr()->to_string().c_str());
  std::fflush(stdout);
  for (;;) {
    auto conn = co_await listener->accept();
    if (!conn) {
      // EMFILE and friends: back off a little instead of spinning; the listener stays usable.
      std::fprintf(stderr, "echo_server: %s\n", conn.error().message().c_str());
      co_await sleep(10ms);
      continue;
    }
    spawn(echo(std::move(conn->first))).detach();
  }
}

void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: echo_server [--port P] [--workers N]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  long port = 7000;
  long workers = 0;  // 0: $STRATA_WORKERS or the number of CPUs
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) usage();
    char* end = nullptr;
    long v = std::strtol(argv[i + 1], &end, 10);
    if (*end != '\0' || v < 0) usage();
    if (arg == "--port" && v <= 65535) {
      port = v;
    } else if (arg == "--workers" && v <= 1024) {
      workers = v;
    } else {
      usage();
    }
    ++i;
  }
  raise_fd_limit();
  strata::Runtime rt(strata::RuntimeConfig::multi_thread(static_cast<std::uint32_t>(workers)));
  return rt.block_on(serve(static_cast<std::uint16_t>(port)));
}
