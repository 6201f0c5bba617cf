#include "strata/rt/waker.hpp"

namespace strata {

namespace {
void noop_fn(const void*) {}
constexpr WakerVTable noop_vtable{&noop_fn, &noop_fn, &noop_fn, &noop_fn};
}  // namespace

Waker Waker::noop() noexcept {
  static const char token = 0;
  return Waker(&token, &noop_vtable);
}

}  // namespace strata
