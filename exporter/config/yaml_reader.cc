#include "exporter/config/yaml_reader.h"

#include <limits>
#include <set>

namespace ele::config_internal {
namespace {

std::string_view KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

}  // namespace

std::string JoinKey(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  return std::string(parent) + "." + std::string(child);
}

std::string IndexKey(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

void YamlReader::Fail(const YAML::Node& at, std::string_view key, std::string_view problem) const {
  std::string line = file_;
  const YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  if (!mark.is_null()) line += ":" + std::to_string(mark.line + 1);
  line += ": ";
  if (!key.empty()) line += std::string(key) + ": ";
  line += problem;
  throw ConfigError(line);
}

YAML::Node YamlReader::Parse(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string line = file_;
    if (!e.mark.is_null()) line += ":" + std::to_string(e.mark.line + 1);
    throw ConfigError(line + ": invalid YAML: " + e.msg);
  }
}

void YamlReader::ExpectMap(const YAML::Node& node, std::string_view key) const {
  if (!node.IsMap()) Fail(node, key, "expected a mapping, got " + std::string(KindName(node)));
}

void YamlReader::ExpectSeq(const YAML::Node& node, std::string_view key) const {
  if (!node.IsSequence()) Fail(node, key, "expected a list, got " + std::string(KindName(node)));
}

void YamlReader::CheckKeys(const YAML::Node& map, std::string_view path,
                           std::initializer_list<std::string_view> allowed) const {
  std::set<std::string> seen;
  for (const auto& item : map) {
    if (!item.first.IsScalar()) Fail(item.first, path, "keys must be plain strings");
    const std::string key = item.first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) Fail(item.first, JoinKey(path, key), "unknown key");
    if (!seen.insert(key).second) Fail(item.first, JoinKey(path, key), "key appears twice");
  }
}

std::string YamlReader::String(const YAML::Node& node, std::string_view key) const {
  if (!node.IsScalar()) Fail(node, key, "expected a string, got " + std::string(KindName(node)));
  return node.Scalar();
}

std::int64_t YamlReader::Int(const YAML::Node& node, std::string_view key) const {
  const std::string text = String(node, key);
  size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) Fail(node, key, "expected an integer, got \"" + text + "\"");
  return value;
}

Duration YamlReader::DurationValue(const YAML::Node& node, std::string_view key) const {
  auto parsed = ParseDuration(String(node, key));
  if (!parsed) Fail(node, key, parsed.error().message);
  return *parsed;
}

std::vector<std::string> YamlReader::StringList(const YAML::Node& node, std::string_view key) const {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  ExpectSeq(node, key);
  std::set<std::string> seen;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string value = String(node[i], IndexKey(key, i));
    if (value.empty()) Fail(node[i], IndexKey(key, i), "must not be empty");
    if (!seen.insert(value).second) Fail(node[i], IndexKey(key, i), "\"" + value + "\" is listed twice");
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace ele::config_internal
