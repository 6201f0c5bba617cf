# HTTP/1.1 codec, parsing side (strata/http/h1): heads, chunked bodies.
strata_test(http_h1_test LABELS http SOURCES
  http/h1_request_test.cpp http/h1_response_test.cpp http/h1_chunked_test.cpp)
# Replaces global operator new to count allocations: its own binary.
strata_test(http_h1_alloc_test LABELS http SOURCES http/h1_alloc_test.cpp)
# A timing loop for the request parser (not a test: `ninja h1_parse_timing`, then run it).
add_executable(h1_parse_timing EXCLUDE_FROM_ALL http/h1_parse_timing.cpp)
target_link_libraries(h1_parse_timing PRIVATE strata::strata strata_build_flags)
