#include "exporter/http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "version.h"

namespace ele {
namespace {

struct Transfer {
  HttpResponse* response;
  size_t max_body_bytes;
  bool body_too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response->body.size() + n > t->max_body_bytes) {
    t->body_too_large = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    // A new status line (redirect or 100-continue) starts a fresh header set.
    if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear();
    return n;
  }
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->response->headers[name] = std::string(value);
  return n;
}

}  // namespace

void InitCurlGlobally() { curl_global_init(CURL_GLOBAL_DEFAULT); }

std::string UserAgent() { return std::string("email_logs_exporter/") + kVersion; }

CurlHttpClient::CurlHttpClient(size_t max_body_bytes) : handle_(curl_easy_init()), max_body_bytes_(max_body_bytes) {}

CurlHttpClient::~CurlHttpClient() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

Result<HttpResponse> CurlHttpClient::Get(const HttpRequest& request) {
  HttpResponse response;
  CURL* curl = static_cast<CURL*>(handle_);
  if (curl == nullptr) return Fail("could not create a curl handle");
  curl_easy_reset(curl);
  Transfer transfer{&response, max_body_bytes_};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  const long timeout_ms = static_cast<long>(request.timeout.count());
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10'000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are threaded
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl supports, gzip included
  curl_easy_setopt(curl, CURLOPT_USERAGENT, UserAgent().c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would carry the token elsewhere
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    if (transfer.body_too_large) return Fail("response body larger than " + std::to_string(max_body_bytes_) + " bytes");
    return Fail(curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace ele
