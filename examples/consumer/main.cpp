// Built against the installed package by tests/install/check_install.sh.
#include <strata/strata.hpp>

#include <cstdio>

strata::Task<int> answer() {
  auto h = strata::spawn([]() -> strata::Task<int> { co_return 21; }());
  auto v = co_await h;
  co_await strata::sleep(std::chrono::milliseconds(1));
  co_return *v * 2;
}

int main() {
  auto rt = strata::Runtime::current_thread();
  int v = rt.block_on(answer());
  std::printf("answer: %d\n", v);
  return v == 42 ? 0 : 1;
}
