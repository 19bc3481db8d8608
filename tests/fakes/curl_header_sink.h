// For the fake's own tests, which talk to it with plain libcurl (they do not
// link the exporter): a CURLOPT_HEADERFUNCTION that collects response
// headers into a std::map (CURLOPT_HEADERDATA), names lowercased.
#pragma once

#include <cctype>
#include <cstddef>
#include <map>
#include <string>

namespace ele::fake {

inline size_t CollectHeader(char* data, size_t size, size_t n, void* headers) {
  const std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    (*static_cast<std::map<std::string, std::string>*>(headers))[name] = value;
  }
  return size * n;
}

}  // namespace ele::fake
