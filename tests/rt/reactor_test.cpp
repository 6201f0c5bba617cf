// IoRegistration and the readiness protocol over real pipes and socketpairs: readiness after a
// write from another thread, the clear_readiness(event) + retry protocol under load (no data
// lost), writability after a drain, peer close, and registration errors.
#include "strata/rt/reactor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "strata/rt.hpp"
#include "test_util.hpp"

namespace strata {
namespace {

using namespace std::chrono_literals;

void set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  ASSERT_GE(flags, 0);
  ASSERT_EQ(::fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK)), 0);
}

// Two connected fds: `rd` is the end the runtime reads (non-blocking), `wr` the other one
// (blocking unless asked otherwise). Closes what is still open.
struct FdPair {
  int rd = -1;
  int wr = -1;
  FdPair(int r, int w) : rd(r), wr(w) {}
  FdPair(FdPair&& o) noexcept : rd(std::exchange(o.rd, -1)), wr(std::exchange(o.wr, -1)) {}
  FdPair& operator=(FdPair&&) = delete;
  void close_rd() {
    if (rd >= 0) ::close(rd), rd = -1;
  }
  void close_wr() {
    if (wr >= 0) ::close(wr), wr = -1;
  }
  ~FdPair() {
    close_rd();
    close_wr();
  }
};

FdPair make_pipe() {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  FdPair p{fds[0], fds[1]};
  set_nonblocking(p.rd, true);
  return p;
}

FdPair make_socketpair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  FdPair p{fds[0], fds[1]};
  set_nonblocking(p.rd, true);
  return p;
}

// Wraps a readiness future: records whether its first poll was pending, then lets another thread
// go on (stage = 1), so that the thread acts only once the waker is registered.
struct SignalAfterFirstPoll {
  IoRegistration::ReadyFuture inner;
  std::atomic<int>* stage;
  bool* first_pending;
  bool first = true;
  SignalAfterFirstPoll(IoRegistration::ReadyFuture f, std::atomic<int>* s, bool* fp)
      : inner(f), stage(s), first_pending(fp) {}
  Poll<ReadyEvent> poll(Context& cx) {
    Poll<ReadyEvent> p = inner.poll(cx);
    if (first) {
      first = false;
      *first_pending = p.is_pending();
      stage->store(1);
    }
    return p;
  }
};

void wait_for_stage(const std::atomic<int>& stage, int v) {
  while (stage.load() < v) std::this_thread::yield();
}

struct ReadOutcome {
  bool registered = false;
  bool first_pending = false;
  bool readable = false;
  bool read_closed = false;
  long n = -2;
};

Task<ReadOutcome> await_readable_then_read(int fd, std::atomic<int>* stage) {
  ReadOutcome out;
  Result<IoRegistration> reg = IoRegistration::create(fd);
  out.registered = reg.has_value();
  if (!reg) co_return out;
  EXPECT_EQ(reg->fd(), fd);
  ReadyEvent ev = co_await SignalAfterFirstPoll(reg->readable(), stage, &out.first_pending);
  out.readable = ev.is_readable();
  out.read_closed = ev.is_read_closed();
  char buf[16];
  out.n = static_cast<long>(::read(fd, buf, sizeof buf));
  co_return out;
}

void check_readable_after_remote_write(FdPair p) {
  std::atomic<int> stage{0};
  std::thread writer([&] {
    wait_for_stage(stage, 1);
    EXPECT_EQ(::write(p.wr, "hello", 5), 5);
  });
  auto rt = Runtime::current_thread();
  ReadOutcome out = rt.block_on(await_readable_then_read(p.rd, &stage));
  writer.join();
  EXPECT_TRUE(out.registered);
  EXPECT_TRUE(out.first_pending);  // nothing to read before the write
  EXPECT_TRUE(out.readable);
  EXPECT_FALSE(out.read_closed);
  EXPECT_EQ(out.n, 5);
}

TEST(Reactor, ReadableCompletesAfterAWriteFromAnotherThreadOnAPipe) {
  check_readable_after_remote_write(make_pipe());
}

TEST(Reactor, ReadableCompletesAfterAWriteFromAnotherThreadOnASocketpair) {
  check_readable_after_remote_write(make_socketpair());
}

// Reads 4-byte sequence numbers with the readiness protocol: read until EAGAIN, clear exactly
// the readiness observed, await the next edge. Returns how many records arrived in order.
Task<std::uint32_t> read_records(int fd, std::uint32_t count, std::uint32_t* waits,
                                 bool* in_order) {
  Result<IoRegistration> reg = IoRegistration::create(fd);
  if (!reg) co_return 0;
  std::uint32_t next = 0;
  std::string partial;
  char buf[61];  // not a multiple of the record size: records straddle reads
  while (next < count) {
    ReadyEvent ev = co_await reg->readable();
    ++*waits;
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t off = 0;
        for (; off + 4 <= partial.size(); off += 4) {
          std::uint32_t v;
          std::memcpy(&v, partial.data() + off, 4);
          if (v != next) *in_order = false;
          ++next;
        }
        partial.erase(0, off);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        reg->clear_readiness(ev);
        break;
      }
      co_return next;  // EOF or error: the writer stopped early
    }
  }
  co_return next;
}

void check_no_data_lost(FdPair p) {
  std::signal(SIGPIPE, SIG_IGN);  // a failing reader closes its end: the writer must not die
  constexpr std::uint32_t kWrites = 10'000;
  std::thread writer([&p] {
    for (std::uint32_t i = 0; i < kWrites; ++i) {
      if (::write(p.wr, &i, 4) != 4) return;
      if (i % 16 == 0) std::this_thread::yield();  // vary the batching seen by the reader
    }
  });
  std::uint32_t waits = 0;
  bool in_order = true;
  auto rt = Runtime::current_thread();
  Result<std::uint32_t> got =
      rt.block_on([](int fd, std::uint32_t* w, bool* o) -> Task<Result<std::uint32_t>> {
        // A lost edge would leave the reader waiting forever: bound it.
        co_return co_await timeout(60s, read_records(fd, kWrites, w, o));
      }(p.rd, &waits, &in_order));
  p.close_rd();
  writer.join();
  ASSERT_TRUE(got.has_value()) << "the reader stalled: readiness was lost";
  EXPECT_EQ(*got, kWrites);
  EXPECT_TRUE(in_order);
  EXPECT_GT(waits, 1u);
}

TEST(Reactor, ClearReadinessAndRetryNeverLosesDataOnAPipe) {
  check_no_data_lost(make_pipe());
}

TEST(Reactor, ClearReadinessAndRetryNeverLosesDataOnASocketpair) {
  check_no_data_lost(make_socketpair());
}

TEST(Reactor, WritableOnAFullPipeCompletesAfterTheReaderDrainsIt) {
  FdPair p = make_pipe();
  set_nonblocking(p.wr, true);
  // Fill the pipe completely: big writes, then single bytes until even those fail.
  std::size_t filled = 0;
  std::vector<char> chunk(65536, 'z');
  for (;;) {
    ssize_t n = ::write(p.wr, chunk.data(), chunk.size());
    if (n <= 0) break;
    filled += static_cast<std::size_t>(n);
  }
  while (::write(p.wr, "z", 1) == 1) ++filled;
  ASSERT_EQ(errno, EAGAIN);
  ASSERT_GT(filled, 0u);

  std::atomic<int> stage{0};
  std::atomic<bool> drain_started{false};
  std::thread reader([&] {
    wait_for_stage(stage, 1);
    drain_started.store(true);
    std::size_t got = 0;
    char buf[4096];
    while (got < filled) {
      ssize_t n = ::read(p.rd, buf, sizeof buf);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      } else {
        std::this_thread::yield();
      }
    }
  });
  struct Outcome {
    bool first_pending = false;
    bool writable = false;
    bool drain_had_started = false;
    long n = -2;
  };
  auto rt = Runtime::current_thread();
  Outcome out =
      rt.block_on([](int fd, std::atomic<int>* st, std::atomic<bool>* ds) -> Task<Outcome> {
        Outcome o;
        Result<IoRegistration> reg = IoRegistration::create(fd);
        if (!reg) co_return o;
        ReadyEvent ev = co_await SignalAfterFirstPoll(reg->writable(), st, &o.first_pending);
        o.drain_had_started = ds->load();
        o.writable = ev.is_writable();
        o.n = static_cast<long>(::write(fd, "y", 1));
        co_return o;
      }(p.wr, &stage, &drain_started));
  reader.join();
  EXPECT_TRUE(out.first_pending);
  EXPECT_TRUE(out.drain_had_started);  // a full pipe becomes writable only by reading from it
  EXPECT_TRUE(out.writable);
  EXPECT_EQ(out.n, 1);
}

void check_peer_close(FdPair p, bool shutdown_only) {
  std::atomic<int> stage{0};
  std::thread closer([&] {
    wait_for_stage(stage, 1);
    if (shutdown_only) {
      ::shutdown(p.wr, SHUT_WR);
    } else {
      p.close_wr();
    }
  });
  auto rt = Runtime::current_thread();
  ReadOutcome out = rt.block_on(await_readable_then_read(p.rd, &stage));
  closer.join();
  EXPECT_TRUE(out.first_pending);
  EXPECT_TRUE(out.readable);
  EXPECT_TRUE(out.read_closed);
  EXPECT_EQ(out.n, 0);  // end of stream
}

TEST(Reactor, PeerCloseGivesReadClosedOnASocketpair) {
  check_peer_close(make_socketpair(), false);
}

TEST(Reactor, PeerShutdownGivesReadClosedOnASocketpair) {
  check_peer_close(make_socketpair(), true);
}

TEST(Reactor, PeerCloseGivesReadClosedOnAPipe) {
  check_peer_close(make_pipe(), false);
}

TEST(Reactor, ReadClosedStaysSetAfterClearReadiness) {
  FdPair p = make_socketpair();
  p.close_wr();
  auto rt = Runtime::current_thread();
  rt.block_on([](int fd) -> Task<void> {
    Result<IoRegistration> reg = IoRegistration::create(fd);
    EXPECT_TRUE(reg.has_value());
    if (!reg) co_return;
    ReadyEvent ev = co_await reg->readable();
    EXPECT_TRUE(ev.is_read_closed());
    reg->clear_readiness(ev);
    // The peer is gone for good: readable again at once, still closed.
    ReadyEvent again = co_await reg->readable();
    EXPECT_TRUE(again.is_read_closed());
    char c;
    EXPECT_EQ(::read(fd, &c, 1), 0);
  }(p.rd));
}

TEST(Reactor, RegisteringAnInvalidFdReturnsAnError) {
  auto rt = Runtime::current_thread();
  rt.block_on([]() -> Task<void> {
    Result<IoRegistration> bad = IoRegistration::create(-1);
    EXPECT_FALSE(bad.has_value());
    EXPECT_TRUE(!bad && bad.error() == std::errc::bad_file_descriptor);

    // A closed descriptor.
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    ::close(fds[1]);
    Result<IoRegistration> closed = IoRegistration::create(fds[0]);
    EXPECT_TRUE(!closed && closed.error() == std::errc::bad_file_descriptor);

    // A regular file cannot be polled.
    std::FILE* f = std::tmpfile();
    EXPECT_NE(f, nullptr);
    if (f) {
      Result<IoRegistration> file = IoRegistration::create(::fileno(f));
      EXPECT_TRUE(!file && file.error() == std::errc::operation_not_permitted);
      EXPECT_TRUE(!file && !file.error().message().empty());
      std::fclose(f);
    }

    // The same fd twice.
    int p[2];
    EXPECT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    {
      Result<IoRegistration> first = IoRegistration::create(p[0]);
      EXPECT_TRUE(first.has_value());
      Result<IoRegistration> second = IoRegistration::create(p[0]);
      EXPECT_TRUE(!second && second.error() == std::errc::file_exists);
    }
    ::close(p[0]);
    ::close(p[1]);
    co_return;
  }());
}

TEST(Reactor, RegisteringOutsideARuntimeThrows) {
  FdPair p = make_pipe();
  EXPECT_THROW((void)IoRegistration::create(p.rd), std::logic_error);
}

TEST(Reactor, RegistrationsDroppedWithEventsPendingAreReleasedSafely) {
  // Each round: an fd becomes readable, and its registration is dropped (and the fd closed)
  // before or after the reactor saw the event. ASan checks that no event reaches a freed source.
  auto rt = Runtime::current_thread();
  int completed = rt.block_on([]() -> Task<int> {
    int done = 0;
    for (int i = 0; i < 300; ++i) {
      FdPair p = make_pipe();
      {
        Result<IoRegistration> reg = IoRegistration::create(p.rd);
        EXPECT_TRUE(reg.has_value());
        if (!reg) co_return done;
        EXPECT_EQ(::write(p.wr, "a", 1), 1);
        if (i % 2) co_await yield_now();  // lets the reactor dispatch the event first
        if (i % 3 == 0) {
          ReadyEvent ev = co_await reg->readable();
          EXPECT_TRUE(ev.is_readable());
        }
      }  // deregistered; then the fds close
      ++done;
    }
    co_await sleep(1ms);  // one more reactor round over the released sources
    co_return done;
  }());
  EXPECT_EQ(completed, 300);
}

Task<void> wait_readable(IoRegistration* reg) {
  (void)co_await reg->readable();
}

TEST(Reactor, CancellingAReadinessWaitLosesNeitherTheEdgeNorTheData) {
  // DESIGN §4: a cancelled operation never swallows what the caller cannot see. Readiness waits
  // consume nothing: after a timed-out wait and an aborted waiter, the next wait still sees the
  // edge and the read gets every byte.
  FdPair p = make_pipe();
  auto rt = Runtime::current_thread();
  std::string got = rt.block_on([](int rd, int wr) -> Task<std::string> {
    Result<IoRegistration> reg = IoRegistration::create(rd);
    if (!reg) co_return "no registration";
    Result<ReadyEvent> early = co_await timeout(2ms, reg->readable());
    EXPECT_TRUE(!early && early.error() == Errc::timed_out);

    JoinHandle<void> waiter = spawn(wait_readable(&*reg));
    co_await yield_now();  // the waiter is registered as the reader
    EXPECT_EQ(::write(wr, "abc", 3), 3);
    waiter.abort();  // cancelled whether or not the reactor already woke it
    Result<void> w = co_await waiter;
    EXPECT_FALSE(w.has_value());

    Result<ReadyEvent> ev = co_await timeout(10s, reg->readable());
    EXPECT_TRUE(ev.has_value()) << "the edge was lost with the cancelled waiter";
    char buf[8];
    ssize_t n = ::read(rd, buf, sizeof buf);
    co_return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("read failed");
  }(p.rd, p.wr));
  EXPECT_EQ(got, "abc");
}

// Writes `total` bytes with the readiness protocol (write until EAGAIN, clear, await writable).
Task<std::size_t> write_all(IoRegistration* reg, std::size_t total) {
  std::vector<unsigned char> chunk(7000);
  std::size_t sent = 0;
  while (sent < total) {
    ReadyEvent ev = co_await reg->writable();
    for (;;) {
      std::size_t len = std::min(chunk.size(), total - sent);
      for (std::size_t k = 0; k < len; ++k) chunk[k] = static_cast<unsigned char>((sent + k) % 251);
      ssize_t n = ::send(reg->fd(), chunk.data(), len, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        if (sent == total) break;
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        reg->clear_readiness(ev);
        break;
      }
      co_return sent;
    }
  }
  ::shutdown(reg->fd(), SHUT_WR);
  co_return sent;
}

// Reads until end of stream, checking the byte pattern.
Task<std::size_t> read_all(IoRegistration* reg, bool* intact) {
  std::vector<unsigned char> buf(5000);
  std::size_t got = 0;
  for (;;) {
    ReadyEvent ev = co_await reg->readable();
    for (;;) {
      ssize_t n = ::read(reg->fd(), buf.data(), buf.size());
      if (n > 0) {
        for (ssize_t k = 0; k < n; ++k) {
          if (buf[static_cast<std::size_t>(k)] != (got + static_cast<std::size_t>(k)) % 251)
            *intact = false;
        }
        got += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) co_return got;
      if (errno == EAGAIN) {
        reg->clear_readiness(ev);
        break;
      }
      co_return got;
    }
  }
}

TEST(Reactor, BothDirectionsOfTheProtocolMoveAMegabyteIntact) {
  // Writer and reader are tasks of the same runtime on the two ends of a socketpair: each side
  // keeps hitting EAGAIN and relies on the other's progress to be woken.
  constexpr std::size_t kTotal = 1 << 20;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  FdPair p{fds[0], fds[1]};
  bool intact = true;
  auto rt = Runtime::current_thread();
  auto [sent, got] =
      rt.block_on([](int a, int b, bool* ok) -> Task<std::pair<std::size_t, std::size_t>> {
        Result<IoRegistration> ra = IoRegistration::create(a);
        Result<IoRegistration> rb = IoRegistration::create(b);
        if (!ra || !rb) co_return std::pair<std::size_t, std::size_t>(0, 0);
        Result<std::tuple<std::size_t, std::size_t>> r =
            co_await timeout(60s, join(write_all(&*ra, kTotal), read_all(&*rb, ok)));
        if (!r) co_return std::pair<std::size_t, std::size_t>(0, 0);
        co_return std::pair<std::size_t, std::size_t>(std::get<0>(*r), std::get<1>(*r));
      }(p.wr, p.rd, &intact));
  EXPECT_EQ(sent, kTotal);
  EXPECT_EQ(got, kTotal);
  EXPECT_TRUE(intact);
}

// IoSource directly: the tick makes clear_readiness(event) keep readiness that arrived after
// the event was observed.
TEST(Reactor, ClearingAStaleEventKeepsNewerReadiness) {
  detail::IoSource src;
  Waker w = Waker::noop();
  Context cx(w);
  EXPECT_TRUE(src.poll_ready(cx, Interest::readable).is_pending());
  src.set_readiness(readiness::readable);
  Poll<ReadyEvent> p1 = src.poll_ready(cx, Interest::readable);
  ASSERT_TRUE(p1.is_ready());
  ReadyEvent ev1 = p1.take();
  EXPECT_TRUE(ev1.is_readable());
  EXPECT_FALSE(ev1.is_writable());
  EXPECT_TRUE(src.poll_ready(cx, Interest::writable).is_pending());  // other direction unaffected

  src.set_readiness(readiness::readable);  // a new edge after ev1 was observed
  src.clear_readiness(ev1);                // stale: must not clear the new readiness
  Poll<ReadyEvent> p2 = src.poll_ready(cx, Interest::readable);
  ASSERT_TRUE(p2.is_ready());
  ReadyEvent ev2 = p2.take();
  EXPECT_NE(ev2.tick, ev1.tick);
  src.clear_readiness(ev2);  // current: clears
  EXPECT_TRUE(src.poll_ready(cx, Interest::readable).is_pending());

  src.set_readiness(readiness::read_closed | readiness::readable);
  Poll<ReadyEvent> p3 = src.poll_ready(cx, Interest::readable);
  ASSERT_TRUE(p3.is_ready());
  src.clear_readiness(p3.take());  // read_closed is sticky
  Poll<ReadyEvent> p4 = src.poll_ready(cx, Interest::readable);
  ASSERT_TRUE(p4.is_ready());
  EXPECT_TRUE(p4.take().is_read_closed());
  src.reader.reset();
  src.writer.reset();
}

}  // namespace
}  // namespace strata
