// --web.config.file in the exporter-toolkit format: `tls_server_config`,
// `basic_auth_users` (bcrypt hashes) and `http_server_config.headers`. Only
// the YAML is checked here; the server layer loads the certificate files
// (and re-reads them when they change).
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "exporter/base/error.h"

namespace ele {

// exporter-toolkit's client_auth_type values, as Go's tls.ClientAuthType.
enum class ClientAuth { kNone, kRequest, kRequireAny, kVerifyIfGiven, kRequireAndVerify };

struct TlsServerConfig {
  std::string cert_file, key_file, client_ca_file;  // relative paths resolved against the web config's folder
  ClientAuth client_auth = ClientAuth::kNone;
  std::string min_version = "TLS12", max_version = "TLS13";  // TLS10 .. TLS13
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
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
  const std::map<std::string, std::string>& users() const { return users_; }
  bool Check(const std::string& user, const std::string& password);
  // True when these credentials were checked successfully before: no bcrypt
  // to run, so a caller on an event loop may answer at once.
  bool KnownGood(const std::string& user, const std::string& password);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mutex_;
  std::set<std::string> verified_;  // "user\0password" already checked against its hash
};

// Decodes an "Authorization: Basic ..." header value; false when malformed.
bool DecodeBasicAuth(const std::string& header, std::string* user, std::string* password);

}  // namespace ele
