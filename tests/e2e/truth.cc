#include "tests/e2e/truth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ele::e2e {

using namespace std::chrono_literals;

std::vector<std::string> Diff(const std::map<std::string, double>& truth, const std::map<std::string, double>& actual,
                              const std::set<std::string>& names) {
  auto wanted = [&](const std::string& series) { return names.contains(series.substr(0, series.find('{'))); };
  std::vector<std::string> out;
  for (const auto& [series, value] : truth) {
    if (!wanted(series)) continue;
    auto it = actual.find(series);
    const double got = it == actual.end() ? 0 : it->second;
    if (std::fabs(got - value) > 1e-6 * std::max(1.0, std::fabs(value))) {
      out.push_back(series + " want " + std::to_string(value) + " got " + std::to_string(got));
    }
  }
  for (const auto& [series, value] : actual) {
    if (wanted(series) && value != 0 && !truth.contains(series)) out.push_back(series + " unexpected " + std::to_string(value));
  }
  return out;
}

::testing::AssertionResult ConvergesToTruth(ExporterProcess& exporter, const std::map<std::string, double>& truth,
                                            const std::set<std::string>& names, std::chrono::seconds timeout) {
  std::vector<std::string> diff;
  double slowest_cycle_s = 0;  // a status shorter than a cycle cannot be observed
  auto agrees = [&] {
    const auto actual = ParseMetrics(HttpGet(exporter.url("/metrics")).body);
    for (const auto& [series, value] : actual) {
      if (series.starts_with("email_logs_exporter_collection_duration_seconds{")) slowest_cycle_s = std::max(slowest_cycle_s, value);
    }
    diff = Diff(truth, actual, names);
    return diff.empty();
  };
  if (!WaitFor(agrees, timeout)) {
    std::string text;
    for (size_t i = 0; i < diff.size() && i < 30; ++i) text += "\n  " + diff[i];
    return ::testing::AssertionFailure() << diff.size() << " series differ from the ground truth (slowest cycle seen: "
                                         << slowest_cycle_s << " s):" << text;
  }
  const auto successes = [&] {
    double sum = 0;
    for (const auto& [series, value] : ParseMetrics(HttpGet(exporter.url("/metrics")).body)) {
      if (series.rfind("email_logs_exporter_last_success_timestamp_seconds{", 0) == 0) sum += value;
    }
    return sum;
  };
  for (int i = 0; i < 2; ++i) {
    const double before = successes();
    WaitFor([&] { return successes() > before; }, 60s);
  }
  if (!agrees()) return ::testing::AssertionFailure() << "agreed once, then drifted: " << diff.front();
  std::printf("converged; slowest cycle seen: %.2f s\n", slowest_cycle_s);
  return ::testing::AssertionSuccess();
}

}  // namespace ele::e2e
