# HTTP basic types (strata/http): Method, Version, StatusCode, Headers, Uri, HTTP-date, MIME types.
strata_test(http_types_test LABELS http SOURCES
  http/types_method_test.cpp http/types_status_test.cpp http/types_headers_test.cpp
  http/types_uri_test.cpp http/types_date_test.cpp http/types_mime_test.cpp)
# Replaces global operator new to prove the hot paths allocate nothing: its own binary.
strata_test(http_types_alloc_test LABELS http SOURCES http/types_alloc_test.cpp)
