# The static file handler behind the real server over loopback, with curl as a real client
# (strata/http/static_files.hpp).
strata_test(http_static_files_test LABELS http SOURCES http/static_files_test.cpp)
