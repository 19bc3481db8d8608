#include "exporter/providers/jetemail/jetemail_wire.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ele::jetemail {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadFixture(std::string_view name) {
  const std::string path = std::string(ELE_TESTDATA_DIR) + "/jetemail/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Page ParseOk(std::string_view body) {
  auto page = ParsePage(body);
  EXPECT_TRUE(page.has_value()) << page.error();
  return page.value_or(Page{});
}

std::string ParseError(std::string_view body) {
  auto page = ParsePage(body);
  EXPECT_FALSE(page.has_value()) << "accepted a page that should be rejected";
  return page.has_value() ? std::string() : page.error().message;
}

// The smallest valid page with one entry whose `delivery_count` is `value`,
// so each number edge case is a one-line test.
std::string PageWithDeliveryCount(std::string_view value) {
  return R"({"success":true,"data":[{"uid":"u1","status":"delivered","_domain":"d",)"
         R"("rejected_count":0,"delivery_count":)" +
         std::string(value) + R"(,"actions":[]}],"pagination":{"total":1,"returned":1}})";
}

// A valid page whose only action is `action_json`.
std::string PageWithAction(std::string_view action_json) {
  return R"({"success":true,"data":[{"uid":"u1","status":"delivered","_domain":"d",)"
         R"("rejected_count":0,"delivery_count":1,"actions":[)" +
         std::string(action_json) + R"(]}],"pagination":{"total":1,"returned":1}})";
}

// A valid, empty page with `tail` appended to the top-level object.
std::string EmptyPageWith(std::string_view tail) {
  return R"({"success":true,"data":[],"pagination":{"total":0,"returned":0})" +
         std::string(tail) + "}";
}

TEST(JetEmailParsePageTest, SeedExampleVerbatim) {
  const Page page = ParseOk(ReadFixture("seed_example.json"));
  ASSERT_EQ(page.entries.size(), 1u);
  const events::InboundSighting& entry = page.entries[0];
  EXPECT_EQ(entry.uid, "67020a88e9ab3a023e12");
  EXPECT_EQ(entry.domain, "example.com");
  EXPECT_EQ(entry.status, "delivered");
  EXPECT_EQ(entry.delivery_count, 1);
  EXPECT_EQ(entry.rejected_count, 12);
  ASSERT_EQ(entry.actions.size(), 1u);
  const events::InboundAction& action = entry.actions[0];
  EXPECT_EQ(action.id, "bc1ca372-0000-0000-0000-000000000000");
  EXPECT_EQ(action.logtype, "inbound");
  EXPECT_EQ(action.date_ms, 1776933973950);
  EXPECT_EQ(action.delay_seconds, 0.0);
  ASSERT_TRUE(action.spam_score.has_value());
  EXPECT_EQ(*action.spam_score, 0.0);
  EXPECT_EQ(page.total, 450);
  EXPECT_EQ(page.limit, 100);
  EXPECT_EQ(page.offset, 0);
  EXPECT_EQ(page.returned, 100);
  ASSERT_EQ(page.domains_queried.size(), 1u);
  EXPECT_EQ(page.domains_queried[0].domain, "example.com");
  EXPECT_EQ(page.domains_queried[0].status, "success");
  EXPECT_EQ(page.domains_queried[0].count, 123);
  EXPECT_EQ(page.total_domains, 5);
  EXPECT_EQ(page.domains_included, 5);
}

TEST(JetEmailParsePageTest, MultipleDomainsKeepOrderAndFailedDomain) {
  const Page page = ParseOk(ReadFixture("multi_domain.json"));
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].domain, "shop.example");
  EXPECT_EQ(page.entries[0].status, "bounced");
  ASSERT_EQ(page.entries[0].actions.size(), 2u);
  EXPECT_EQ(page.entries[0].actions[1].logtype, "delivery");
  EXPECT_EQ(page.entries[0].actions[1].date_ms, 1776940001500);
  EXPECT_DOUBLE_EQ(page.entries[0].actions[1].delay_seconds, 1.5);
  EXPECT_DOUBLE_EQ(page.entries[0].actions[1].spam_score.value_or(-1), 1.2);
  EXPECT_EQ(page.entries[1].uid, "67020a88e9ab3a023e12");
  ASSERT_EQ(page.domains_queried.size(), 3u);
  EXPECT_EQ(page.domains_queried[2].domain, "broken.example");
  EXPECT_EQ(page.domains_queried[2].status, "failed");
  EXPECT_EQ(page.domains_queried[2].count, 0);  // absent
  EXPECT_EQ(page.total_domains, 25);
  EXPECT_EQ(page.domains_included, 20);
}

TEST(JetEmailParsePageTest, NullsReadAsDefaults) {
  const Page page = ParseOk(ReadFixture("nulls.json"));
  ASSERT_EQ(page.entries.size(), 1u);
  ASSERT_EQ(page.entries[0].actions.size(), 2u);
  const events::InboundAction& nulls = page.entries[0].actions[0];
  EXPECT_EQ(nulls.delay_seconds, 0.0);
  EXPECT_FALSE(nulls.spam_score.has_value());
  EXPECT_EQ(nulls.date_ms, 1776933973950);
  const events::InboundAction& scored = page.entries[0].actions[1];
  EXPECT_DOUBLE_EQ(scored.delay_seconds, 2.5);
  ASSERT_TRUE(scored.spam_score.has_value());  // 0 is a score, not "none"
  EXPECT_EQ(*scored.spam_score, 0.0);
  EXPECT_EQ(page.limit, 0);
  EXPECT_EQ(page.offset, 0);
  EXPECT_TRUE(page.domains_queried.empty());
  EXPECT_EQ(page.total_domains, 0);
}

TEST(JetEmailParsePageTest, MissingOptionalFieldsReadAsDefaults) {
  const Page page = ParseOk(ReadFixture("missing_optional.json"));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].status, "deferred");
  EXPECT_EQ(page.entries[0].rejected_count, 3);
  ASSERT_EQ(page.entries[0].actions.size(), 1u);
  const events::InboundAction& action = page.entries[0].actions[0];
  EXPECT_EQ(action.id, "a1");
  EXPECT_EQ(action.date_ms, 0);
  EXPECT_EQ(action.delay_seconds, 0.0);
  EXPECT_FALSE(action.spam_score.has_value());
  EXPECT_EQ(page.total, 1);
  EXPECT_EQ(page.returned, 1);
  EXPECT_EQ(page.limit, 0);
  EXPECT_EQ(page.offset, 0);
  EXPECT_TRUE(page.domains_queried.empty());
  EXPECT_EQ(page.total_domains, 0);
  EXPECT_EQ(page.domains_included, 0);
}

TEST(JetEmailParsePageTest, UnknownFieldsAreIgnoredEverywhere) {
  const Page page = ParseOk(ReadFixture("extra_fields.json"));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].status, "DELIVERED");  // kept as sent
  EXPECT_EQ(page.entries[0].delivery_count, 2);
  ASSERT_EQ(page.entries[0].actions.size(), 1u);
  EXPECT_EQ(page.entries[0].actions[0].logtype, "outbound");
  EXPECT_DOUBLE_EQ(page.entries[0].actions[0].delay_seconds, 0.125);
  EXPECT_DOUBLE_EQ(page.entries[0].actions[0].spam_score.value_or(-1), 1.75);
  ASSERT_EQ(page.domains_queried.size(), 1u);
  EXPECT_EQ(page.domains_queried[0].count, 1);
}

TEST(JetEmailParsePageTest, UnicodeAndEscapesInUsedAndUnusedFields) {
  const Page page = ParseOk(ReadFixture("unicode.json"));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].domain, "b\xC3\xBC" "cher.example");
  ASSERT_EQ(page.entries[0].actions.size(), 1u);
  // "\u00e9-é-😀": the escaped and the raw form decode to the same bytes.
  EXPECT_EQ(page.entries[0].actions[0].id, "\xC3\xA9-\xC3\xA9-\xF0\x9F\x98\x80");
  EXPECT_DOUBLE_EQ(page.entries[0].actions[0].spam_score.value_or(-1), 12.5);
}

TEST(JetEmailParsePageTest, NumbersAtTheirLimits) {
  const Page page = ParseOk(ReadFixture("limits.json"));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].delivery_count, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(page.entries[0].rejected_count, 0);
  ASSERT_EQ(page.entries[0].actions.size(), 2u);
  EXPECT_EQ(page.entries[0].actions[0].date_ms, 253402300799999);  // 9999-12-31T23:59:59.999Z
  EXPECT_DOUBLE_EQ(page.entries[0].actions[0].delay_seconds, 150.0);
  EXPECT_DOUBLE_EQ(page.entries[0].actions[0].spam_score.value_or(0), -3.25);
  EXPECT_EQ(page.entries[0].actions[1].date_ms, 0);
  EXPECT_DOUBLE_EQ(page.entries[0].actions[1].delay_seconds, 86400.0);  // integer as double
  EXPECT_DOUBLE_EQ(page.entries[0].actions[1].spam_score.value_or(0), 0.001);
  EXPECT_EQ(page.total, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(page.limit, 1000);
}

TEST(JetEmailParsePageTest, EmptyDataIsAValidPage) {
  const Page page = ParseOk(ReadFixture("empty_data.json"));
  EXPECT_TRUE(page.entries.empty());
  EXPECT_EQ(page.total, 0);
  ASSERT_EQ(page.domains_queried.size(), 1u);
  EXPECT_EQ(page.domains_queried[0].count, 0);
}

TEST(JetEmailParsePageTest, SuccessFalseIsRejectedWithProviderMessage) {
  EXPECT_EQ(ParseError(ReadFixture("success_false.json")),
            "success: false (Invalid domain filter)");
  EXPECT_EQ(ParseError(R"({"success": false})"), "success: false");
}

TEST(JetEmailParsePageTest, SuccessMustBePresentAndBoolean) {
  EXPECT_EQ(ParseError(R"({"data": [], "pagination": {"total": 0, "returned": 0}})"),
            "success: missing");
  EXPECT_EQ(ParseError(R"({"success": "true", "data": []})"),
            "success: expected boolean, got string");
}

TEST(JetEmailParsePageTest, TruncatedBodyReportsByteOffset) {
  const std::string body = ReadFixture("truncated.json");
  ASSERT_EQ(body.size(), 700u);
  EXPECT_EQ(ParseError(body), "truncated or invalid JSON at byte 700");
}

TEST(JetEmailParsePageTest, SyntaxErrorInsideBodyReportsItsOffset) {
  EXPECT_EQ(ParseError(R"({"success": true,, "data": []})"),
            "truncated or invalid JSON at byte 17");
  EXPECT_EQ(ParseError("{\"success\": tru"), "truncated or invalid JSON at byte 15");
  EXPECT_EQ(ParseError(EmptyPageWith("") + "x"), "truncated or invalid JSON at byte " +
                                                      std::to_string(EmptyPageWith("").size()));
}

TEST(JetEmailParsePageTest, HtmlErrorPageIsNotJson) {
  EXPECT_EQ(ParseError(ReadFixture("not_json.html")), "not JSON");
}

TEST(JetEmailParsePageTest, EmptyBodyIsNotJson) {
  EXPECT_EQ(ParseError(""), "not JSON: empty body");
  EXPECT_EQ(ParseError(" \r\n\t"), "not JSON: empty body");
}

TEST(JetEmailParsePageTest, InvalidUtf8IsASyntaxError) {
  EXPECT_THAT(ParseError("{\"success\": true, \"x\": \"\xFF\"}"),
              StartsWith("truncated or invalid JSON at byte "));
}

TEST(JetEmailParsePageTest, TopLevelMustBeAnObject) {
  EXPECT_EQ(ParseError("[]"), "body: expected object, got array");
  EXPECT_EQ(ParseError("null"), "body: expected object, got null");
}

TEST(JetEmailParsePageTest, DeliveryCountAsStringNamesThePath) {
  EXPECT_EQ(ParseError(ReadFixture("wrong_type_delivery_count.json")),
            "data[0].delivery_count: expected integer, got string");
}

TEST(JetEmailParsePageTest, NullActionsIsAnError) {
  EXPECT_EQ(ParseError(ReadFixture("actions_null.json")),
            "data[0].actions: expected array, got null");
}

TEST(JetEmailParsePageTest, DataAsObjectIsAnError) {
  EXPECT_EQ(ParseError(ReadFixture("data_object.json")), "data: expected array, got object");
}

TEST(JetEmailParsePageTest, MissingUidInSecondEntryRejectsWholePage) {
  EXPECT_EQ(ParseError(ReadFixture("missing_uid.json")), "data[1].uid: missing");
}

TEST(JetEmailParsePageTest, IntegerEdgeCases) {
  EXPECT_EQ(ParseOk(PageWithDeliveryCount("0")).entries.at(0).delivery_count, 0);
  EXPECT_EQ(ParseOk(PageWithDeliveryCount("-0")).entries.at(0).delivery_count, 0);
  EXPECT_EQ(ParseError(PageWithDeliveryCount("1.5")),
            "data[0].delivery_count: expected integer, got float");
  EXPECT_EQ(ParseError(PageWithDeliveryCount("1.0")),
            "data[0].delivery_count: expected integer, got float");
  EXPECT_EQ(ParseError(PageWithDeliveryCount("1e2")),
            "data[0].delivery_count: expected integer, got float");
  EXPECT_EQ(ParseError(PageWithDeliveryCount("-1")),
            "data[0].delivery_count: expected non-negative integer, got -1");
  EXPECT_EQ(ParseError(PageWithDeliveryCount("9223372036854775808")),
            "data[0].delivery_count: integer out of range: 9223372036854775808");
  EXPECT_EQ(ParseError(PageWithDeliveryCount("null")),
            "data[0].delivery_count: expected integer, got null");
  EXPECT_EQ(ParseError(PageWithDeliveryCount("true")),
            "data[0].delivery_count: expected integer, got boolean");
}

TEST(JetEmailParsePageTest, NegativeRejectedCountIsAnError) {
  const std::string body =
      R"({"success":true,"data":[{"uid":"u","status":"s","_domain":"d","delivery_count":0,)"
      R"("rejected_count":-5,"actions":[]}],"pagination":{"total":1,"returned":1}})";
  EXPECT_EQ(ParseError(body), "data[0].rejected_count: expected non-negative integer, got -5");
}

TEST(JetEmailParsePageTest, EntryMustBeAnObject) {
  EXPECT_EQ(ParseError(R"({"success":true,"data":["x"],"pagination":{"total":1,"returned":1}})"),
            "data[0]: expected object, got string");
}

TEST(JetEmailParsePageTest, EmptyUidIsAnError) {
  const std::string body =
      R"({"success":true,"data":[{"uid":"","status":"s","_domain":"d","delivery_count":0,)"
      R"("rejected_count":0,"actions":[]}],"pagination":{"total":1,"returned":1}})";
  EXPECT_EQ(ParseError(body), "data[0].uid: expected non-empty string");
}

TEST(JetEmailParsePageTest, ActionFieldErrorsNameTheAction) {
  EXPECT_EQ(ParseError(PageWithAction(R"({"logtype":"inbound"})")),
            "data[0].actions[0].id: missing");
  EXPECT_EQ(ParseError(PageWithAction(R"({"id":"a","logtype":7})")),
            "data[0].actions[0].logtype: expected string, got integer");
  EXPECT_EQ(ParseError(PageWithAction(R"({"id":"a","logtype":"x","date":1.5})")),
            "data[0].actions[0].date: expected integer, got float");
  EXPECT_EQ(ParseError(PageWithAction(R"({"id":"a","logtype":"x","delay":"3"})")),
            "data[0].actions[0].delay: expected number, got string");
  EXPECT_EQ(ParseError(PageWithAction(R"({"id":"a","logtype":"x","spam_score":"high"})")),
            "data[0].actions[0].spam_score: expected number, got string");
  EXPECT_EQ(ParseError(PageWithAction("null")), "data[0].actions[0]: expected object, got null");
}

TEST(JetEmailParsePageTest, ActionUnusedFieldsAreNotValidated) {
  const Page page = ParseOk(PageWithAction(
      R"({"id":"a","logtype":"x","host":7,"ip":[],"port":"25","response":{"x":null}})"));
  ASSERT_EQ(page.entries.at(0).actions.size(), 1u);
  EXPECT_EQ(page.entries[0].actions[0].id, "a");
}

TEST(JetEmailParsePageTest, PaginationErrors) {
  EXPECT_EQ(ParseError(R"({"success":true,"data":[]})"), "pagination: missing");
  EXPECT_EQ(ParseError(R"({"success":true,"data":[],"pagination":[]})"),
            "pagination: expected object, got array");
  EXPECT_EQ(ParseError(R"({"success":true,"data":[],"pagination":{"returned":0}})"),
            "pagination.total: missing");
  EXPECT_EQ(ParseError(R"({"success":true,"data":[],"pagination":{"total":0,"returned":"0"}})"),
            "pagination.returned: expected integer, got string");
  EXPECT_EQ(ParseError(R"({"success":true,"data":[],)"
                       R"("pagination":{"total":0,"returned":0,"limit":1.5}})"),
            "pagination.limit: expected integer, got float");
}

TEST(JetEmailParsePageTest, DataMissingIsAnError) {
  EXPECT_EQ(ParseError(R"({"success":true,"pagination":{"total":0,"returned":0}})"),
            "data: missing");
}

TEST(JetEmailParsePageTest, DomainsQueriedErrors) {
  EXPECT_EQ(ParseError(EmptyPageWith(R"(,"domains_queried":{})")),
            "domains_queried: expected array, got object");
  EXPECT_EQ(ParseError(EmptyPageWith(R"(,"domains_queried":[{"domain":"a"}])")),
            "domains_queried[0].status: missing");
  EXPECT_EQ(ParseError(EmptyPageWith(
                R"(,"domains_queried":[{"domain":"a","status":"success","count":"3"}])")),
            "domains_queried[0].count: expected integer, got string");
  EXPECT_EQ(ParseError(EmptyPageWith(R"(,"total_domains":"5")")),
            "total_domains: expected integer, got string");
  EXPECT_EQ(ParseError(EmptyPageWith(R"(,"domains_included":2.0)")),
            "domains_included: expected integer, got float");
}

TEST(JetEmailParsePageTest, FirstErrorWinsAcrossEntries) {
  // events::InboundSighting 0 has a bad count and entry 1 no uid: the first in document order is reported.
  const std::string body =
      R"({"success":true,"data":[)"
      R"({"uid":"u","status":"s","_domain":"d","delivery_count":"x","rejected_count":0,"actions":[]},)"
      R"({"status":"s","_domain":"d","delivery_count":0,"rejected_count":0,"actions":[]}],)"
      R"("pagination":{"total":2,"returned":2}})";
  EXPECT_EQ(ParseError(body), "data[0].delivery_count: expected integer, got string");
}

TEST(JetEmailParseErrorMessageTest, ReadsErrorOrMessage) {
  EXPECT_EQ(ParseErrorMessage(R"({"error":"Invalid API key"})"), "Invalid API key");
  EXPECT_EQ(ParseErrorMessage(R"({"message":"Too many requests"})"), "Too many requests");
  EXPECT_EQ(ParseErrorMessage(R"({"errors":["a","b"]})"), "a; b");
  EXPECT_EQ(ParseErrorMessage(R"({"success":false,"error":"","message":"m"})"), "m");
  EXPECT_EQ(ParseErrorMessage(R"({"error":{"message":"nested"}})"), "nested");
}

TEST(JetEmailParseErrorMessageTest, EmptyWhenNoMessage) {
  EXPECT_EQ(ParseErrorMessage(""), "");
  EXPECT_EQ(ParseErrorMessage(ReadFixture("not_json.html")), "");
  EXPECT_EQ(ParseErrorMessage(R"({"success":false})"), "");
  EXPECT_EQ(ParseErrorMessage(R"({"error":42})"), "");
  EXPECT_EQ(ParseErrorMessage(R"(["error"])"), "");
  EXPECT_EQ(ParseErrorMessage(ReadFixture("truncated.json")), "");
}

TEST(JetEmailParseErrorMessageTest, CutsAt200BytesOnACharacterBoundary) {
  // 199 ASCII bytes then "é" (2 bytes): byte 200 would split the "é".
  const std::string text = std::string(199, 'a') + "\xC3\xA9" + std::string(50, 'b');
  const std::string message = ParseErrorMessage(R"({"error":")" + text + R"("})");
  EXPECT_EQ(message, std::string(199, 'a'));
  const std::string ascii(300, 'x');
  EXPECT_EQ(ParseErrorMessage(R"({"message":")" + ascii + R"("})"), std::string(200, 'x'));
}

}  // namespace
}  // namespace ele::jetemail
