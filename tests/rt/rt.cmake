# Runtime test variants: the rt sources built again with compile definitions that make the code
# prove itself (rt depends on no other layer, so only src/rt is rebuilt), and some rt test
# binaries linked against them. Each variant's tests are named <variant>/<Suite>.<Test>.

# strata_rt_variant(variant DEFINITIONS d1 d2): the library strata_rt_<variant>.
function(strata_rt_variant variant)
  cmake_parse_arguments(V "" "" "DEFINITIONS" ${ARGN})
  file(GLOB_RECURSE rt_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/rt/*.cpp)
  add_library(strata_rt_${variant} STATIC ${rt_sources})
  target_include_directories(strata_rt_${variant} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_compile_features(strata_rt_${variant} PUBLIC cxx_std_23)
  # PUBLIC: headers (queues, task cells, sync primitives) must see the same definitions.
  target_compile_definitions(strata_rt_${variant} PUBLIC ${V_DEFINITIONS})
  target_link_libraries(strata_rt_${variant} PUBLIC Threads::Threads PRIVATE strata_build_flags)
endfunction()

# strata_rt_variant_test(name variant LABELS l1 SOURCES a.cpp): like strata_test, against
# strata_rt_<variant>.
function(strata_rt_variant_test name variant)
  cmake_parse_arguments(T "" "" "LABELS;SOURCES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE strata_rt_${variant} strata_build_flags GTest::gtest
    GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${variant}/"
    PROPERTIES LABELS "${T_LABELS}")
endfunction()

# Worker run queues of 4 tasks instead of 256 (src/rt/multi_thread/local_queue.hpp), as tokio's
# loom builds shrink theirs: spawning a handful of tasks overflows to the injection queue and
# idle workers steal, in every multi-thread test. Part of the normal `runtime` label.
strata_rt_variant(q4 DEFINITIONS STRATA_LOCAL_QUEUE_CAPACITY=4)
strata_rt_variant_test(rt_multi_thread_q4_test q4 LABELS runtime SOURCES
  rt/multi_thread_test.cpp rt/block_in_place_test.cpp)
strata_rt_variant_test(rt_stress_q4_test q4 LABELS runtime SOURCES rt/stress_test.cpp)
