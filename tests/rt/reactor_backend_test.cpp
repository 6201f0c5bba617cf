// Reactor back-ends: selection (RuntimeConfig::reactor, $STRATA_REACTOR), the logged fallback for
// unknown names and for a kernel that refuses io_uring (a seccomp filter in a child process), the
// name a runtime reports, and the io_uring back-end's own hazards: registrations from other
// threads, registrations dropped while their poll requests are in flight, a close() right after
// a deregistration, and many fds ready in one turn (with a tiny completion ring in the
// uring_cq8 build, the kernel ends multishot polls and the reactor must re-arm them).
#include "strata/rt/reactor.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "strata/rt.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

// Sets or unsets $STRATA_REACTOR for one test and restores it after.
class ReactorEnv {
 public:
  explicit ReactorEnv(const char* value) {
    if (const char* old = std::getenv("STRATA_REACTOR")) old_ = old;
    if (value) {
      ::setenv("STRATA_REACTOR", value, 1);
    } else {
      ::unsetenv("STRATA_REACTOR");
    }
  }
  ~ReactorEnv() {
    if (old_) {
      ::setenv("STRATA_REACTOR", old_->c_str(), 1);
    } else {
      ::unsetenv("STRATA_REACTOR");
    }
  }

 private:
  std::optional<std::string> old_;
};

RuntimeConfig config_with(RuntimeConfig c, const char* reactor) {
  c.reactor = reactor;
  return c;
}

std::vector<RuntimeConfig> every_flavour(const char* reactor) {
  return {config_with(RuntimeConfig::current_thread(), reactor),
          config_with(RuntimeConfig::multi_thread(1), reactor),
          config_with(RuntimeConfig::multi_thread(2), reactor)};
}

std::size_t count_lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A connected pair: `ours` non-blocking for the runtime, `peer` blocking for the test thread.
struct Pair {
  int ours = -1;
  int peer = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ours = fds[0];
    peer = fds[1];
    EXPECT_EQ(::fcntl(ours, F_SETFL, ::fcntl(ours, F_GETFL) | O_NONBLOCK), 0);
  }
  Pair(Pair&& o) noexcept : ours(std::exchange(o.ours, -1)), peer(std::exchange(o.peer, -1)) {}
  Pair& operator=(Pair&&) = delete;
  ~Pair() {
    if (ours >= 0) ::close(ours);
    if (peer >= 0) ::close(peer);
  }
  void close_ours() { ::close(std::exchange(ours, -1)); }
};

// Reads one byte from `p.ours` with the readiness protocol; -1 on an error.
Task<int> read_byte(IoRegistration& reg, int fd) {
  for (;;) {
    ReadyEvent ev = co_await reg.readable();
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1) co_return static_cast<unsigned char>(c);
    if (n < 0 && errno == EAGAIN) {
      reg.clear_readiness(ev);
      continue;
    }
    co_return -1;
  }
}

// The peer sees end-of-stream (or ECONNRESET, when our side closed with unread bytes) within
// `limit`: our side's socket was really released. A bounded wait (the test fails instead of
// hanging), not a timing assertion.
bool peer_sees_eof(int peer, int limit_ms = 5000) {
  pollfd pfd{peer, POLLIN, 0};
  if (::poll(&pfd, 1, limit_ms) != 1) return false;
  char c;
  ssize_t n = ::read(peer, &c, 1);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

// Registration, one byte from another thread, a close seen by the peer: on the current thread.
Task<void> echo_one_byte_then_close(Pair* p) {
  Result<IoRegistration> reg = IoRegistration::create(p->ours);
  EXPECT_TRUE(reg.has_value());
  if (!reg) co_return;
  std::thread writer([peer = p->peer] { EXPECT_EQ(::write(peer, "x", 1), 1); });
  int b = co_await read_byte(*reg, p->ours);
  writer.join();
  EXPECT_EQ(b, 'x');
  {
    IoRegistration gone = std::move(*reg);  // deregistered here, before the close
  }
  p->close_ours();
  EXPECT_TRUE(peer_sees_eof(p->peer));
}

Task<const char*> reactor_in_task() {
  co_return detail::require_reactor("test").name();
}

TEST(ReactorBackend, DefaultIsEpollAndLogsNothing) {
  ReactorEnv env(nullptr);
  testing::internal::CaptureStderr();
  Runtime rt(RuntimeConfig::multi_thread(2));
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_STREQ(rt.reactor_name(), "epoll");
  EXPECT_STREQ(rt.block_on(reactor_in_task()), "epoll");
  EXPECT_EQ(log, "");
}

TEST(ReactorBackend, ConfigSelectsIoUringOnEveryFlavour) {
  ReactorEnv env("epoll");  // the config wins over the environment
  for (const RuntimeConfig& c : every_flavour("io_uring")) {
    testing::internal::CaptureStderr();
    Runtime rt(c);
    std::string log = testing::internal::GetCapturedStderr();
    EXPECT_STREQ(rt.reactor_name(), "io_uring") << log;
    EXPECT_EQ(log, "");
    EXPECT_STREQ(rt.block_on(reactor_in_task()), "io_uring");
    Pair p;
    rt.block_on(echo_one_byte_then_close(&p));
  }
}

TEST(ReactorBackend, EnvironmentSelectsTheBackEnd) {
  for (const char* name : {"io_uring", "epoll"}) {
    ReactorEnv env(name);
    Runtime rt(RuntimeConfig::current_thread());
    EXPECT_STREQ(rt.reactor_name(), name);
    EXPECT_STREQ(rt.block_on(reactor_in_task()), name);
  }
}

// One line per runtime (not per worker), naming the request, its source and the reason; the
// runtime then works on epoll.
void expect_fallback(const RuntimeConfig& c, std::string_view request, std::string_view source,
                     std::string_view reason) {
  testing::internal::CaptureStderr();
  std::optional<Runtime> rt;
  rt.emplace(c);
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_STREQ(rt->reactor_name(), "epoll");
  EXPECT_EQ(count_lines(log), 1u) << log;
  EXPECT_NE(log.find(request), std::string::npos) << log;
  EXPECT_NE(log.find(source), std::string::npos) << log;
  EXPECT_NE(log.find(reason), std::string::npos) << log;
  EXPECT_NE(log.find("falling back to epoll"), std::string::npos) << log;
  Pair p;
  rt->block_on(echo_one_byte_then_close(&p));
}

TEST(ReactorBackend, UnknownNameInTheConfigFallsBackToEpollWithOneLogLine) {
  for (const RuntimeConfig& c : every_flavour("bogus")) {
    expect_fallback(c, "bogus", "RuntimeConfig::reactor", "unknown back-end");
  }
}

TEST(ReactorBackend, UnknownOrForeignNameInTheEnvironmentFallsBackToEpoll) {
  {
    ReactorEnv env("bogus");
    expect_fallback(RuntimeConfig::multi_thread(2), "bogus", "STRATA_REACTOR", "unknown back-end");
  }
  for (const char* name : {"kqueue", "iocp"}) {
    ReactorEnv env(name);
    expect_fallback(RuntimeConfig::current_thread(), name, "STRATA_REACTOR",
                    "not available on Linux");
  }
}

// A sandbox that refuses io_uring_setup with EPERM, as Docker's default seccomp profile does:
// the runtime falls back to epoll and says which call failed with which errno.
int run_under_seccomp_without_io_uring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 11;
  Runtime rt(config_with(RuntimeConfig::multi_thread(2), "io_uring"));
  if (std::string_view(rt.reactor_name()) != "epoll") return 12;
  Pair p;
  rt.block_on(echo_one_byte_then_close(&p));
  return testing::Test::HasFailure() ? 13 : 0;
}

TEST(ReactorBackendDeathTest, KernelRefusingIoUringFallsBackToEpollWithTheErrno) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(run_under_seccomp_without_io_uring()), testing::ExitedWithCode(0),
              "strata: reactor io_uring \\(RuntimeConfig::reactor\\): "
              "io_uring_queue_init: EPERM \\(Operation not permitted\\); falling back to epoll");
}

// Registers `ours` of every pair; fewer registrations than pairs after a failure (reported).
std::vector<IoRegistration> register_all(std::vector<Pair>& pairs) {
  std::vector<IoRegistration> regs;
  for (Pair& p : pairs) {
    Result<IoRegistration> r = IoRegistration::create(p.ours);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r) break;
    regs.push_back(std::move(*r));
  }
  return regs;
}

// Registrations dropped while their poll requests are in flight and events are pending, on the
// owner thread and from another thread: every source is freed once, after its last CQE (ASan
// proves no CQE reaches freed memory), and each close() is seen by the peer.
Task<void> drop_registrations_with_events_pending(std::vector<Pair>* pairs) {
  std::vector<IoRegistration> regs = register_all(*pairs);
  if (regs.size() != pairs->size()) co_return;
  for (Pair& p : *pairs) EXPECT_EQ(::write(p.peer, "y", 1), 1);
  int first = co_await read_byte(regs[0], (*pairs)[0].ours);  // the polls are armed and firing
  EXPECT_EQ(first, 'y');
  for (Pair& p : *pairs) EXPECT_EQ(::write(p.peer, "z", 1), 1);  // more events in flight
  std::vector<IoRegistration> foreign;
  for (std::size_t i = 0; i < regs.size(); ++i) {
    if (i % 2) foreign.push_back(std::move(regs[i]));
  }
  regs.clear();  // the even ones: deregistered on this (the owner) thread
  std::thread([&foreign] { foreign.clear(); }).join();
  for (Pair& p : *pairs) p.close_ours();
  co_await yield_now();  // a reactor turn with the cancels and the last CQEs
  for (Pair& p : *pairs) EXPECT_TRUE(peer_sees_eof(p.peer));
}

TEST(ReactorBackend, IoUringFreesSourcesDroppedWithPollsInFlight) {
  for (const RuntimeConfig& c : every_flavour("io_uring")) {
    Runtime rt(c);
    ASSERT_STREQ(rt.reactor_name(), "io_uring");
    std::vector<Pair> pairs(64);
    rt.block_on(drop_registrations_with_events_pending(&pairs));
  }
}

// Registered and dropped in one turn, on a writable fd: the cancel meets a poll that is posting
// its first CQE. (IORING_OP_POLL_REMOVE fails with EALREADY there and the poll lived on, holding
// the file: the close() below sent no FIN, and a closed UDP socket kept its port.)
Task<void> register_drop_close(int rounds) {
  for (int i = 0; i < rounds; ++i) {
    Pair p;
    {
      Result<IoRegistration> r = IoRegistration::create(p.ours);
      EXPECT_TRUE(r.has_value());
      if (i % 2) co_await yield_now();  // or after the first CQE was read
    }
    p.close_ours();
    EXPECT_TRUE(peer_sees_eof(p.peer));
  }
}

TEST(ReactorBackend, IoUringReleasesTheFileOfARegistrationDroppedAtOnce) {
  for (const RuntimeConfig& c : every_flavour("io_uring")) {
    Runtime rt(c);
    ASSERT_STREQ(rt.reactor_name(), "io_uring");
    rt.block_on(register_drop_close(50));
  }
}

// WorkerAffinity registers with another worker's reactor: from a thread that does not poll it,
// so the op is queued and that reactor is unparked to submit it.
Task<void> read_on_every_worker() {
  std::vector<Pair> pairs(worker_count());
  std::vector<IoRegistration> regs;
  for (std::uint32_t k = 0; k < worker_count(); ++k) {
    WorkerAffinity on(k);
    Result<IoRegistration> r = IoRegistration::create(pairs[k].ours);
    EXPECT_TRUE(r.has_value());
    if (!r) co_return;
    regs.push_back(std::move(*r));
  }
  std::thread writer([&pairs] {
    for (Pair& p : pairs) EXPECT_EQ(::write(p.peer, "w", 1), 1);
  });
  for (std::uint32_t k = 0; k < worker_count(); ++k) {
    int b = co_await read_byte(regs[k], pairs[k].ours);
    EXPECT_EQ(b, 'w');
  }
  writer.join();
  std::thread([&regs] { regs.clear(); }).join();  // deregistered from a foreign thread
  for (Pair& p : pairs) {
    p.close_ours();
    EXPECT_TRUE(peer_sees_eof(p.peer));  // the worker submitted the cancel after the unpark
  }
}

TEST(ReactorBackend, IoUringServesRegistrationsFromOtherWorkers) {
  Runtime rt(config_with(RuntimeConfig::multi_thread(2), "io_uring"));
  ASSERT_STREQ(rt.reactor_name(), "io_uring");
  for (int round = 0; round < 20; ++round) rt.block_on(read_on_every_worker());
}

// Many fds ready in one turn, twice: every one must report both times. With the uring_cq8 build
// (an 8-entry completion ring) the kernel ends the multishot polls it cannot post to, so the
// second round passes only if the reactor re-armed them.
Task<void> many_ready_at_once(std::vector<Pair>* pairs) {
  std::vector<IoRegistration> regs = register_all(*pairs);
  if (regs.size() != pairs->size()) co_return;
  co_await yield_now();  // arm every poll before the writes
  for (int round = 0; round < 3; ++round) {
    for (Pair& p : *pairs) EXPECT_EQ(::write(p.peer, "m", 1), 1);
    for (std::size_t i = 0; i < regs.size(); ++i) {
      int b = co_await read_byte(regs[i], (*pairs)[i].ours);
      EXPECT_EQ(b, 'm');
    }
  }
}

TEST(ReactorBackend, IoUringReportsEveryFdWhenManyAreReadyInOneTurn) {
  for (const RuntimeConfig& c : every_flavour("io_uring")) {
    Runtime rt(c);
    ASSERT_STREQ(rt.reactor_name(), "io_uring");
    std::vector<Pair> pairs(200);
    auto done = rt.block_on(timeout(20s, many_ready_at_once(&pairs)));
    EXPECT_TRUE(done.has_value()) << "an fd never became readable";
  }
}

}  // namespace
}  // namespace strata
