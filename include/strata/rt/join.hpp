// join() and join_all(): run several futures concurrently inside one task, wait for all of them.
//
//   auto [a, b] = co_await join(fetch(1), fetch(2));       // std::tuple of both outputs
//   std::vector<Task<int>> tasks;
//   for (int i = 0; i < 10; ++i) tasks.push_back(fetch(i));
//   std::vector<int> all = co_await join_all(std::move(tasks));
//
// The futures run interleaved on the awaiting task (no spawn, no extra thread); a void output
// becomes std::monostate. Each finished future is destroyed as soon as it is done. An exception
// from any future propagates out of the join (the others are destroyed with it).
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "strata/rt/future.hpp"

namespace strata {

// A future's output, with void mapped to std::monostate so it can be stored.
template <class T>
using ValueOf = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

namespace detail {
template <class F>
ValueOf<FutureOutput<F>> take_value(Poll<FutureOutput<F>>& p) {
  if constexpr (std::is_void_v<FutureOutput<F>>) {
    return {};
  } else {
    return p.take();
  }
}
}  // namespace detail

template <Future... Fs>
class [[nodiscard]] Join {
 public:
  using Output = std::tuple<ValueOf<FutureOutput<Fs>>...>;
  explicit Join(Fs... fs) : futs_(std::optional<Fs>(std::move(fs))...) {}

  Poll<Output> poll(Context& cx) {
    bool all = poll_all(cx, std::index_sequence_for<Fs...>{});
    if (!all) return pending;
    return std::apply([](auto&... o) { return Output(std::move(*o)...); }, outs_);
  }

 private:
  template <std::size_t... I>
  bool poll_all(Context& cx, std::index_sequence<I...>) {
    return (poll_one<I>(cx) & ...);
  }
  template <std::size_t I>
  bool poll_one(Context& cx) {
    auto& out = std::get<I>(outs_);
    if (out) return true;
    auto& f = std::get<I>(futs_);
    auto p = f->poll(cx);
    if (p.is_pending()) return false;
    out.emplace(detail::take_value<std::tuple_element_t<I, std::tuple<Fs...>>>(p));
    f.reset();
    return true;
  }

  std::tuple<std::optional<Fs>...> futs_;
  std::tuple<std::optional<ValueOf<FutureOutput<Fs>>>...> outs_;
};

template <Future... Fs>
Join<Fs...> join(Fs... fs) {
  return Join<Fs...>(std::move(fs)...);
}

template <Future F>
class [[nodiscard]] JoinAll {
 public:
  using Value = ValueOf<FutureOutput<F>>;
  explicit JoinAll(std::vector<F> fs) : remaining_(fs.size()) {
    futs_.reserve(fs.size());
    for (auto& f : fs) futs_.emplace_back(std::move(f));
    outs_.resize(fs.size());
  }

  Poll<std::vector<Value>> poll(Context& cx) {
    for (std::size_t i = 0; i < futs_.size() && remaining_; ++i) {
      if (!futs_[i]) continue;
      auto p = futs_[i]->poll(cx);
      if (p.is_pending()) continue;
      outs_[i].emplace(detail::take_value<F>(p));
      futs_[i].reset();
      --remaining_;
    }
    if (remaining_) return pending;
    std::vector<Value> out;
    out.reserve(outs_.size());
    for (auto& o : outs_) out.push_back(std::move(*o));
    return out;
  }

 private:
  std::vector<std::optional<F>> futs_;
  std::vector<std::optional<Value>> outs_;
  std::size_t remaining_;
};

template <Future F>
JoinAll<F> join_all(std::vector<F> fs) {
  return JoinAll<F>(std::move(fs));
}

}  // namespace strata
