// Comparing the exporter's /metrics with a fake API's ground truth, for the
// end-to-end tests that prove counters exact.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace ele::e2e {

// Differences between the exporter's series of `names` and the truth, as
// readable lines; empty when they agree. Zero-valued series count as absent.
std::vector<std::string> Diff(const std::map<std::string, double>& truth, const std::map<std::string, double>& actual,
                              const std::set<std::string>& names);

// Polls /metrics until the compared series equal the truth and stay equal
// over two more successful cycles of every account.
::testing::AssertionResult ConvergesToTruth(ExporterProcess& exporter, const std::map<std::string, double>& truth,
                                            const std::set<std::string>& names, std::chrono::seconds timeout);

}  // namespace ele::e2e
