#include "exporter/config/web_config.h"

#include <crypt.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "exporter/config/yaml_reader.h"

namespace ele {
namespace {

using config_internal::ConfigError;
using config_internal::JoinKey;
using config_internal::YamlReader;

constexpr size_t kMaxVerifiedCache = 64;
// bcrypt of a random password, for the checks of unknown users.
constexpr const char* kTimingHash = "$2y$10$QnTx1Jv6VzQ2b5UiG0v3yO1uN8c9C9sC2yq7yqK1y5QeW3o2Q0fWa";

bool LooksLikeBcrypt(const std::string& hash) {
  return hash.size() == 60 && (hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0);
}

std::map<std::string, std::string> StringMap(const YamlReader& r, const YAML::Node& node, const std::string& key) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) return out;
  r.ExpectMap(node, key);
  for (const auto& item : node) {
    const std::string name = r.String(item.first, key);
    if (!out.emplace(name, r.String(item.second, JoinKey(key, name))).second) r.Fail(item.first, JoinKey(key, name), "appears twice");
  }
  return out;
}

// exporter-toolkit resolves certificate paths against the web config's folder.
std::string ResolvePath(const std::string& config_path, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  const size_t slash = config_path.rfind('/');
  return slash == std::string::npos ? file : config_path.substr(0, slash + 1) + file;
}

std::string TlsVersion(const YamlReader& r, const YAML::Node& node, const std::string& key) {
  const std::string value = r.String(node, key);
  if (value != "TLS10" && value != "TLS11" && value != "TLS12" && value != "TLS13") r.Fail(node, key, "expected TLS10, TLS11, TLS12 or TLS13");
  return value;
}

ClientAuth ClientAuthType(const YamlReader& r, const YAML::Node& node) {
  // As exporter-toolkit reads them, "" and the older "RequireClientCert" included.
  static const std::map<std::string, ClientAuth> kTypes = {
      {"", ClientAuth::kNone},
      {"NoClientCert", ClientAuth::kNone},
      {"RequestClientCert", ClientAuth::kRequest},
      {"RequireAnyClientCert", ClientAuth::kRequireAny},
      {"RequireClientCert", ClientAuth::kRequireAny},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerify}};
  const std::string key = "tls_server_config.client_auth_type";
  const auto it = kTypes.find(r.String(node, key));
  if (it == kTypes.end()) {
    r.Fail(node, key, "expected NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert");
  }
  return it->second;
}

// exporter-toolkit keys that GnuTLS's own choices stand in for.
void RefuseGoOnlyKeys(const YamlReader& r, const YAML::Node& node, const std::string& key) {
  for (const char* go_only : {"cipher_suites", "curve_preferences", "prefer_server_cipher_suites", "client_allowed_sans", "cert", "key"}) {
    if (node[go_only]) {
      r.Fail(node[go_only], key + "." + go_only,
             "not supported by this exporter (GnuTLS's defaults for the allowed TLS versions are used; certificates come from files)");
    }
  }
}

// nullopt when neither cert_file nor key_file is given: exporter-toolkit
// then serves plain HTTP.
std::optional<TlsServerConfig> ParseTls(const YamlReader& r, const YAML::Node& node) {
  const std::string key = "tls_server_config";
  if (node.IsNull()) return std::nullopt;
  r.ExpectMap(node, key);
  RefuseGoOnlyKeys(r, node, key);
  r.CheckKeys(node, key, {"cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version", "max_version"});
  TlsServerConfig tls;
  if (!node["cert_file"] && !node["key_file"]) return std::nullopt;
  if (!node["cert_file"] || !node["key_file"]) r.Fail(node, key, "needs both cert_file and key_file");
  tls.cert_file = ResolvePath(r.file(), r.String(node["cert_file"], key + ".cert_file"));
  tls.key_file = ResolvePath(r.file(), r.String(node["key_file"], key + ".key_file"));
  if (node["client_ca_file"]) tls.client_ca_file = ResolvePath(r.file(), r.String(node["client_ca_file"], key + ".client_ca_file"));
  if (node["client_auth_type"]) tls.client_auth = ClientAuthType(r, node["client_auth_type"]);
  if (node["min_version"]) tls.min_version = TlsVersion(r, node["min_version"], key + ".min_version");
  if (node["max_version"]) tls.max_version = TlsVersion(r, node["max_version"], key + ".max_version");
  // "TLS10" < "TLS13" compares as the versions do.
  if (tls.min_version > tls.max_version) {
    r.Fail(node, key, "min_version " + tls.min_version + " is above max_version " + tls.max_version + " (min_version is TLS12 unless set)");
  }
  const bool verifies = tls.client_auth == ClientAuth::kVerifyIfGiven || tls.client_auth == ClientAuth::kRequireAndVerify;
  if (verifies && tls.client_ca_file.empty()) r.Fail(node, key + ".client_auth_type", "verifying client certificates needs client_ca_file");
  if (tls.client_auth == ClientAuth::kNone && !tls.client_ca_file.empty()) {
    r.Fail(node, key + ".client_ca_file", "a client CA is configured without a client_auth_type (use VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  return tls;
}

WebConfig Parse(const YamlReader& r, const std::string& text) {
  WebConfig web;
  YAML::Node root = r.Parse(text);
  if (!root.IsDefined() || root.IsNull()) return web;
  r.ExpectMap(root, "(top level)");
  r.CheckKeys(root, "", {"tls_server_config", "http_server_config", "basic_auth_users"});
  if (root["tls_server_config"]) web.tls = ParseTls(r, root["tls_server_config"]);
  if (root["http_server_config"]) {
    const YAML::Node http = root["http_server_config"];
    r.ExpectMap(http, "http_server_config");
    // http2 is accepted and has no effect: this server speaks HTTP/1.1.
    r.CheckKeys(http, "http_server_config", {"headers", "http2"});
    if (http["headers"]) web.headers = StringMap(r, http["headers"], "http_server_config.headers");
  }
  if (root["basic_auth_users"]) {
    web.basic_auth_users = StringMap(r, root["basic_auth_users"], "basic_auth_users");
    for (const auto& item : root["basic_auth_users"]) {
      const std::string user = item.first.Scalar();
      if (!LooksLikeBcrypt(web.basic_auth_users[user])) {
        r.Fail(item.second, JoinKey("basic_auth_users", user), "not a bcrypt hash (expected $2y$..., 60 characters; make one with `htpasswd -nBC 10 USER`)");
      }
    }
  }
  return web;
}

}  // namespace

Result<WebConfig> LoadWebConfigText(const std::string& text, const std::string& path) {
  try {
    return Parse(YamlReader(path), text);
  } catch (const ConfigError& e) {
    return Fail(e.what());
  } catch (const std::exception& e) {
    return Fail(path + ": " + e.what());
  }
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(path + ": cannot read web configuration file: " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadWebConfigText(buffer.str(), path);
}

BasicAuthChecker::BasicAuthChecker(std::map<std::string, std::string> users) : users_(std::move(users)) {}

bool BasicAuthChecker::Check(const std::string& user, const std::string& password) {
  const auto it = users_.find(user);
  if (it == users_.end()) {
    // As long as a known user's check: the answer's timing does not tell
    // which users exist (exporter-toolkit does the same).
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    (void)crypt_r(password.c_str(), users_.empty() ? kTimingHash : users_.begin()->second.c_str(), data.get());
    return false;
  }
  const std::string cache_key = user + '\0' + password;
  {
    std::lock_guard lock(mutex_);
    if (verified_.contains(cache_key)) return true;
  }
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: keep it off the stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* hashed = crypt_r(password.c_str(), it->second.c_str(), data.get());
  if (hashed == nullptr || hashed[0] == '*') return false;
  const std::string& expected = it->second;
  // Constant-time comparison: no early exit on the first differing byte.
  unsigned char diff = static_cast<unsigned char>(std::strlen(hashed) != expected.size());
  for (size_t i = 0; i < expected.size() && hashed[i] != '\0'; ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(hashed[i]) ^ static_cast<unsigned char>(expected[i])));
  }
  if (diff != 0) return false;
  std::lock_guard lock(mutex_);
  if (verified_.size() >= kMaxVerifiedCache) verified_.clear();
  verified_.insert(cache_key);
  return true;
}

bool BasicAuthChecker::KnownGood(const std::string& user, const std::string& password) {
  std::lock_guard lock(mutex_);
  return verified_.contains(user + '\0' + password);
}

bool DecodeBasicAuth(const std::string& header, std::string* user, std::string* password) {
  static constexpr std::string_view kPrefix = "Basic ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  std::string decoded;
  unsigned int buffer = 0;
  int bits = 0;
  for (size_t i = kPrefix.size(); i < header.size(); ++i) {
    const char c = header[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else return false;
    buffer = (buffer << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

}  // namespace ele
