#include "common.hpp"
namespace mnc {
struct C {
  static constexpr std::string_view prefix = "/c";
#ifdef GOOD
  int f(web::Body<Dto> a) {
    return a->a;
  }
#else
  int f(web::Body<Dto> a, web::Body<Dto> b) {
    return a->a + b->a;
  }
#endif
  static constexpr auto routes() {
    return web::routes(web::post<"">(&C::f));
  }
};
void mount() {
  web::Module("M").controller<C>();
}
}  // namespace mnc
