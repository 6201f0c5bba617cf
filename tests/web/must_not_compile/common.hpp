// Shared by the must-not-compile cases: each case compiles with -DGOOD (must succeed) and
// without it (must fail with the static_assert message its CMake test expects).
#pragma once
#include "strata/web.hpp"

namespace mnc {
namespace web = strata::web;
struct Dto {
  int a = 0;
};
BOOST_DESCRIBE_STRUCT(Dto, (), (a))
}  // namespace mnc
