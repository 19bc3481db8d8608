// An HttpClient for unit tests: answers from a function of the request and
// records every request with the (manual) clock's time.
#pragma once

#include <functional>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/http/http_client.h"

namespace ele::testing_support {

class ScriptedHttpClient : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  ScriptedHttpClient(const Clock& clock, Handler handler) : clock_(clock), handler_(std::move(handler)) {}

  Result<HttpResponse> Get(const HttpRequest& request) override {
    times.push_back(clock_.Now());
    requests.push_back(request);
    return handler_(request);
  }

  std::vector<TimePoint> times;
  std::vector<HttpRequest> requests;

 private:
  const Clock& clock_;
  Handler handler_;
};

inline HttpResponse Respond(long status, std::string body, std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The largest number of `times` inside any half-open 60-second window.
inline int MaxInAnyMinute(const std::vector<TimePoint>& times) {
  int best = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    int n = 0;
    for (size_t j = i; j < times.size() && times[j] < times[i] + std::chrono::seconds(60); ++j) ++n;
    best = std::max(best, n);
  }
  return best;
}

}  // namespace ele::testing_support
