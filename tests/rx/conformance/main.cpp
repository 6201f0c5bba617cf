// rx_conformance observable|promise SCENARIOS.json: prints {"results": [...]} (FORMAT.md).
#include <boost/json/src.hpp>  // Boost.JSON header-only: Debian ships no libboost_json
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "runner.hpp"

int main(int argc, char** argv) {
  using namespace strata::rx::conformance;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s observable|promise SCENARIOS.json\n", argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  if (kind != "observable" && kind != "promise") {
    std::fprintf(stderr, "unknown kind '%s' (observable or promise)\n", argv[1]);
    return 2;
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[2]);
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  json::value doc = json::parse(text.str());
  json::array results;
  for (auto& sc : doc.as_object().at("scenarios").as_array()) {
    const json::object& o = sc.as_object();
    json::object r;
    try {
      r = kind == "promise" ? run_promise_scenario(o) : run_observable_scenario(o);
    } catch (const std::exception& e) {
      r = json::object();
      r["error"] = e.what();
    }
    r["name"] = o.contains("name") ? o.at("name") : json::value(nullptr);
    results.push_back(std::move(r));
  }
  json::object out;
  out["results"] = std::move(results);
  std::cout << json::serialize(out) << "\n";
  return 0;
}
