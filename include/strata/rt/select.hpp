// select(): race futures; the first to finish wins, the others are cancelled and destroyed.
//
//   auto [tx, rx] = sync::mpsc::channel<int>(16);
//   auto r = co_await select(rx.recv(), sleep(1s));
//   if (r.index() == 0) use(std::get<0>(r));   // std::optional<int>: a value, or closed
//   else log("timed out");
//
// The result is a std::variant whose index says which future won (void outputs become
// std::monostate). Losers are destroyed before the select returns, i.e. cancelled at their
// current suspension point, with their destructors run. Each poll starts at a random future
// (like tokio's select!), so neither an always-ready future nor a fixed retry pattern can starve
// the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>

#include "strata/rt/future.hpp"
#include "strata/rt/join.hpp"

namespace strata {

namespace detail {
// A cheap per-thread pseudo-random number (xorshift32) for fair polling order.
inline std::uint32_t fast_random() noexcept {
  thread_local std::uint32_t state =
      0x9e3779b9u ^ static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&state));
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}
}  // namespace detail

template <Future... Fs>
class [[nodiscard]] Select {
 public:
  using Output = std::variant<ValueOf<FutureOutput<Fs>>...>;
  static constexpr std::size_t N = sizeof...(Fs);
  explicit Select(Fs... fs) : futs_(std::optional<Fs>(std::move(fs))...) {}

  Poll<Output> poll(Context& cx) {
    std::optional<Output> out;
    std::size_t start = N > 1 ? detail::fast_random() % N : 0;
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
};

template <Future... Fs>
Select<Fs...> select(Fs... fs) {
  return Select<Fs...>(std::move(fs)...);
}

}  // namespace strata
