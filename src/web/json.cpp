// Boost.JSON is used header-only (Debian ships no libboost_json): its definitions live here, once.
#include <boost/json/src.hpp>
