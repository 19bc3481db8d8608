// Typed reads from a yaml-cpp tree that turn every mistake into one line
// "FILE:LINE: KEY: problem". Internal to config/: the only folder that knows
// yaml-cpp. ConfigError never leaves the Load* functions of this folder.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/duration.h"

namespace ele::config_internal {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& at, std::string_view key, std::string_view problem) const;

  // Parses text into a document; a syntax error names its line.
  YAML::Node Parse(const std::string& text) const;

  void ExpectMap(const YAML::Node& node, std::string_view key) const;
  void ExpectSeq(const YAML::Node& node, std::string_view key) const;
  // Rejects keys outside `allowed`, at the line of the unknown key.
  void CheckKeys(const YAML::Node& map, std::string_view path,
                 std::initializer_list<std::string_view> allowed) const;

  std::string String(const YAML::Node& node, std::string_view key) const;
  std::int64_t Int(const YAML::Node& node, std::string_view key) const;
  Duration DurationValue(const YAML::Node& node, std::string_view key) const;
  std::vector<std::string> StringList(const YAML::Node& node, std::string_view key) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

std::string JoinKey(std::string_view parent, std::string_view child);
std::string IndexKey(std::string_view parent, size_t index);

}  // namespace ele::config_internal
