# http::Client over loopback: against http::Server, raw TCP servers with canned or broken
# responses, and nginx (started and killed by PID in the test; skipped when nginx is missing).
strata_test(http_client_test LABELS http SOURCES http/client_test.cpp)
# Expect: 100-continue and responses that arrive while the request body is being written.
strata_test(http_client_expect_test LABELS http SOURCES http/client_expect_test.cpp)
# https: http::Client against nginx with TLS on loopback, serving the test PKI that
# tests/tls/make_pki.sh makes (every verification failure asserted by its tls::TlsErrc).
strata_test(http_client_tls_test LABELS http tls SOURCES http/client_tls_test.cpp)
target_compile_definitions(http_client_tls_test PRIVATE
  STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
# HTTP/2: http::Client against Strata's server (h2c, h2 over TLS), nginx (http2 over TLS),
# h2o and a Node http2 server (tests/http/h2_node/server.mjs); multiplexing,
# max-concurrent-streams, flow control, GOAWAY retries, 100-continue, keep-alive, typed errors.
strata_test(http_client_h2_test LABELS http tls SOURCES http/client_h2_test.cpp)
target_compile_definitions(http_client_h2_test PRIVATE
  STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
# Node's http2 module as a client of strata-bench-server: h2c and h2 by ALPN, 1 MiB echo,
# concurrent streams on one session, GOAWAY on SIGTERM (tests/http/h2_node/client.mjs).
if(STRATA_BUILD_EXAMPLES)
  add_test(NAME http_h2_node_client
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/http/h2_node_client.sh $<TARGET_FILE:strata-bench-server>)
  set_tests_properties(http_h2_node_client PROPERTIES LABELS "http;integration" TIMEOUT 120)
endif()
