# DNS (c-ares on the reactor, a fake UDP name server in the test) and connection pools.
strata_test(net_dns_test LABELS net SOURCES net/dns_test.cpp)
strata_test(net_pool_test LABELS net SOURCES net/pool_test.cpp)
