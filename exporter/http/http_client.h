// The HTTP seam between the exporter and the providers' APIs. Providers and
// the collection cycle see only this interface; libcurl lives behind it, and
// tests substitute a scripted client.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ele {

struct HttpRequest {
  std::string url;
  // Header values may hold a token: never log a request's headers.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{30'000};  // whole request, connect included
};

struct HttpResponse {
  long status = 0;                             // 0 when the transport failed
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string transport_error;                 // set when status == 0
  bool timed_out = false;
  bool body_too_large = false;                 // the body exceeded the client's cap

  bool ok() const { return status >= 200 && status < 300; }
  const std::string* Header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

// One client per worker thread: implementations reuse connections and are
// not required to be thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse Get(const HttpRequest& request) = 0;
};

}  // namespace ele
