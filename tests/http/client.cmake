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
# HTTP/2: http::Client against Strata's server (h2c, h2 over TLS), nginx (http2 over TLS) and
# h2o; multiplexing, max-concurrent-streams, flow control, GOAWAY retries, typed errors.
strata_test(http_client_h2_test LABELS http tls SOURCES http/client_h2_test.cpp)
target_compile_definitions(http_client_h2_test PRIVATE
  STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
