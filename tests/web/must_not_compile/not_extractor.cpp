#include "common.hpp"
namespace mnc {
struct C {
  static constexpr std::string_view prefix = "/c";
#ifdef GOOD
  int f(web::Query<"x", int> x) {
    return *x;
  }
#else
  int f(int x) {
    return x;
  }
#endif
  static constexpr auto routes() {
    return web::routes(web::get<"">(&C::f));
  }
};
void mount() {
  web::Module("M").controller<C>();
}
}  // namespace mnc
