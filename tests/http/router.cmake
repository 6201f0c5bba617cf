# The HTTP routing core (strata/http/route_tree.hpp). The binary replaces the global operator new
# to count allocations (the matcher must allocate nothing), so it stays on its own.
strata_test(http_route_tree_test LABELS http SOURCES http/route_tree_test.cpp)
