# Server-sent events (strata/http/sse): the parser, the encoder, the server over HTTP/1.1 and
# h2c with curl, nghttp and Strata's EventSource, disconnects and shutdown.
strata_test(http_sse_test LABELS "http;sse" SOURCES http/sse_test.cpp)
# Replaces global operator new to prove the encoder allocates nothing per event: its own binary.
strata_test(http_sse_alloc_test LABELS "http;sse" SOURCES http/sse_alloc_test.cpp)
# Node's fetch reading GET /sse of the bench server as an EventSource would, reconnecting with
# Last-Event-ID (no npm package needed).
if(STRATA_BUILD_EXAMPLES)
  add_test(NAME http_sse_node_client
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/http/sse_node.sh $<TARGET_FILE:strata-bench-server>)
  set_tests_properties(http_sse_node_client PROPERTIES LABELS "http;sse;integration" TIMEOUT 60)
endif()
