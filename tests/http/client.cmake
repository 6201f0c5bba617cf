# http::Client over loopback: against http::Server, raw TCP servers with canned or broken
# responses, and nginx (started and killed by PID in the test; skipped when nginx is missing).
strata_test(http_client_test LABELS http SOURCES http/client_test.cpp)
# Expect: 100-continue and responses that arrive while the request body is being written.
strata_test(http_client_expect_test LABELS http SOURCES http/client_expect_test.cpp)
