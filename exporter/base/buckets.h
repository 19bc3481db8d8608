// Histogram bucket bounds, ascending, +Inf implied. The state counts
// observations into them and the metric catalogue names them; both take
// them from here so the two can never disagree.
#pragma once

#include <array>

namespace ele::buckets {

inline constexpr std::array<double, 12> kSpamScore = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20};
inline constexpr std::array<double, 13> kDelaySeconds = {1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200, 21600, 86400};
inline constexpr std::array<double, 9> kRequestSeconds = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

}  // namespace ele::buckets
