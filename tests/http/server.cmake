# The HTTP server over loopback (strata/http/server.hpp, h1/server_connection.hpp).
strata_test(http_server_test LABELS http SOURCES http/server_test.cpp)
# Replaces global operator new: the plaintext path allocates nothing per request (own binary).
strata_test(http_server_alloc_test LABELS http SOURCES http/server_alloc_test.cpp)
# Real clients against the benchmark server: curl, wrk, h2load --h1, Node (bash driver; the
# server is killed by PID at the end). One and two workers.
if(STRATA_BUILD_EXAMPLES)
  foreach(workers 1 2)
    add_test(NAME http_real_clients_w${workers}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/http/real_clients.sh $<TARGET_FILE:strata-bench-server> ${workers})
    set_tests_properties(http_real_clients_w${workers} PROPERTIES LABELS "http;integration" TIMEOUT 120)
  endforeach()
endif()
# The server against RFC 9110/9112 statuses, broken bodies, pipelining and memory after bursts.
strata_test(http_server_conformance_test LABELS http SOURCES http/server_conformance_test.cpp)
# HTTPS: TLS listeners driven by curl and openssl s_client against the test PKI (tests/tls).
strata_test(http_server_tls_test LABELS "http;tls" SOURCES http/server_tls_test.cpp)
target_compile_definitions(http_server_tls_test PRIVATE STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
# HTTP/2: h2c with prior knowledge and h2 by ALPN, driven by curl, nghttp and h2load.
strata_test(http_server_h2_test LABELS "http;h2" SOURCES http/server_h2_test.cpp)
target_compile_definitions(http_server_h2_test PRIVATE STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
# HTTP/2 frame by frame: python3 scripts (tests/http/h2_frames/) against an in-process server:
# the defences, a graceful drain and RFC 9113/7541 conformance cases.
strata_test(http_server_h2_frames_test LABELS "http;h2" SOURCES http/server_h2_frames_test.cpp)
target_compile_definitions(http_server_h2_frames_test PRIVATE STRATA_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
