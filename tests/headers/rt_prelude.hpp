// The prelude of the strata/rt header examples (cmake/header_examples.py): the rt layer and the
// helpers its examples call.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

#include <strata/rt.hpp>

#include "common_prelude.hpp"

namespace strata_examples {
Task<int> fetch(int id);                             // some asynchronous work with a result
std::string read_whole_file(std::string_view path);  // blocking file I/O
std::string bcrypt(std::string_view password);       // CPU-heavy work
}  // namespace strata_examples
