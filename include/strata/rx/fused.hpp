// strata/rx/fused.hpp: operator fusion, how synchronous operators composed with `|` run as one
// inlined chain instead of one type-erased subscriber per operator.
//
// map, filter, skip, tap, scan, take, take_while and distinct_until_changed are FusedOperators.
// `source | op` with one of them gives a Fused<S, Ops...>: an Observable<U> (it derives from it,
// so it is stored, copied, passed and subscribed as one) that also keeps its source and its
// operators by type, so a further `| op2` extends the typed chain. Subscribing builds one object
// holding every stage, each calling the next directly (the compiler inlines them), and makes one
// Subscriber for the source. Per value, however many operators are fused: one type-erased call
// into the chain (the source's Subscriber), and a second one out of it when the output is an
// erased Subscriber; subscribing callbacks on the Fused value itself calls them inline. A
// non-fused operator, or storing the result in an Observable<U>, is where the chain is
// type-erased; the semantics are the same either way.
//
//     auto doubled = of(1, 2, 3) | map([](int x) { return x * 2; });   // a Fused<int, ...>
//     auto small = doubled | filter([](int x) { return x < 6; });      // one chain of two
//     Observable<int> erased = small;                                  // still one chain
//     std::vector<int> seen;
//     auto sub = erased.subscribe([&](int v) { seen.push_back(v); });  // seen == {2, 4}
//
// Write a fused operator as a struct with `template <class In> using out = ...` (its output type
// for an input type) and `template <class In, class Down> auto stage(Down down) const`, the
// stage: a type with next(const In&), error(std::exception_ptr), complete(), closed() and
// start() that passes events to `down` (detail::StageBase gives the usual parts), then wrap it
// with make_fused_operator.
//
// Semantics kept from the per-operator subscribers (RxJS's createOperatorSubscriber): a stage
// stops after it passed an error or a completion; an exception thrown by a user function, or by
// anything downstream while a stage passes a value, errors the downstream; the source's
// Subscriber is a child of the output's, so completing or unsubscribing the output (take, an
// unsubscribe) stops a synchronous source at once. A stage may refuse to start (take(0)): the
// source is then never subscribed.
// Threads and allocation: as observable.hpp; one allocation for the chain per subscription.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "strata/rx/observable.hpp"

namespace strata::rx {

template <class Op>
struct FusedOperator;

namespace detail {

// The last stage of a chain: the output's Subscriber.
template <class T>
struct SubscriberSink {
  Subscriber<T> dest;
  void next(const T& v) { dest.next(v); }
  void error(std::exception_ptr e) { dest.error(std::move(e)); }
  void complete() { dest.complete(); }
  bool closed() const noexcept { return dest.stopped(); }
  bool start() { return true; }
};

// The last stage when a fused Observable is subscribed with callbacks: calls them directly (a
// Subscriber<T> of an Observer<T> would call them through std::function), with a Subscriber's
// rules: nothing after an error or a completion, or once `sub` is unsubscribed; after an error
// or a completion, `sub` is unsubscribed.
template <class T, class N, class E, class C>
struct CallbackSink {
  Subscription sub;
  N on_next;
  E on_error;
  C on_complete;
  bool stopped = false;

  // No `sub.closed()` test per value: `sub` closing closes the chain's entry Subscriber, which
  // drops every later value, and no fused stage passes a value on after its downstream closed
  // within one event (they pass at most one, last; see StageBase).
  void next(const T& v) {
    if (!stopped) on_next(v);
  }
  void error(std::exception_ptr e) {
    if (closed()) return;
    stopped = true;
    if constexpr (!std::is_null_pointer_v<E>) on_error(std::move(e));
    sub.unsubscribe();
  }
  void complete() {
    if (closed()) return;
    stopped = true;
    if constexpr (!std::is_null_pointer_v<C>) on_complete();
    sub.unsubscribe();
  }
  bool closed() const noexcept { return stopped || sub.closed(); }
  bool start() { return true; }
};

// What most stages share: the downstream, the stopped flag, and the terminal events passed on
// once (an exception a callback of `down` throws propagates to the caller, as through a
// Subscriber). The rule every stage keeps, which lets values skip the closed test: per value it
// receives, a stage passes at most one value on, and does nothing after that but possibly a
// completion (which is tested). A stage that must emit more (buffer_count at completion) is not
// a fused operator.
template <class Down>
struct StageBase {
  Down down;
  bool stopped = false;

  bool closed() const noexcept { return stopped || down.closed(); }
  bool start() { return down.start(); }
  void error(std::exception_ptr e) {
    if (closed()) return;
    stopped = true;
    down.error(std::move(e));
  }
  void complete() {
    if (closed()) return;
    stopped = true;
    down.complete();
  }
  // Runs `f` (a value's work); an exception errors the downstream, as operator_subscriber does.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (...) {
      error(std::current_exception());
    }
  }
};

// The stage chain for input In through ops..., ending in `last`.
template <class In, class Last>
auto build_chain(Last last) {
  return last;
}
template <class In, class Last, class Op, class... Rest>
auto build_chain(Last last, const Op& op, const Rest&... rest) {
  using Out = typename Op::template out<In>;
  return op.template stage<In>(build_chain<Out>(std::move(last), rest...));
}

template <class In, class... Ops>
struct ChainOut;
template <class In>
struct ChainOut<In> {
  using type = In;
};
template <class In, class Op, class... Rest>
struct ChainOut<In, Op, Rest...> {
  using type = typename ChainOut<typename Op::template out<In>, Rest...>::type;
};

}  // namespace detail

// The Observable `source | ops...` of fused operators, with its parts kept by type.
template <class S, class... Ops>
class Fused : public Observable<typename detail::ChainOut<S, Ops...>::type> {
 public:
  using Base = Observable<typename detail::ChainOut<S, Ops...>::type>;
  using value_type = typename Base::value_type;

  Fused(Observable<S> source, std::tuple<Ops...> ops)
      : Base([source, ops](const Subscriber<value_type>& dest) {
          subscribe_chain(source, ops, dest, detail::SubscriberSink<value_type>{dest});
        }),
        source_(std::move(source)),
        ops_(std::move(ops)) {}

  // As Observable<T>'s; with callbacks, the chain calls them directly.
  Subscriber<value_type> subscribe(Subscriber<value_type> s) const {
    return Base::subscribe(std::move(s));
  }
  Subscription subscribe(Observer<value_type> o) const { return Base::subscribe(std::move(o)); }
  template <class N, class E = std::nullptr_t, class C = std::nullptr_t>
  requires std::is_invocable_v<N&, const value_type&> Subscription
  subscribe(N on_next, E on_error = nullptr, C on_complete = nullptr)
  const {
    Subscription sub;
    detail::CallbackSink<value_type, N, E, C> sink{sub, std::move(on_next), std::move(on_error),
                                                   std::move(on_complete)};
    try {
      subscribe_chain(source_, ops_, sub, sink);
    } catch (...) {
      sink.error(std::current_exception());  // as Observable::subscribe does
    }
    return sub;
  }

  const Observable<S>& source() const noexcept { return source_; }
  const std::tuple<Ops...>& ops() const noexcept { return ops_; }

 private:
  template <class Last>
  static void subscribe_chain(const Observable<S>& source, const std::tuple<Ops...>& ops,
                              const Subscription& dest, const Last& last) {
    auto chain =
        std::apply([&](const Ops&... op) { return detail::build_chain<S>(last, op...); }, ops);
    if (!chain.start()) return;
    using Chain = decltype(chain);
    auto held = std::make_shared<Chain>(std::move(chain));
    Observer<S> o;
    o.next = [held](const S& v) { held->next(v); };
    o.error = [held](std::exception_ptr e) { held->error(std::move(e)); };
    o.complete = [held] { held->complete(); };
    Subscriber<S> entry(std::move(o));
    dest.add(entry);
    source.subscribe(entry);
  }

  Observable<S> source_;
  std::tuple<Ops...> ops_;
};

// A fused operator as a value: `source | op`.
template <class Op>
struct FusedOperator {
  Op op;
  template <class T>
  Fused<T, Op> operator()(const Observable<T>& source) const {
    return Fused<T, Op>(source, std::tuple<Op>(op));
  }
};
template <class Op>
FusedOperator<Op> make_fused_operator(Op op) {
  return FusedOperator<Op>{std::move(op)};
}

template <class T, class Op>
Fused<T, Op> operator|(const Observable<T>& source, const FusedOperator<Op>& op) {
  return op(source);
}
template <class S, class... Ops, class Op>
Fused<S, Ops..., Op> operator|(const Fused<S, Ops...>& source, const FusedOperator<Op>& op) {
  return Fused<S, Ops..., Op>(source.source(), std::tuple_cat(source.ops(), std::tuple<Op>(op.op)));
}

}  // namespace strata::rx
