#include "common.hpp"
namespace mnc {
struct Repo {};
struct Service {
#ifdef GOOD
  using inject = web::Inject<Repo>;
#endif
  explicit Service(std::shared_ptr<Repo>) {}
};
void mount() {
  web::Module("M").provide<Repo>().provide<Service>();
}
}  // namespace mnc
