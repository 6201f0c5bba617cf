#include "strata/rt/error.hpp"

namespace strata {

namespace {
class StrataCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "strata"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::cancelled:
        return "operation cancelled";
      case Errc::timed_out:
        return "operation timed out";
      case Errc::closed:
        return "closed";
      case Errc::shutdown:
        return "runtime shutting down";
      case Errc::invalid_input:
        return "invalid input";
    }
    return "unknown strata error";
  }
};
}  // namespace

const std::error_category& strata_category() noexcept {
  static const StrataCategory category;
  return category;
}

std::string Error::message() const {
  std::string m = code_.message();
  if (context_.empty()) return m;
  return std::string(context_) + ": " + m;
}

}  // namespace strata
