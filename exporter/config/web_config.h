// --web.config.file in the exporter-toolkit format: `basic_auth_users`
// (bcrypt hashes) and `http_server_config.headers`. `tls_server_config` is
// refused: Debian's civetweb is built against the OpenSSL 1.1 API and crashes
// with OpenSSL 3, so TLS belongs to a terminating proxy in front.
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "exporter/base/error.h"

namespace ele {

struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::map<std::string, std::string> headers;           // extra response headers
  bool auth_enabled() const { return !basic_auth_users.empty(); }
};

Result<WebConfig> LoadWebConfigFile(const std::string& path);
Result<WebConfig> LoadWebConfigText(const std::string& text, const std::string& path);

// Checks credentials against the bcrypt hashes. bcrypt is slow by design
// (tens of ms), so successful checks are remembered: Prometheus sends the same
// credentials on every scrape. Thread-safe.
class BasicAuthChecker {
 public:
  explicit BasicAuthChecker(std::map<std::string, std::string> users);
  bool enabled() const { return !users_.empty(); }
  bool Check(const std::string& user, const std::string& password);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mutex_;
  std::set<std::string> verified_;  // "user\0password" already checked against its hash
};

// Decodes an "Authorization: Basic ..." header value; false when malformed.
bool DecodeBasicAuth(const std::string& header, std::string* user, std::string* password);

}  // namespace ele
