// The HTTP seam between the exporter and the providers' APIs. Providers and
// the collection cycle see only this interface; libcurl lives behind it, and
// tests substitute a scripted client.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exporter/base/error.h"

namespace ele {

struct HttpRequest {
  std::string url;
  // Header values may hold a token: never log a request's headers.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{30'000};  // whole request, connect included
};

// An HTTP answer, whatever its status.
struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased

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
  // The answer, or an Error when none came whole: connection refused or
  // reset, a timeout, a body over the client's cap.
  virtual Result<HttpResponse> Get(const HttpRequest& request) = 0;
};

}  // namespace ele
