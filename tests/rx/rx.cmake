# The rx layer: Promise and Observable (strata/rx), and their conformance against Node/RxJS.
strata_test(rx_promise_test LABELS rx SOURCES rx/promise_test.cpp)
