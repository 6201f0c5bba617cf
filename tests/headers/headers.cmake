# Two build-time checks over the public headers (include/strata/**), part of the default build,
# so `make test` and CI fail when either breaks (docs/contributing.md, "Header checks"). Not in
# sanitizer builds: they would compile the same code again (about 130 CPU-seconds) for nothing.
if(STRATA_SANITIZE)
  return()
endif()

# 1. Self-containment: one generated .cpp per header that includes only that header, compiled
#    with the project's warnings and -Werror (Seastar's `checkheaders`). -g0: nothing here is run,
#    and debug info made a unit 1.5x slower (server.hpp: 5.8 s with -g, 3.7 s without).
file(GLOB_RECURSE STRATA_PUBLIC_HEADERS CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/include/strata/*.hpp)
set(_strata_header_tus)
foreach(header ${STRATA_PUBLIC_HEADERS})
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/include ${header})
  string(REGEX REPLACE "[/.]" "_" stem ${rel})
  set(tu ${CMAKE_CURRENT_BINARY_DIR}/headers/${stem}.cpp)
  file(CONFIGURE OUTPUT ${tu}
    CONTENT "#include <${rel}>  // and nothing else: it must compile alone\n")
  list(APPEND _strata_header_tus ${tu})
endforeach()
add_library(strata_header_check OBJECT ${_strata_header_tus})
target_link_libraries(strata_header_check PRIVATE strata::strata strata_build_flags)
target_compile_options(strata_header_check PRIVATE -Werror -g0)

# 2. Header examples: cmake/header_examples.py extracts the example from the top comment of each
#    public header and writes one file per layer, <build>/tests/<layer>/examples_test.cpp, which
#    compiles them after the layer's prelude (tests/headers/<layer>_prelude.hpp). A failing
#    example's error names the header and the line of its comment (#line directives).
#
# STRATA_EXAMPLES_EXCLUDED: headers whose example is not checked, as paths relative to the
# source root. Only for a header being rewritten; empty it when the rewrite lands.
set(STRATA_EXAMPLES_EXCLUDED
)
foreach(excluded ${STRATA_EXAMPLES_EXCLUDED})
  if(NOT EXISTS ${PROJECT_SOURCE_DIR}/${excluded})
    message(FATAL_ERROR "STRATA_EXAMPLES_EXCLUDED names a missing header: ${excluded}")
  endif()
endforeach()
list(TRANSFORM STRATA_EXAMPLES_EXCLUDED PREPEND --exclude= OUTPUT_VARIABLE _strata_exclude_args)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_strata_examples_tool ${PROJECT_SOURCE_DIR}/cmake/header_examples.py)
set(_strata_examples_tus)
foreach(layer rt io net tls http rx web)
  file(GLOB_RECURSE layer_headers CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/include/strata/${layer}/*.hpp)
  list(FILTER layer_headers EXCLUDE REGEX "/detail/")   # internals: design notes, not examples
  list(APPEND layer_headers ${PROJECT_SOURCE_DIR}/include/strata/${layer}.hpp)
  set(prelude ${CMAKE_CURRENT_SOURCE_DIR}/headers/${layer}_prelude.hpp)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${layer}/examples_test.cpp)
  add_custom_command(OUTPUT ${out}
    COMMAND ${Python3_EXECUTABLE} ${_strata_examples_tool} --out ${out}
      --root ${PROJECT_SOURCE_DIR} --prelude ${prelude} ${_strata_exclude_args} ${layer_headers}
    DEPENDS ${_strata_examples_tool} ${prelude} ${layer_headers}
    COMMENT "Extracting the header examples of strata/${layer}"
    VERBATIM)
  list(APPEND _strata_examples_tus ${out})
endforeach()
add_library(strata_header_examples OBJECT ${_strata_examples_tus})
target_link_libraries(strata_header_examples PRIVATE strata::strata strata_build_flags)
# Examples may show a value without using it: the unused-* warnings are off, the rest is -Werror.
target_compile_options(strata_header_examples PRIVATE -Werror -g0 -Wno-unused-variable
  -Wno-unused-but-set-variable -Wno-unused-parameter -Wno-unused-result -Wno-unused-local-typedefs)

# The example check itself can fail, and points at the header when it does (fixtures/).
add_test(NAME header_examples_check_fails
  COMMAND ${CMAKE_COMMAND} -DPYTHON=${Python3_EXECUTABLE} -DCXX=${CMAKE_CXX_COMPILER}
    -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/headers
    -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/fixtures/check_examples_fail.cmake)
set_tests_properties(header_examples_check_fails PROPERTIES LABELS "headers" TIMEOUT 120)
