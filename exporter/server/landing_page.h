// The HTML page at "/": version, link to the metrics, and one row per
// account with its state at a glance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/account_status.h"

namespace ele {

std::string RenderLandingPage(const std::vector<AccountStatus>& accounts, TimePoint now,
                              const std::string& telemetry_path = "/metrics");
std::string HtmlEscape(std::string_view text);

}  // namespace ele
