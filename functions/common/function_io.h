// Helpers shared by the sample functions: read the whole request from stdin as a JSON object
// (an empty request means all defaults), and write the JSON answer to stdout.
#pragma once

#include <cstdint>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

namespace tailor::functions {

inline nlohmann::json ReadRequest() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    std::cerr << "request must be a JSON object, got: " << text.substr(0, 200) << "\n";
    std::exit(2);
  }
  return j;
}

template <typename T>
T Param(const nlohmann::json& req, const char* key, T fallback) {
  auto it = req.find(key);
  if (it == req.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    std::cerr << "parameter '" << key << "' has the wrong type\n";
    std::exit(2);
  }
}

inline void WriteResponse(const nlohmann::json& j) { std::cout << j.dump() << "\n"; }

}  // namespace tailor::functions
