# Reactor back-ends (src/rt/reactor/). Included after rt.cmake (the glob is sorted), whose
# strata_rt_variant functions it uses.

# Selection, logged fallbacks, the reported name, and the io_uring back-end's own hazards.
# Label runtime, so that the sanitizer runs (TSan: the runtime label) include it.
strata_test(rt_reactor_backend_test LABELS runtime SOURCES rt/reactor_backend_test.cpp)

# The suites that exercise the reactor run a second time on io_uring (STRATA_REACTOR=io_uring,
# label io_uring, names io_uring/<Suite>.<Test>): readiness and registration, parking and
# unparking workers, the core hand-off of block_in_place, TCP/UDP/Unix sockets, and the HTTP/1.1
# server. The rest of the suite reaches the reactor only through these paths, so CI time stays
# bounded: `ctest -L io_uring`. One label each: gtest_discover_tests splits a list value of
# LABELS into separate property arguments, so a second label would be lost.
foreach(target rt_reactor_test rt_multi_thread_test rt_block_in_place_test)
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 TEST_PREFIX "io_uring/"
    PROPERTIES LABELS io_uring ENVIRONMENT STRATA_REACTOR=io_uring)
endforeach()
gtest_discover_tests(net_socket_test DISCOVERY_TIMEOUT 60 TEST_PREFIX "io_uring/"
  PROPERTIES LABELS io_uring ENVIRONMENT STRATA_REACTOR=io_uring)
gtest_discover_tests(http_server_test DISCOVERY_TIMEOUT 60 TEST_PREFIX "io_uring/"
  PROPERTIES LABELS io_uring ENVIRONMENT STRATA_REACTOR=io_uring)

# An 8-entry completion ring instead of 8192 (as tokio's loom builds shrink queues): busy turns
# overflow it, the kernel ends the multishot polls it cannot post to, and
# the reactor tests pass only if every one is re-armed.
strata_rt_variant(uring_cq8 DEFINITIONS STRATA_IO_URING_CQ_ENTRIES=8)
strata_rt_variant_test(rt_reactor_uring_cq8_test uring_cq8 LABELS io_uring
  ENVIRONMENT STRATA_REACTOR=io_uring SOURCES rt/reactor_test.cpp rt/reactor_backend_test.cpp)
