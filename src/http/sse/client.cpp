#include "strata/http/sse/client.hpp"

#include "strata/rt/time.hpp"

namespace strata::http::sse {

namespace {

class EventSourceCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata.http.sse.event_source"; }
  std::string message(int e) const override {
    switch (static_cast<EventSourceErrc>(e)) {
      case EventSourceErrc::bad_status:
        return "event source answered with a status other than 200";
      case EventSourceErrc::bad_content_type:
        return "event source answered without text/event-stream";
      case EventSourceErrc::too_many_reconnects:
        return "event source: too many failed reconnections";
      case EventSourceErrc::closed:
        return "event source closed";
    }
    return "unknown event source error";
  }
};

bool is_event_stream(std::string_view content_type) {
  constexpr std::string_view want = "text/event-stream";
  if (content_type.size() < want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(content_type[i])) != want[i]) return false;
  }
  return content_type.size() == want.size() || content_type[want.size()] == ';' ||
         content_type[want.size()] == ' ';
}

}  // namespace

const std::error_category& event_source_category() noexcept {
  static const EventSourceCategory category;
  return category;
}

std::error_code make_error_code(EventSourceErrc e) noexcept {
  return {static_cast<int>(e), event_source_category()};
}

EventSource::EventSource(Client client, std::string url, EventSourceConfig config)
    : client_(std::move(client)),
      url_(std::move(url)),
      config_(std::move(config)),
      parser_(config_.limits) {
  parser_.set_last_event_id(config_.last_event_id);
}

void EventSource::close() {
  closed_ = true;
  response_.reset();
  ready_.clear();
}

Task<Result<void>> EventSource::connect() {
  auto builder = client_.get(url_);
  builder.header("accept", "text/event-stream").header("cache-control", "no-cache");
  const std::string& id = last_event_id();
  if (!id.empty()) builder.header("last-event-id", id);
  Result<Response> r = co_await builder.send();
  if (!r) co_return fail(r.error());
  if (r->status != StatusCode::ok) {
    co_return fail(Error(make_error_code(EventSourceErrc::bad_status), "sse connect"));
  }
  if (!is_event_stream(r->headers.get(header::content_type).value_or(""))) {
    co_return fail(Error(make_error_code(EventSourceErrc::bad_content_type), "sse connect"));
  }
  parser_.restart();
  response_ = std::move(*r);
  ++connections_;
  co_return Result<void>{};
}

Task<Result<Event>> EventSource::next() {
  for (;;) {
    if (closed_) co_return fail(Error(make_error_code(EventSourceErrc::closed), "sse"));
    if (!ready_.empty()) {
      Event e = std::move(ready_.front());
      ready_.pop_front();
      failures_ = 0;
      co_return e;
    }
    if (!response_) {
      if (connections_ > 0 || failures_ > 0) {  // a reconnection: wait the delay first
        if (failures_ >= config_.max_reconnects) {
          co_return fail(Error(make_error_code(EventSourceErrc::too_many_reconnects), "sse"));
        }
        co_await sleep(retry());
        if (closed_) continue;
      }
      Result<void> c = co_await connect();
      if (!c) {
        const std::error_code& code = c.error().code();
        if (code == EventSourceErrc::bad_status || code == EventSourceErrc::bad_content_type) {
          co_return fail(c.error());
        }
        ++failures_;
        continue;
      }
      ++failures_;  // reset when an event arrives
    }
    Result<io::BufferView> chunk = co_await response_->body.next();
    if (!chunk || chunk->empty()) {  // the stream ended or broke: reconnect
      parser_.end();
      response_.reset();
      continue;
    }
    Result<void> fed = parser_.feed(chunk->as_string_view(),
                                    [this](Event&& e) { ready_.push_back(std::move(e)); });
    if (!fed) {  // an event over the limits: this connection is unusable
      parser_.end();
      response_.reset();
    }
  }
}

}  // namespace strata::http::sse
