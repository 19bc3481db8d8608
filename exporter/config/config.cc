#include "exporter/config/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "exporter/config/yaml_reader.h"

namespace ele {
namespace {

using config_internal::ConfigError;
using config_internal::IndexKey;
using config_internal::JoinKey;
using config_internal::YamlReader;

constexpr int kJetEmailMaxRequestsPerMinute = 200;  // API blocks for 5 minutes past 240
constexpr int kMailtrapMaxRequestsPerMinute = 60;   // list endpoint limit per account
constexpr int kMailtrapMaxDetailPerMinute = 1000;   // detail endpoint limit per account

// Trailing newline and surrounding quotes are what editors and `echo` leave.
std::string TrimToken(std::string token) {
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                            token.back() == '\t')) {
    token.pop_back();
  }
  size_t start = 0;
  while (start < token.size() && (token[start] == ' ' || token[start] == '\t')) ++start;
  token.erase(0, start);
  if (token.size() >= 2 && (token.front() == '"' || token.front() == '\'') && token.back() == token.front()) {
    token = token.substr(1, token.size() - 2);
  }
  return token;
}

class Loader {
 public:
  explicit Loader(const std::string& file) : r_(file) {}

  Config Load(const std::string& text) {
    YAML::Node root = r_.Parse(text);
    Config config;
    if (!root.IsDefined() || root.IsNull()) r_.Fail(root, "", "the file is empty: configure at least one account");
    r_.ExpectMap(root, "(top level)");
    r_.CheckKeys(root, "", {"collection", "state_file", "jetemail", "mailtrap"});
    if (root["collection"]) config.collection = Collection(root["collection"]);
    if (root["state_file"]) config.state_file = StateFile(root["state_file"]);
    if (root["jetemail"]) config.jetemail = JetEmailList(root["jetemail"], config.collection);
    if (root["mailtrap"]) config.mailtrap = MailtrapList(root["mailtrap"], config.collection);
    if (config.jetemail.empty() && config.mailtrap.empty()) {
      r_.Fail(root, "", "no accounts configured: add an entry under jetemail or mailtrap");
    }
    return config;
  }

 private:
  std::string StateFile(const YAML::Node& node) {
    if (node.IsNull()) return "";
    return r_.String(node, "state_file");
  }

  CollectionConfig Collection(const YAML::Node& node) {
    CollectionConfig c;
    if (node.IsNull()) return c;
    r_.ExpectMap(node, "collection");
    r_.CheckKeys(node, "collection", {"interval", "lookback", "overlap", "request_timeout",
                                       "label_value_limit", "max_tracked_messages"});
    if (node["interval"]) c.interval = DurationIn(node["interval"], "collection.interval", std::chrono::milliseconds(100), std::chrono::hours(1));
    if (node["lookback"]) c.lookback = DurationIn(node["lookback"], "collection.lookback", std::chrono::minutes(1), std::chrono::hours(24 * 30));
    if (node["overlap"]) c.overlap = DurationIn(node["overlap"], "collection.overlap", Duration{0}, std::chrono::hours(24));
    if (node["request_timeout"]) c.request_timeout = DurationIn(node["request_timeout"], "collection.request_timeout", std::chrono::milliseconds(100), std::chrono::minutes(5));
    if (node["label_value_limit"]) c.label_value_limit = static_cast<int>(IntIn(node["label_value_limit"], "collection.label_value_limit", 1, 100000));
    if (node["max_tracked_messages"]) c.max_tracked_messages = IntIn(node["max_tracked_messages"], "collection.max_tracked_messages", 1000, 100'000'000);
    if (c.lookback < c.interval) r_.Fail(node["lookback"], "collection.lookback", "must not be shorter than collection.interval");
    if (c.overlap > c.lookback) r_.Fail(node["overlap"], "collection.overlap", "must not be longer than collection.lookback");
    return c;
  }

  std::vector<JetEmailAccount> JetEmailList(const YAML::Node& node, const CollectionConfig&) {
    std::vector<JetEmailAccount> out;
    if (node.IsNull()) return out;
    r_.ExpectSeq(node, "jetemail");
    std::set<std::string> names;
    for (size_t i = 0; i < node.size(); ++i) {
      out.push_back(JetEmail(node[i], IndexKey("jetemail", i)));
      if (!names.insert(out.back().name).second) {
        r_.Fail(node[i]["name"], IndexKey("jetemail", i) + ".name", "duplicate account name \"" + out.back().name + "\" (names are unique per provider)");
      }
    }
    return out;
  }

  JetEmailAccount JetEmail(const YAML::Node& node, const std::string& path) {
    r_.ExpectMap(node, path);
    r_.CheckKeys(node, path, {"name", "api_token_env", "api_token_file", "base_url", "domains", "requests_per_minute"});
    JetEmailAccount a;
    a.name = Name(node, path);
    a.token = Token(node, path);
    if (node["base_url"]) a.base_url = BaseUrl(node["base_url"], JoinKey(path, "base_url"));
    if (node["domains"]) a.domains = r_.StringList(node["domains"], JoinKey(path, "domains"));
    if (node["requests_per_minute"]) {
      a.requests_per_minute = static_cast<int>(IntIn(node["requests_per_minute"], JoinKey(path, "requests_per_minute"), 1, kJetEmailMaxRequestsPerMinute,
                                                     " (JetEmail blocks an account for 5 minutes past 240 a minute)"));
    }
    return a;
  }

  std::vector<MailtrapAccount> MailtrapList(const YAML::Node& node, const CollectionConfig&) {
    std::vector<MailtrapAccount> out;
    if (node.IsNull()) return out;
    r_.ExpectSeq(node, "mailtrap");
    std::set<std::string> names;
    for (size_t i = 0; i < node.size(); ++i) {
      out.push_back(Mailtrap(node[i], IndexKey("mailtrap", i)));
      if (!names.insert(out.back().name).second) {
        r_.Fail(node[i]["name"], IndexKey("mailtrap", i) + ".name", "duplicate account name \"" + out.back().name + "\" (names are unique per provider)");
      }
    }
    return out;
  }

  MailtrapAccount Mailtrap(const YAML::Node& node, const std::string& path) {
    r_.ExpectMap(node, path);
    r_.CheckKeys(node, path, {"name", "account_id", "api_token_env", "api_token_file", "base_url", "email_logs_path",
                              "sending_domains_path", "requests_per_minute", "categories", "events", "detail_requests_per_minute", "refresh_interval"});
    MailtrapAccount a;
    a.name = Name(node, path);
    if (!node["account_id"]) r_.Fail(node, JoinKey(path, "account_id"), "missing (the numeric id in your Mailtrap URL)");
    a.account_id = IntIn(node["account_id"], JoinKey(path, "account_id"), 1, INT64_MAX);
    a.token = Token(node, path);
    if (node["base_url"]) a.base_url = BaseUrl(node["base_url"], JoinKey(path, "base_url"));
    if (node["email_logs_path"]) a.email_logs_path = ApiPath(node["email_logs_path"], JoinKey(path, "email_logs_path"));
    if (node["sending_domains_path"]) a.sending_domains_path = ApiPath(node["sending_domains_path"], JoinKey(path, "sending_domains_path"));
    if (node["requests_per_minute"]) {
      a.requests_per_minute = static_cast<int>(IntIn(node["requests_per_minute"], JoinKey(path, "requests_per_minute"), 1, kMailtrapMaxRequestsPerMinute,
                                                     " (Mailtrap allows 60 list calls a minute per account)"));
    }
    if (node["categories"]) a.categories = r_.StringList(node["categories"], JoinKey(path, "categories"));
    if (node["events"]) a.events = Events(node["events"], JoinKey(path, "events"));
    if (node["detail_requests_per_minute"]) {
      a.detail_requests_per_minute = static_cast<int>(IntIn(node["detail_requests_per_minute"], JoinKey(path, "detail_requests_per_minute"), 1,
                                                            kMailtrapMaxDetailPerMinute, " (Mailtrap allows 1000 a minute per account)"));
    }
    if (node["refresh_interval"]) {
      a.refresh_interval = DurationIn(node["refresh_interval"], JoinKey(path, "refresh_interval"), Duration{0}, std::chrono::hours(24));
    }
    return a;
  }

  std::string Name(const YAML::Node& node, const std::string& path) {
    const std::string key = JoinKey(path, "name");
    if (!node["name"]) r_.Fail(node, key, "missing (it becomes the account label)");
    std::string name = r_.String(node["name"], key);
    if (name.empty() || name.size() > 64) r_.Fail(node["name"], key, "must be 1 to 64 characters");
    for (char c : name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') r_.Fail(node["name"], key, "must not hold quotes, backslashes or control characters");
    }
    return name;
  }

  Secret Token(const YAML::Node& node, const std::string& path) {
    const bool has_env = static_cast<bool>(node["api_token_env"]);
    const bool has_file = static_cast<bool>(node["api_token_file"]);
    if (has_env == has_file) {
      r_.Fail(node, JoinKey(path, "api_token_env"), has_env ? "set only one of api_token_env and api_token_file"
                                                            : "missing: set api_token_env or api_token_file");
    }
    if (has_env) {
      const std::string key = JoinKey(path, "api_token_env");
      const std::string var = r_.String(node["api_token_env"], key);
      const char* value = var.empty() ? nullptr : std::getenv(var.c_str());
      std::string token = value != nullptr ? TrimToken(value) : "";
      if (token.empty()) r_.Fail(node["api_token_env"], key, "environment variable " + var + " is not set or empty");
      return Secret(std::move(token));
    }
    const std::string key = JoinKey(path, "api_token_file");
    const std::string file = r_.String(node["api_token_file"], key);
    std::ifstream in(file, std::ios::binary);
    if (!in) r_.Fail(node["api_token_file"], key, "cannot read token file " + file + ": " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string token = TrimToken(buffer.str());
    if (token.empty()) r_.Fail(node["api_token_file"], key, "token file " + file + " is empty");
    return Secret(std::move(token));
  }

  std::string BaseUrl(const YAML::Node& node, const std::string& key) {
    std::string url = r_.String(node, key);
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) r_.Fail(node, key, "must start with http:// or https://");
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.find_first_of(" ?#") != std::string::npos) r_.Fail(node, key, "must be a plain URL without spaces, query or fragment");
    return url;
  }

  std::string ApiPath(const YAML::Node& node, const std::string& key) {
    std::string p = r_.String(node, key);
    if (p.empty() || p.front() != '/') r_.Fail(node, key, "must start with /");
    return p;
  }

  EventsMode Events(const YAML::Node& node, const std::string& key) {
    const std::string v = r_.String(node, key);
    if (v == "failures") return EventsMode::kFailures;
    if (v == "all") return EventsMode::kAll;
    if (v == "off") return EventsMode::kOff;
    r_.Fail(node, key, "must be one of failures, all, off; got \"" + v + "\"");
  }

  Duration DurationIn(const YAML::Node& node, const std::string& key, Duration min, Duration max) {
    const Duration d = r_.DurationValue(node, key);
    if (d < min || d > max) r_.Fail(node, key, "must be between " + FormatDuration(min) + " and " + FormatDuration(max) + ", got " + FormatDuration(d));
    return d;
  }

  std::int64_t IntIn(const YAML::Node& node, const std::string& key, std::int64_t min, std::int64_t max, std::string_view why = "") {
    const std::int64_t v = r_.Int(node, key);
    if (v < min || v > max) {
      const std::string range = max == INT64_MAX ? "must be at least " + std::to_string(min)
                                                 : "must be between " + std::to_string(min) + " and " + std::to_string(max);
      r_.Fail(node, key, range + ", got " + std::to_string(v) + std::string(why));
    }
    return v;
  }

  YamlReader r_;
};

}  // namespace

Result<Config> LoadConfigText(const std::string& text, const std::string& path) {
  try {
    return Loader(path).Load(text);
  } catch (const ConfigError& e) {
    return Fail(e.what());
  } catch (const std::exception& e) {
    return Fail(path + ": " + e.what());
  }
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(path + ": cannot read configuration file: " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadConfigText(buffer.str(), path);
}

}  // namespace ele
