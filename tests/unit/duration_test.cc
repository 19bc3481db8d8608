#include "exporter/config/duration.h"

#include <gtest/gtest.h>

namespace ele {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ParsesGoStyle) {
  EXPECT_EQ(ParseDuration("500ms").value(), 500ms);
  EXPECT_EQ(ParseDuration("60s").value(), 60s);
  EXPECT_EQ(ParseDuration("5m").value(), 5min);
  EXPECT_EQ(ParseDuration("24h").value(), 24h);
  EXPECT_EQ(ParseDuration("1h30m").value(), 90min);
  EXPECT_EQ(ParseDuration("1.5s").value(), 1500ms);
  EXPECT_EQ(ParseDuration("2d").value(), 48h);
  EXPECT_EQ(ParseDuration("0").value(), 0ms);
}

TEST(DurationTest, RejectsWhatGoRejects) {
  for (const char* bad : {"", "60", "s", "5 m", "-5s", "1x", "1h-5m", "1..5s"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(DurationTest, FormatsShortest) {
  EXPECT_EQ(FormatDuration(0ms), "0s");
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(100ms), "100ms");
  EXPECT_EQ(FormatDuration(25h), "25h");
}

}  // namespace
}  // namespace ele
