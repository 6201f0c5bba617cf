#include "strata/http/h1/server_connection.hpp"

#include <new>

namespace strata::http::h1 {

namespace {

// Free Scratch objects of this thread. Each holds ~5 KiB (the inline field array and the
// capacity of its strings and vectors); a few hundred cover the requests a worker has in flight
// at once, more are freed.
struct ScratchCache {
  Scratch* head = nullptr;
  std::size_t count = 0;
  static constexpr std::size_t max = 256;
  ~ScratchCache() {
    while (head) delete std::exchange(head, head->next_free);
  }
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool cache_scratch = false;  // let the sanitizers see every use after release
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool cache_scratch = false;
#else
constexpr bool cache_scratch = true;
#endif
#else
constexpr bool cache_scratch = true;
#endif

thread_local ScratchCache scratch_cache;

}  // namespace

Scratch* Scratch::acquire(const Limits& limits) {
  ScratchCache& c = scratch_cache;
  Scratch* s;
  if (cache_scratch && c.head) {
    s = std::exchange(c.head, c.head->next_free);
    --c.count;
    s->next_free = nullptr;
  } else {
    s = new Scratch();
  }
  s->parser = RequestParser(limits);
  s->decoder = BodyDecoder(limits);
  return s;
}

void Scratch::release(Scratch* s) noexcept {
  ScratchCache& c = scratch_cache;
  if (!cache_scratch || c.count >= ScratchCache::max || s->out.capacity() > 256 * 1024) {
    delete s;
    return;
  }
  s->request.clear();
  s->response.clear();
  s->trailers.clear();
  s->out.clear();
  s->out_sent = 0;
  s->out_failed = false;
  s->head_bytes.reset();
  s->next_free = c.head;
  c.head = s;
  ++c.count;
}

namespace detail {

void append_error_response(std::string& out, int status) {
  StatusCode code = StatusCode::from_u16(static_cast<std::uint16_t>(status))
                        .value_or(StatusCode::internal_server_error);
  Response r(code, Body::from_static(code.reason()));
  r.headers.append_view_unchecked(header::content_type, "text/plain; charset=utf-8");
  Framing f;
  f.kind = Framing::Kind::length;
  f.length = code.reason().size();
  ResponseHeadOptions o;
  o.keep_alive = false;
  append_response_head(out, r, f, o);
  out.append(code.reason());
}

}  // namespace detail

}  // namespace strata::http::h1
