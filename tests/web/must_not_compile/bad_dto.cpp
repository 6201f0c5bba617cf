#include "common.hpp"
namespace mnc {
struct Undescribed {
  int a = 0;
};
struct C {
  static constexpr std::string_view prefix = "/c";
#ifdef GOOD
  int f(web::Body<Dto> d) {
    return d->a;
  }
#else
  int f(web::Body<Undescribed> d) {
    return d->a;
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
