#include "exporter/config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ele {
namespace {

const std::string kDir = std::string(ELE_TESTDATA_DIR) + "/config";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("ELE_TEST_TOKEN", "tok-from-env-7f3a", 1);
    unsetenv("ELE_TEST_UNSET_VARIABLE");
  }
};

struct BadCase {
  const char* file;
  const char* expected;  // the whole message after "<path>:"
};

// Every bad configuration gives exactly one line: file, line, key, problem.
const BadCase kBadCases[] = {
    {"unknown_top_key", "1: collections: unknown key"},
    {"unknown_account_key", "4: jetemail[0].token: unknown key"},
    {"interval_wrong_type", "2: collection.interval: expected a string, got a list"},
    {"interval_bad_unit", "2: collection.interval: invalid duration \"60 seconds\" (use e.g. 500ms, 60s, 5m, 24h)"},
    {"interval_too_short", "2: collection.interval: must be between 100ms and 1h, got 50ms"},
    {"lookback_shorter_than_interval", "3: collection.lookback: must not be shorter than collection.interval"},
    {"overlap_longer_than_lookback", "3: collection.overlap: must not be longer than collection.lookback"},
    {"duplicate_key", "3: collection.interval: key appears twice"},
    {"duplicate_account_name", "4: jetemail[1].name: duplicate account name \"main\" (names are unique per provider)"},
    {"no_token_source", "2: jetemail[0].api_token_env: missing: set api_token_env or api_token_file"},
    {"both_token_sources", "2: jetemail[0].api_token_env: set only one of api_token_env and api_token_file"},
    {"token_env_unset", "3: jetemail[0].api_token_env: environment variable ELE_TEST_UNSET_VARIABLE is not set or empty"},
    {"token_file_unreadable", "3: jetemail[0].api_token_file: cannot read token file /nonexistent/jetemail_token: No such file or directory"},
    {"missing_account_id", "2: mailtrap[0].account_id: missing (the numeric id in your Mailtrap URL)"},
    {"account_id_not_integer", "3: mailtrap[0].account_id: expected an integer, got \"abc\""},
    {"account_id_zero", "3: mailtrap[0].account_id: must be at least 1, got 0"},
    {"jetemail_budget_too_high", "4: jetemail[0].requests_per_minute: must be between 1 and 200, got 500 (JetEmail blocks an account for 5 minutes past 240 a minute)"},
    {"mailtrap_budget_too_high", "5: mailtrap[0].requests_per_minute: must be between 1 and 60, got 61 (Mailtrap allows 60 list calls a minute per account)"},
    {"detail_budget_zero", "5: mailtrap[0].detail_requests_per_minute: must be between 1 and 1000, got 0 (Mailtrap allows 1000 a minute per account)"},
    {"refresh_interval_too_long", "5: mailtrap[0].refresh_interval: must be between 0s and 24h, got 48h"},
    {"events_unknown", "5: mailtrap[0].events: must be one of failures, all, off; got \"sometimes\""},
    {"base_url_not_http", "4: jetemail[0].base_url: must start with http:// or https://"},
    {"no_accounts", "1: no accounts configured: add an entry under jetemail or mailtrap"},
    {"empty_file", " the file is empty: configure at least one account"},
    {"invalid_yaml", "3: invalid YAML: end of sequence flow not found"},
    {"jetemail_not_a_list", "2: jetemail: expected a list, got a mapping"},
    {"empty_name", "2: jetemail[0].name: must be 1 to 64 characters"},
    {"category_listed_twice", "5: mailtrap[0].categories[1]: \"welcome\" is listed twice"},
    {"domains_not_a_list", "4: jetemail[0].domains: expected a list, got a scalar"},
    {"sending_domains_path_relative", "5: mailtrap[0].sending_domains_path: must start with /"},
    {"label_limit_not_integer", "2: collection.label_value_limit: expected an integer, got \"1.5\""},
};

TEST_F(ConfigTest, EveryBadFileGivesItsExactMessage) {
  ASSERT_GE(std::size(kBadCases), 20u);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir + "/bad")) files += entry.is_regular_file();
  EXPECT_EQ(files, std::size(kBadCases)) << "every file under bad/ needs a row in the table";
  for (const BadCase& c : kBadCases) {
    const std::string path = kDir + "/bad/" + c.file + ".yaml";
    auto config = LoadConfigFile(path);
    ASSERT_FALSE(config.has_value()) << c.file;
    EXPECT_EQ(config.error(), path + ":" + c.expected) << c.file;
    EXPECT_EQ(config.error().message.find('\n'), std::string::npos) << "one line: " << c.file;
    EXPECT_EQ(config.error().message.find("tok-from-env-7f3a"), std::string::npos) << "no token in messages: " << c.file;
  }
}

TEST_F(ConfigTest, GoodFileFillsEveryField) {
  const std::string token_file = ::testing::TempDir() + "/mailtrap_token";
  std::ofstream(token_file) << "\"tok-from-file-91c2\"\n";
  std::ifstream in(kDir + "/good/full.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("TOKEN_FILE"), 10, token_file);
  auto config = LoadConfigText(text, "full.yaml");
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->collection.interval, std::chrono::seconds(30));
  EXPECT_EQ(config->collection.lookback, std::chrono::hours(12));
  EXPECT_EQ(config->collection.overlap, std::chrono::minutes(2));
  EXPECT_EQ(config->collection.request_timeout, std::chrono::seconds(10));
  ASSERT_EQ(config->jetemail.size(), 1u);
  EXPECT_EQ(config->jetemail[0].token.Reveal(), "tok-from-env-7f3a");
  EXPECT_EQ(config->jetemail[0].base_url, "https://api.jetemail.com") << "trailing slash trimmed";
  EXPECT_EQ(config->jetemail[0].domains, (std::vector<std::string>{"a.example.com", "b.example.com"}));
  ASSERT_EQ(config->mailtrap.size(), 1u);
  EXPECT_EQ(config->mailtrap[0].token.Reveal(), "tok-from-file-91c2") << "newline and quotes trimmed";
  EXPECT_EQ(config->mailtrap[0].account_id, 123456);
  EXPECT_EQ(config->mailtrap[0].events, EventsMode::kAll);
  EXPECT_EQ(config->mailtrap[0].categories, (std::vector<std::string>{"welcome", "password_reset"}));
  EXPECT_EQ(config->mailtrap[0].email_logs_path, "/api/email_logs");
  EXPECT_EQ(config->mailtrap[0].sending_domains_path, "/api/domains");
}

TEST_F(ConfigTest, DefaultsApplyWhenKeysAreAbsent) {
  auto config = LoadConfigText("mailtrap:\n  - name: prod\n    account_id: 7\n    api_token_env: ELE_TEST_TOKEN\n", "min.yaml");
  ASSERT_TRUE(config.has_value()) << config.error();
  EXPECT_EQ(config->collection.interval, std::chrono::seconds(60));
  EXPECT_EQ(config->collection.lookback, std::chrono::hours(24));
  EXPECT_EQ(config->collection.overlap, std::chrono::minutes(5));
  EXPECT_EQ(config->collection.request_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config->mailtrap[0].requests_per_minute, 30);
  EXPECT_EQ(config->mailtrap[0].detail_requests_per_minute, 300);
  EXPECT_EQ(config->mailtrap[0].events, EventsMode::kFailures);
  EXPECT_EQ(config->mailtrap[0].base_url, "https://mailtrap.io");
  EXPECT_EQ(config->mailtrap[0].email_logs_path, "/api/accounts/{account_id}/email_logs");
  EXPECT_EQ(config->mailtrap[0].sending_domains_path, "/api/accounts/{account_id}/sending_domains");
  EXPECT_EQ(config->state_file, "");
}

TEST_F(ConfigTest, ExampleConfigOfTheRepositoryIsValid) {
  setenv("JETEMAIL_API_TOKEN", "example-jet", 1);
  setenv("MAILTRAP_API_TOKEN", "example-mt", 1);
  auto config = LoadConfigFile(std::string(ELE_SOURCE_DIR) + "/config.example.yaml");
  EXPECT_TRUE(config.has_value()) << config.error();
}

}  // namespace
}  // namespace ele
