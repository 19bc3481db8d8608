// libcurl behind HttpClient: connect and total timeouts, a cap on the body
// size (a runaway or hostile response cannot exhaust memory), gzip, a
// User-Agent with the version, and connection reuse across requests.
// Call InitCurlGlobally() once from main before any thread starts.
#pragma once

#include <memory>
#include <string>

#include "exporter/http/http_client.h"

namespace ele {

void InitCurlGlobally();

class CurlHttpClient final : public HttpClient {
 public:
  static constexpr size_t kDefaultMaxBodyBytes = 32 * 1024 * 1024;

  explicit CurlHttpClient(size_t max_body_bytes = kDefaultMaxBodyBytes);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Get(const HttpRequest& request) override;

 private:
  void* handle_;  // CURL*, kept opaque so only the .cc knows curl
  size_t max_body_bytes_;
};

std::string UserAgent();

}  // namespace ele
