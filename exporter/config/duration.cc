#include "exporter/config/duration.h"

#include <cctype>
#include <cmath>
#include <utility>

namespace ele {
namespace {

// Milliseconds per unit; ns and us are kept as fractions of a millisecond.
bool UnitScale(std::string_view unit, double* ms) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"\xC2\xB5s", 1e-3}, {"ms", 1.0},
      {"s", 1e3},   {"m", 60e3},  {"h", 3600e3},       {"d", 86400e3},
  };
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      *ms = scale;
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return Fail("empty duration");
  if (text == "0") return Duration{0};
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t number_start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == number_start) return Fail("invalid duration " + quoted + " (use e.g. 500ms, 60s, 5m, 24h)");
    const std::string number(text.substr(number_start, i - number_start));
    const size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    double scale = 0;
    if (!UnitScale(text.substr(unit_start, i - unit_start), &scale)) {
      return Fail("invalid duration " + quoted + " (use e.g. 500ms, 60s, 5m, 24h)");
    }
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value)) {
      return Fail("invalid duration " + quoted);
    }
    total_ms += value * scale;
  }
  if (total_ms > 1e15) return Fail("duration " + quoted + " is too large");
  return Duration{static_cast<long long>(total_ms)};
}

std::string FormatDuration(Duration d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const long long h = ms / 3600000, m = (ms / 60000) % 60, s = (ms / 1000) % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

}  // namespace ele
