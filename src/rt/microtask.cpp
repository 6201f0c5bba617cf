// The per-thread microtask queue (see strata/rt/microtask.hpp).
#include "strata/rt/microtask.hpp"

namespace strata {

namespace detail {
constinit thread_local MicrotaskQueue microtask_queue;
}  // namespace detail

void queue_microtask(Microtask* m) noexcept {
  auto& q = detail::microtask_queue;
  m->next = nullptr;
  if (q.tail) {
    q.tail->next = m;
  } else {
    q.head = m;
  }
  q.tail = m;
}

unsigned run_microtasks() noexcept {
  auto& q = detail::microtask_queue;
  unsigned n = 0;
  while (Microtask* m = q.head) {
    q.head = m->next;
    if (!q.head) q.tail = nullptr;
    ++n;
    m->run(m);  // may queue more; they run in this loop
  }
  return n;
}

bool microtasks_pending() noexcept {
  return detail::microtask_queue.head != nullptr;
}

}  // namespace strata
