// Golden /metrics: each collector runs a few cycles on a manual clock against
// a scripted HTTP client that answers with the fixture pages of
// tests/testdata/golden/ (events included), and the account's part of
// /metrics must equal tests/testdata/metrics/<provider>.prom byte for byte.
// Any change to what is exported, or how, shows up here as a diff.
//
// To accept an intended change, regenerate the files and review the diff:
//   ELE_UPDATE_GOLDEN=1 build/release/tests/unit_tests --gtest_filter='GoldenMetrics*'
//   git diff tests/testdata/metrics
//
// Two values depend on the wall clock, not on the input: the cycle duration
// gauge and the request duration histogram's buckets and sum. They are
// masked as <timing>; their series and counts still have to match.
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporter/state/state_file.h"
#include "tests/unit/golden_scenario.h"

namespace ele {
namespace {

const std::string kGoldenDir = std::string(ELE_TESTDATA_DIR) + "/metrics";

std::string MaskTimings(const std::string& text) {
  static const std::vector<std::string> kTimed = {"email_logs_exporter_collection_duration_seconds{",
                                                  "email_logs_exporter_api_request_duration_seconds_bucket{",
                                                  "email_logs_exporter_api_request_duration_seconds_sum{"};
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    for (const std::string& prefix : kTimed) {
      if (line.starts_with(prefix)) line = line.substr(0, line.rfind(' ') + 1) + "<timing>";
    }
    out += line + "\n";
  }
  return out;
}

void ExpectGolden(const std::string& name, const std::string& rendered) {
  const std::string path = kGoldenDir + "/" + name;
  const std::string text = MaskTimings(rendered);
  if (std::getenv("ELE_UPDATE_GOLDEN") != nullptr) {
    std::filesystem::create_directories(kGoldenDir);
    std::ofstream(path, std::ios::binary) << text;
    GTEST_SKIP() << "wrote " << path;
  }
  const std::string expected = golden::ReadFile(path);
  ASSERT_FALSE(expected.empty()) << path << " is missing; see this file's header to create it";
  EXPECT_EQ(text, expected) << "/metrics differs from " << path;
}

TEST(GoldenMetricsTest, JetEmailCyclesRenderAsRecorded) {
  golden::Scenario scenario;
  const std::string rendered = scenario.RunJetEmail();
  ExpectGolden("jetemail.prom", rendered);
}

// Series "name{labels}" -> value of a text exposition.
std::map<std::string, double> ParseText(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// /metrics shows only counts already saved: while saves fail, the counts of
// the last saved cycle stay (the self-metrics go on).
TEST(GoldenMetricsTest, CyclesWhoseSaveFailedShowTheLastSavedCounts) {
  golden::Scenario saved_once;
  saved_once.saves_fail_from_cycle = 1;
  const auto shown = ParseText(saved_once.RunJetEmail());
  golden::Scenario one_cycle;
  const auto first = ParseText(one_cycle.RunJetEmail(1));
  size_t compared = 0;
  for (const auto& [series, value] : first) {
    if (!series.starts_with("jetemail_")) continue;
    ASSERT_TRUE(shown.contains(series)) << series;
    EXPECT_EQ(shown.at(series), value) << series;
    ++compared;
  }
  EXPECT_GT(compared, 10u);
  for (const auto& [series, value] : shown) {
    if (series.starts_with("jetemail_")) {
      EXPECT_TRUE(first.contains(series)) << series << " is from an unsaved cycle";
    }
    if (series.starts_with("email_logs_exporter_up{")) {
      EXPECT_EQ(value, 0) << "the self-metrics are the last cycle's";
    }
  }
}

TEST(GoldenMetricsTest, MailtrapCyclesWithEventsRenderAsRecorded) {
  golden::Scenario scenario;
  const std::string rendered = scenario.RunMailtrap();
  ExpectGolden("mailtrap.prom", rendered);
}

// Gauge series of a status no tracked message holds any more (value 0).
// The first state-file layouts did not keep them, so an upgrade drops them.
std::string WithoutZeroStatusGauges(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    const bool status_gauge = line.starts_with("jetemail_inbound_messages{") || line.starts_with("mailtrap_messages{");
    if (!(status_gauge && line.ends_with("} 0"))) out += line + "\n";
  }
  return out;
}

// Lines whose metric name starts with one of `prefixes`, HELP and TYPE included.
std::string WithoutMetrics(const std::string& text, std::initializer_list<std::string_view> prefixes) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    const std::string_view name = line.starts_with("# ") ? std::string_view(line).substr(7) : std::string_view(line);
    if (std::ranges::none_of(prefixes, [&](std::string_view p) { return name.starts_with(p); })) out += line + "\n";
  }
  return out;
}

// The sending domains' health gauges are not state: a restarted exporter
// lists the domains again in its first cycle.
constexpr std::string_view kSendingDomainHealth = "mailtrap_sending_domain_";

// The state file round trip: a collector restored from what the scenario's
// collector saved exports the same metrics, to the last zero gauge (the
// first layouts dropped those; the test of the upgrade below allows it).
TEST(GoldenMetricsTest, RestoredStateExportsTheSameMetrics) {
  golden::Scenario scenario;
  scenario.RunJetEmail();
  scenario.RunMailtrap();
  const auto saved = scenario.SavedBlobs();
  for (const auto& [key, blob] : saved) {
    auto restored = golden::Scenario::Restore(key, blob);
    ASSERT_TRUE(restored) << key << ": " << restored.error();
    EXPECT_EQ(golden::RenderCollector(**restored), WithoutMetrics(scenario.RenderLiveCollector(key), {kSendingDomainHealth})) << key;
    EXPECT_EQ((*restored)->Status().watermark, scenario.LiveStatus(key).watermark) << key;
  }
}

// An upgrade keeps every counter: the state file in tests/testdata/state was
// written by the exporter at commit ea95779 (blob tags jetemail-1 and
// mailtrap-2) after this same scenario; collectors of today restore it and
// export what the scenario's collectors export, but for the mailbox-provider
// counter, which that layout did not have (it starts at zero).
TEST(GoldenMetricsTest, StateFileOfTheFirstLayoutsRestoresEveryCounter) {
  const auto blobs = StateFile::Decode(golden::ReadFile(std::string(ELE_TESTDATA_DIR) + "/state/golden_jetemail-1_mailtrap-2.state"));
  ASSERT_TRUE(blobs) << blobs.error();
  ASSERT_EQ(blobs->size(), 2u);
  golden::Scenario scenario;
  scenario.RunJetEmail();
  scenario.RunMailtrap();
  for (const auto& [key, blob] : *blobs) {
    auto restored = golden::Scenario::Restore(key, blob);
    ASSERT_TRUE(restored) << key << ": " << restored.error();
    const std::string live = WithoutMetrics(scenario.RenderLiveCollector(key), {kSendingDomainHealth, "mailtrap_mailbox_provider_events_total",
                                                                                "email_logs_exporter_label_overflow_total{provider=\"mailtrap\",account=\"shop\",label=\"mailbox_provider\"}"});
    EXPECT_EQ(WithoutZeroStatusGauges(golden::RenderCollector(**restored)), WithoutZeroStatusGauges(live)) << key;
    EXPECT_EQ((*restored)->Status().watermark, scenario.LiveStatus(key).watermark) << key;
    EXPECT_EQ((*restored)->Status().tracked_messages, scenario.LiveStatus(key).tracked_messages) << key;
  }
}

}  // namespace
}  // namespace ele
