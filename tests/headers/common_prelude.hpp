// What every layer's example prelude shares (tests/headers/<layer>_prelude.hpp): the names the
// generated code itself needs. See cmake/header_examples.py for the example convention.
#pragma once

#include <chrono>
#include <utility>

#include <strata/rt/error.hpp>
#include <strata/rt/task.hpp>

namespace strata_examples {
using namespace strata;
using namespace std::chrono_literals;

// The value type of the coroutine that holds an example's statements: any `co_return x;` fits,
// so an example may end the way a handler or a Task<Result<T>> would.
struct AnyValue {
  AnyValue() = default;
  template <class T>
  AnyValue(T&&) {}  // NOLINT: converting on purpose
};

// Stand-ins an example may call for "the rest of the program": declared, never defined (the
// examples are compiled, not linked). Prefer real code; add a name here only when the example
// reads better with it.
void use(auto&&...);  // consumes values the example computed
void log(auto&&...);  // writes a log line
}  // namespace strata_examples
