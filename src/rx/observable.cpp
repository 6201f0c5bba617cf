// The non-template creation functions of strata/rx/observable.hpp.
#include "strata/rx/observable.hpp"

namespace strata::rx {

namespace {

struct TimerState {
  Subscriber<long> sub;
  SchedulerRef sch;
  std::optional<Duration> period;
  long n = 0;
  Subscription action;
};

void timer_tick(const std::shared_ptr<TimerState>& st) {
  if (st->sub.closed()) return;
  st->sub.next(st->n++);
  if (st->sub.closed()) return;  // next() may end the subscription (take): no further tick
  if (st->period) {
    st->action = st->sch->schedule(*st->period, [st] { timer_tick(st); });
  } else {
    st->sub.complete();
  }
}

}  // namespace

Observable<long> timer(Duration due, std::optional<Duration> period, SchedulerRef sch) {
  return Observable<long>([due, period, sch](const Subscriber<long>& s) {
    auto st = std::make_shared<TimerState>(TimerState{s, sch, period, 0, Subscription()});
    st->action = sch->schedule(due, [st] { timer_tick(st); });
    // Weak: the state holds the subscriber, whose teardowns would otherwise hold the state (a
    // cycle LeakSanitizer reported). The scheduled tick owns the state while one is pending.
    s.add([weak = std::weak_ptr<TimerState>(st)] {
      if (auto p = weak.lock()) p->action.unsubscribe();
    });
  });
}

}  // namespace strata::rx
