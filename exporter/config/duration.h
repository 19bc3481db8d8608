// Go-style durations ("500ms", "60s", "1h30m"), as every Prometheus tool writes them.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "exporter/base/error.h"

namespace ele {

using Duration = std::chrono::milliseconds;

// Accepts a sequence of <number><unit> with units ns, us, ms, s, m, h (also
// "d" for days, as Prometheus does). Sub-millisecond totals round down;
// negative durations are rejected.
Result<Duration> ParseDuration(std::string_view text);

// Shortest Go-style rendering: 90000ms -> "1m30s", 0 -> "0s".
std::string FormatDuration(Duration d);

}  // namespace ele
