#include "common.hpp"
namespace mnc {
struct C {
  static constexpr std::string_view prefix = "/users/:uid";
  int f(web::Param<"uid", int> u, web::Param<"id", int> id) { return *u + *id; }
#ifdef GOOD
  static constexpr auto routes() {
    return web::routes(web::get<"posts/:id">(&C::f));
  }
#else
  static constexpr auto routes() {
    return web::routes(web::get<"posts/:post">(&C::f));
  }
#endif
};
void mount() {
  web::Module("M").controller<C>();
}
}  // namespace mnc
