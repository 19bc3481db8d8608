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

WebConfig Parse(const YamlReader& r, const std::string& text) {
  WebConfig web;
  YAML::Node root = r.Parse(text);
  if (!root.IsDefined() || root.IsNull()) return web;
  r.ExpectMap(root, "(top level)");
  r.CheckKeys(root, "", {"tls_server_config", "http_server_config", "basic_auth_users"});
  if (root["tls_server_config"]) {
    r.Fail(root["tls_server_config"], "tls_server_config",
           "TLS is not supported in-process (Debian's civetweb crashes with OpenSSL 3); "
           "terminate TLS in a reverse proxy (nginx, envoy, a Kubernetes ingress) in front of the exporter");
  }
  if (root["http_server_config"]) {
    const YAML::Node http = root["http_server_config"];
    r.ExpectMap(http, "http_server_config");
    r.CheckKeys(http, "http_server_config", {"headers"});
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
  if (it == users_.end()) return false;
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
