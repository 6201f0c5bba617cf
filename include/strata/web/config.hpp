// web::Config: configuration values from the environment and from files, injected as a
// provider (NestJS's ConfigService).
//
//   auto cfg = std::make_shared<web::Config>(web::Config::from_env());
//   cfg->load_file(".env");                                   // KEY=VALUE lines; env wins
//   std::string token = cfg->get("TODO_API_TOKEN").value_or("dev-token");
//   int port = cfg->get_as<int>("PORT", 3000);
//   todos.provide_value(cfg);                                  // then `web::Inject<web::Config>`
#pragma once

#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace strata::web {

class Config {
 public:
  Config() = default;
  // Every variable of the process environment.
  static Config from_env();

  // Adds KEY=VALUE lines from a file (`#` comments, optional quotes, `export ` prefix) for keys
  // not already set. Returns false if the file cannot be read.
  bool load_file(const std::string& path);
  void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }

  std::optional<std::string> get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  // The value as T (integers, floating point, bool "true/false/1/0"); `fallback` if absent or
  // malformed.
  template <class T>
  T get_as(std::string_view key, T fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    std::string_view v = it->second;
    if constexpr (std::is_same_v<T, bool>) {
      if (v == "true" || v == "1") return true;
      if (v == "false" || v == "0") return false;
      return fallback;
    } else if constexpr (std::is_arithmetic_v<T>) {
      T out{};
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
      return ec == std::errc() && p == v.data() + v.size() ? out : fallback;
    } else {
      return T(v);
    }
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace strata::web
