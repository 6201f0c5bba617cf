# Server-sent events (strata/http/sse): the parser, the encoder, the server over HTTP/1.1 and
# h2c with curl, nghttp and Strata's EventSource, disconnects and shutdown.
strata_test(http_sse_test LABELS "http;sse" SOURCES http/sse_test.cpp)
# Replaces global operator new to prove the encoder allocates nothing per event: its own binary.
strata_test(http_sse_alloc_test LABELS "http;sse" SOURCES http/sse_alloc_test.cpp)
