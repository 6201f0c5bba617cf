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
  target_link_libraries(strata_rt_${variant} PUBLIC Threads::Threads PkgConfig::URING
    PRIVATE strata_build_flags)
endfunction()

# strata_rt_variant_test(name variant LABELS l1 [ENVIRONMENT V=x] SOURCES a.cpp): like
# strata_test, against strata_rt_<variant>.
function(strata_rt_variant_test name variant)
  cmake_parse_arguments(T "" "" "LABELS;ENVIRONMENT;SOURCES" ${ARGN})
  set(props LABELS "${T_LABELS}")
  if(T_ENVIRONMENT)
    list(APPEND props ENVIRONMENT "${T_ENVIRONMENT}")
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE strata_rt_${variant} strata_build_flags GTest::gtest
    GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${variant}/"
    PROPERTIES ${props})
endfunction()

# Worker run queues of 4 tasks instead of 256 (src/rt/multi_thread/local_queue.hpp), as tokio's
# loom builds shrink theirs: spawning a handful of tasks overflows to the injection queue and
# idle workers steal, in every multi-thread test. Part of the normal `runtime` label.
strata_rt_variant(q4 DEFINITIONS STRATA_LOCAL_QUEUE_CAPACITY=4)
strata_rt_variant_test(rt_multi_thread_q4_test q4 LABELS runtime SOURCES
  rt/multi_thread_test.cpp rt/block_in_place_test.cpp)
strata_rt_variant_test(rt_stress_q4_test q4 LABELS runtime SOURCES rt/stress_test.cpp)

# Yield injection (include/strata/rt/detail/atomic.hpp): with STRATA_STRESS_ATOMICS every atomic
# operation of the runtime is a scheduling point that now and then yields the thread, and the
# queues hold 4 tasks as in q4. Off by default (its own presets: `make stress`); label
# stress-atomics, outside the runtime label, so the normal and TSan runs do not include it.
if(STRATA_STRESS_ATOMICS)
  strata_rt_variant(stress DEFINITIONS STRATA_STRESS_ATOMICS STRATA_LOCAL_QUEUE_CAPACITY=4)
  # A tenth of the CI-sized stress loops (test_util.hpp): with yields, the million-task test alone
  # took 2 minutes at full size.
  strata_rt_variant_test(rt_stress_atomics_test stress LABELS stress-atomics
    ENVIRONMENT STRATA_STRESS_SCALE=0.1 SOURCES
    rt/runtime_test.cpp rt/multi_thread_test.cpp rt/block_in_place_test.cpp rt/stress_test.cpp)
  strata_rt_variant_test(rt_stress_atomics_sync_test stress LABELS stress-atomics
    ENVIRONMENT STRATA_STRESS_SCALE=0.1 SOURCES
    rt/sync/oneshot_test.cpp rt/sync/mpsc_test.cpp rt/sync/notify_test.cpp rt/sync/semaphore_test.cpp rt/sync/mutex_test.cpp rt/sync/rwlock_test.cpp
    rt/sync/broadcast_test.cpp rt/sync/watch_test.cpp)
  # What the stress presets build (CMakePresets.json): only these, not the whole project.
  add_custom_target(rt_stress_atomics DEPENDS rt_stress_atomics_test rt_stress_atomics_sync_test)
endif()
