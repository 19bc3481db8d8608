// Prometheus text format -> canonical series, for comparing an exporter's
// metrics with a fake API's ground truth: in the end-to-end tests (from
// /metrics) and in-process ones (from a rendered snapshot). Header-only, so
// unit tests need none of the e2e harness.
#pragma once

#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace ele::e2e {

// Canonical series "name{a="x",b="y"}" (labels sorted by name) -> value.
// Histogram _bucket lines are kept as they are.
inline std::map<std::string, double> ParseMetrics(const std::string& text) {
  static const std::regex kLine(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.empty() || line[0] == '#' || !std::regex_match(line, m, kLine)) continue;
    std::map<std::string, std::string> labels;
    const std::string label_text = m[3];
    for (auto it = std::sregex_iterator(label_text.begin(), label_text.end(), kLabel); it != std::sregex_iterator(); ++it) {
      labels[(*it)[1]] = (*it)[2];
    }
    std::string key = m[1].str() + "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
      key += (first ? "" : ",") + k + "=\"" + v + "\"";
      first = false;
    }
    key += "}";
    out[key] = std::strtod(m[4].str().c_str(), nullptr);
  }
  return out;
}

}  // namespace ele::e2e
