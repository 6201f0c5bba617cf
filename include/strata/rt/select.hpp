// select(): race futures; the first to finish wins, the others are cancelled and destroyed.
//
//   auto r = co_await select(rx.recv(), sleep(1s));
//   if (r.index() == 0) use(std::get<0>(r)); else /* timed out */;
//
// The result is a std::variant whose index says which future won (void outputs become
// std::monostate). Losers are destroyed before the select returns, i.e. cancelled at their
// current suspension point, with their destructors run. The starting future rotates between
// polls so that an always-ready future cannot starve the others.
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>

#include "strata/rt/future.hpp"
#include "strata/rt/join.hpp"

namespace strata {

template <Future... Fs>
class [[nodiscard]] Select {
 public:
  using Output = std::variant<ValueOf<FutureOutput<Fs>>...>;
  static constexpr std::size_t N = sizeof...(Fs);
  explicit Select(Fs... fs) : futs_(std::optional<Fs>(std::move(fs))...) {}

  Poll<Output> poll(Context& cx) {
    std::optional<Output> out;
    std::size_t start = start_++ % N;
    for (std::size_t k = 0; k < N && !out; ++k) {
      poll_index(cx, (start + k) % N, out, std::index_sequence_for<Fs...>{});
    }
    if (!out) return pending;
    std::apply([](auto&... f) { (f.reset(), ...); }, futs_);
    return std::move(*out);
  }

 private:
  template <std::size_t... I>
  void poll_index(Context& cx, std::size_t i, std::optional<Output>& out,
                  std::index_sequence<I...>) {
    ((I == i ? poll_one<I>(cx, out) : void()), ...);
  }
  template <std::size_t I>
  void poll_one(Context& cx, std::optional<Output>& out) {
    auto& f = std::get<I>(futs_);
    auto p = f->poll(cx);
    if (p.is_ready()) {
      out.emplace(std::in_place_index<I>,
                  detail::take_value<std::tuple_element_t<I, std::tuple<Fs...>>>(p));
    }
  }

  std::tuple<std::optional<Fs>...> futs_;
  std::size_t start_ = 0;
};

template <Future... Fs>
Select<Fs...> select(Fs... fs) {
  return Select<Fs...>(std::move(fs)...);
}

}  // namespace strata
