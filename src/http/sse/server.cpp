#include "strata/http/sse/server.hpp"

#include "strata/rt/join_handle.hpp"
#include "strata/rt/runtime.hpp"

namespace strata::http::sse {

namespace {

// The response body: events from the channel, encoded one at a time into `out_`, with
// heartbeats while the channel is quiet. Ends (an empty chunk) when the channel is closed and
// drained or the server drains; its destruction closes the channel and aborts the producer.
class EventStream final : public BodyStream {
 public:
  EventStream(sync::mpsc::Receiver<Event> rx, const StreamConfig& config,
              const std::atomic<bool>* draining, JoinHandle<void> producer)
      : rx_(std::move(rx)),
        heartbeat_(config.heartbeat),
        draining_(draining),
        producer_(std::move(producer)),
        retry_(config.retry) {}
  ~EventStream() override {
    recv_.reset();
    rx_.close();
    producer_.abort();
  }

  Poll<Result<io::BufferView>> poll_data(Context& cx) override {
    if (ended_) return io::BufferView();
    if (draining_ && draining_->load(std::memory_order_acquire)) return end();
    out_.clear();
    if (retry_) {  // the reconnection delay before anything else
      Event e;
      e.retry = std::exchange(retry_, std::nullopt);
      append_event(out_, e);  // a field alone: nothing is dispatched
      return view();
    }
    if (!recv_) recv_.emplace(rx_.recv());
    Poll<std::optional<Event>> p = recv_->poll(cx);
    if (p.is_ready()) {
      recv_.reset();
      std::optional<Event> e = p.take();
      if (!e) return end();
      append_event(out_, *e);
      rearm();
      return view();
    }
    if (heartbeat_ <= Duration::zero()) return pending;
    if (!armed_) rearm();
    if (timer_.poll(cx).is_pending()) return pending;
    append_comment(out_, "");
    rearm();
    return view();
  }

 private:
  io::BufferView view() const noexcept { return io::BufferView(std::string_view(out_)); }
  io::BufferView end() {
    ended_ = true;
    recv_.reset();
    rx_.close();
    producer_.abort();
    return io::BufferView();
  }
  void rearm() noexcept {
    if (heartbeat_ <= Duration::zero()) return;
    timer_.reset(Clock::now() + heartbeat_);
    armed_ = true;
  }

  sync::mpsc::Receiver<Event> rx_;
  std::optional<sync::mpsc::Receiver<Event>::Recv> recv_;
  Duration heartbeat_;
  Sleep timer_{Instant::max()};
  bool armed_ = false;
  bool ended_ = false;
  const std::atomic<bool>* draining_;
  JoinHandle<void> producer_;
  std::optional<std::chrono::milliseconds> retry_;  // still to send
  std::string out_;  // the chunk last returned (valid until the next poll)
};

Response make_response(const Request& req, sync::mpsc::Receiver<Event> rx,
                       const StreamConfig& config, JoinHandle<void> producer) {
  Response r(StatusCode::ok, Body::from_stream(std::make_unique<EventStream>(
                                 std::move(rx), config, req.server_draining, std::move(producer))));
  r.headers.set(header::content_type, "text/event-stream");
  r.headers.set(header::cache_control, "no-cache");
  return r;
}

// Owns the producer (a lambda's captures live in it) for as long as its task runs.
Task<void> run_producer(Producer producer, Sink sink, std::string last_id) {
  co_await producer(std::move(sink), std::move(last_id));
}

}  // namespace

Task<Result<void>> Sink::send(Event e) {
  auto sent = co_await tx_.send(std::move(e));
  if (!sent) co_return fail(Errc::closed, "sse stream ended");
  co_return Result<void>{};
}

std::optional<std::string_view> last_event_id(const Request& req) {
  return req.headers.get("last-event-id");
}

Response response(const Request& req, Producer producer, StreamConfig config) {
  auto [tx, rx] = sync::mpsc::channel<Event>(config.capacity == 0 ? 1 : config.capacity);
  std::string last(last_event_id(req).value_or(""));
  JoinHandle<void> handle = spawn(run_producer(std::move(producer), Sink(std::move(tx)), last));
  return make_response(req, std::move(rx), config, std::move(handle));
}

Response response(const Request& req, sync::mpsc::Receiver<Event> events, StreamConfig config) {
  return make_response(req, std::move(events), config, JoinHandle<void>());
}

}  // namespace strata::http::sse
