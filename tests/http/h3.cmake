# HTTP/3 (strata/http/h3): Debian's chromium forced onto QUIC against h3::Server (skips only if
# /usr/bin/chromium is absent), and raw datagrams (version negotiation, garbage, shutdown).
strata_test(http_h3_test LABELS "http;h3" SOURCES http/h3/h3_server_test.cpp)
target_compile_definitions(http_h3_test PRIVATE STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
