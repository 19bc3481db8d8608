#include "exporter/providers/mailtrap/mailtrap_time.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ele::mailtrap {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadFixture(std::string_view name) {
  const std::string path = std::string(ELE_TESTDATA_DIR) + "/mailtrap/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

ListPage ListOk(std::string_view body) {
  auto page = ParseListPage(body);
  EXPECT_TRUE(page.has_value()) << page.error();
  return page.value_or(ListPage{});
}

std::string ListError(std::string_view body) {
  auto page = ParseListPage(body);
  EXPECT_FALSE(page.has_value()) << "accepted a page that should be rejected";
  return page.has_value() ? std::string() : page.error().message;
}

events::MessageHistory DetailOk(std::string_view body) {
  auto detail = ParseMessageDetail(body);
  EXPECT_TRUE(detail.has_value()) << detail.error();
  return detail.value_or(events::MessageHistory{});
}

std::string DetailError(std::string_view body) {
  auto detail = ParseMessageDetail(body);
  EXPECT_FALSE(detail.has_value()) << "accepted a message that should be rejected";
  return detail.has_value() ? std::string() : detail.error().message;
}

// A one-message list page; `fields` is spliced into the message object.
std::string PageWithMessage(std::string_view fields) {
  return R"({"messages":[{"message_id":"m1","status":"delivered",)"
         R"("sent_at":"2025-06-01T00:00:00Z")" +
         std::string(fields) + R"(}],"total_count":1,"next_page_cursor":null})";
}

// A detail body whose only event is `event_json`.
std::string DetailWithEvent(std::string_view event_json) {
  return R"({"message_id":"m1","status":"delivered","sent_at":"2025-06-01T00:00:00Z",)"
         R"("events":[)" +
         std::string(event_json) + "]}";
}

std::int64_t Iso(std::string_view text) {
  auto ms = ParseIso8601Ms(text);
  EXPECT_TRUE(ms.has_value()) << text << ": " << ms.error();
  return ms.value_or(std::numeric_limits<std::int64_t>::min());
}

std::string IsoError(std::string_view text) {
  auto ms = ParseIso8601Ms(text);
  EXPECT_FALSE(ms.has_value()) << text << " parsed as " << ms.value_or(0);
  return ms.has_value() ? std::string() : ms.error().message;
}

// --- List ------------------------------------------------------------------

TEST(MailtrapParseListPageTest, PageFromSeedSchema) {
  const ListPage page = ListOk(ReadFixture("list_page.json"));
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_EQ(page.total_count, 57);
  EXPECT_EQ(page.next_page_cursor, "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9");

  const events::OutboundSighting& first = page.messages[0];
  EXPECT_EQ(first.message_id, "a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f");
  EXPECT_EQ(first.status, "delivered");
  EXPECT_EQ(first.sent_at_ms, 1748859330123);
  EXPECT_EQ(first.category, "order-shipped");
  EXPECT_EQ(first.sending_stream, "transactional");
  EXPECT_EQ(first.sending_domain, 3938);
  EXPECT_EQ(first.opens_count, 2);
  EXPECT_EQ(first.clicks_count, 1);

  const events::OutboundSighting& second = page.messages[1];
  EXPECT_EQ(second.status, "not_delivered");
  EXPECT_EQ(second.sent_at_ms, 1748859245000);  // +02:00 converted to UTC
  EXPECT_EQ(second.sending_stream, "bulk");
  EXPECT_EQ(second.sending_domain, 3939);

  EXPECT_EQ(page.messages[2].sent_at_ms, 1748859239500);  // ".5" is 500 ms
  EXPECT_EQ(page.messages[2].status, "enqueued");
}

TEST(MailtrapParseListPageTest, NullsReadAsNone) {
  const ListPage page = ListOk(ReadFixture("list_nulls.json"));
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_FALSE(page.messages[0].category.has_value());
  EXPECT_EQ(page.messages[0].status, "opted_out");
  EXPECT_EQ(page.messages[0].opens_count, 0);
  EXPECT_EQ(page.messages[0].clicks_count, 0);
  EXPECT_EQ(page.messages[0].sending_domain, 3938);
  EXPECT_EQ(page.messages[0].sent_at_ms, 1748764800000);
  EXPECT_FALSE(page.next_page_cursor.has_value());
}

TEST(MailtrapParseListPageTest, DomainIdIsAcceptedForSendingDomainId) {
  const ListPage page = ListOk(ReadFixture("list_domain_id.json"));
  ASSERT_EQ(page.messages.size(), 4u);
  EXPECT_EQ(page.messages[0].sending_domain, 4100);  // only domain_id
  EXPECT_EQ(page.messages[1].sending_domain, 3938);  // both: sending_domain_id wins
  EXPECT_EQ(page.messages[2].sending_domain, 4101);  // sending_domain_id null
  EXPECT_FALSE(page.messages[3].sending_domain.has_value());  // neither
  EXPECT_EQ(page.messages[3].sending_stream, "");             // absent
  EXPECT_FALSE(page.messages[3].category.has_value());
}

TEST(MailtrapParseListPageTest, UnknownAndUnusedFieldsAreIgnored) {
  const ListPage page = ListOk(ReadFixture("list_extra_fields.json"));
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_EQ(page.messages[0].message_id, "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(page.messages[0].sent_at_ms, 1748908800000);  // 6 fraction digits
  EXPECT_EQ(page.messages[0].opens_count, 5);
  EXPECT_EQ(page.messages[0].clicks_count, 3);
  EXPECT_EQ(page.messages[0].category, "support");
}

TEST(MailtrapParseListPageTest, EmptyLastPageKeepsTotal) {
  const ListPage page = ListOk(ReadFixture("list_last_page_empty.json"));
  EXPECT_TRUE(page.messages.empty());
  EXPECT_EQ(page.total_count, 57);
  EXPECT_FALSE(page.next_page_cursor.has_value());
}

TEST(MailtrapParseListPageTest, MissingCursorKeyIsAnError) {
  EXPECT_EQ(ListError(ReadFixture("list_missing_cursor.json")), "next_page_cursor: missing");
}

TEST(MailtrapParseListPageTest, EmptyCursorEndsTheListing) {
  const ListPage page = ListOk(R"({"messages":[],"total_count":0,"next_page_cursor":""})");
  EXPECT_FALSE(page.next_page_cursor.has_value());
}

TEST(MailtrapParseListPageTest, CursorOfWrongTypeIsAnError) {
  EXPECT_EQ(ListError(R"({"messages":[],"total_count":0,"next_page_cursor":5})"),
            "next_page_cursor: expected string, got integer");
}

TEST(MailtrapParseListPageTest, WrongTypeNamesTheMessage) {
  EXPECT_EQ(ListError(ReadFixture("list_wrong_types.json")),
            "messages[1].opens_count: expected integer, got string");
}

TEST(MailtrapParseListPageTest, InvalidSentAtNamesThePath) {
  EXPECT_EQ(ListError(ReadFixture("list_bad_sent_at.json")),
            "messages[0].sent_at: invalid date-time \"2025-02-30T10:15:30Z\": day out of range");
}

TEST(MailtrapParseListPageTest, RequiredMessageFields) {
  EXPECT_EQ(ListError(R"({"messages":[{"status":"delivered","sent_at":"2025-06-01T00:00:00Z"}],)"
                      R"("total_count":1,"next_page_cursor":null})"),
            "messages[0].message_id: missing");
  EXPECT_EQ(ListError(R"({"messages":[{"message_id":"","status":"delivered",)"
                      R"("sent_at":"2025-06-01T00:00:00Z"}],"total_count":1,"next_page_cursor":null})"),
            "messages[0].message_id: expected non-empty string");
  EXPECT_EQ(ListError(R"({"messages":[{"message_id":"m","sent_at":"2025-06-01T00:00:00Z"}],)"
                      R"("total_count":1,"next_page_cursor":null})"),
            "messages[0].status: missing");
  EXPECT_EQ(ListError(R"({"messages":[{"message_id":"m","status":"delivered"}],)"
                      R"("total_count":1,"next_page_cursor":null})"),
            "messages[0].sent_at: missing");
  EXPECT_EQ(ListError(R"({"messages":[{"message_id":"m","status":"delivered","sent_at":1748764800}],)"
                      R"("total_count":1,"next_page_cursor":null})"),
            "messages[0].sent_at: expected string, got integer");
}

TEST(MailtrapParseListPageTest, MessageFieldTypes) {
  EXPECT_EQ(ListError(PageWithMessage(R"(,"category":7)")),
            "messages[0].category: expected string, got integer");
  EXPECT_EQ(ListError(PageWithMessage(R"(,"sending_stream":null,"sending_domain_id":"3938")")),
            "messages[0].sending_domain_id: expected integer, got string");
  EXPECT_EQ(ListError(PageWithMessage(R"(,"domain_id":1.5)")),
            "messages[0].domain_id: expected integer, got float");
  EXPECT_EQ(ListError(PageWithMessage(R"(,"clicks_count":-1)")),
            "messages[0].clicks_count: expected non-negative integer, got -1");
  EXPECT_EQ(ListError(PageWithMessage(R"(,"opens_count":2.5)")),
            "messages[0].opens_count: expected integer, got float");
  EXPECT_EQ(ListError(PageWithMessage(R"(,"sending_stream":["bulk"])")),
            "messages[0].sending_stream: expected string, got array");
  // Unused fields of any type are fine.
  const ListPage page = ListOk(PageWithMessage(R"(,"subject":[1],"to":{},"template_id":"x")"));
  EXPECT_EQ(page.messages.at(0).message_id, "m1");
}

TEST(MailtrapParseListPageTest, TopLevelErrors) {
  EXPECT_EQ(ListError(R"({"total_count":0,"next_page_cursor":null})"), "messages: missing");
  EXPECT_EQ(ListError(R"({"messages":null,"total_count":0,"next_page_cursor":null})"),
            "messages: expected array, got null");
  EXPECT_EQ(ListError(R"({"messages":[],"next_page_cursor":null})"), "total_count: missing");
  EXPECT_EQ(ListError(R"({"messages":[],"total_count":"57","next_page_cursor":null})"),
            "total_count: expected integer, got string");
  EXPECT_EQ(ListError(R"({"messages":[3],"total_count":1,"next_page_cursor":null})"),
            "messages[0]: expected object, got integer");
  EXPECT_EQ(ListError("[]"), "body: expected object, got array");
}

TEST(MailtrapParseListPageTest, SyntaxErrors) {
  EXPECT_EQ(ListError("<html><body>Bad Gateway</body></html>"), "not JSON");
  EXPECT_EQ(ListError(""), "not JSON: empty body");
  const std::string full = ReadFixture("list_page.json");
  EXPECT_EQ(ListError(full.substr(0, 321)), "truncated or invalid JSON at byte 321");
}

// --- Detail ----------------------------------------------------------------

TEST(MailtrapParseMessageDetailTest, EveryEventTypeOfTheSeedSchema) {
  const events::MessageHistory detail = DetailOk(ReadFixture("detail_all_events.json"));
  EXPECT_EQ(detail.message.message_id, "5f0e9d8c-7b6a-4954-8372-61504f3e2d1c");
  EXPECT_EQ(detail.message.status, "not_delivered");
  EXPECT_EQ(detail.message.sent_at_ms, 1748859245000);
  EXPECT_EQ(detail.message.sending_domain, 3939);
  EXPECT_EQ(detail.message.opens_count, 1);

  struct Want {
    events::DeliveryEventType type;
    std::string_view name;
  };
  const std::vector<Want> want = {
      {events::DeliveryEventType::kDelivery, "delivery"},       {events::DeliveryEventType::kOpen, "open"},
      {events::DeliveryEventType::kClick, "click"},             {events::DeliveryEventType::kSoftBounce, "soft_bounce"},
      {events::DeliveryEventType::kBounce, "bounce"},           {events::DeliveryEventType::kBounce, "bounce"},
      {events::DeliveryEventType::kSpam, "spam"},               {events::DeliveryEventType::kUnsubscribe, "unsubscribe"},
      {events::DeliveryEventType::kSuspension, "suspension"},   {events::DeliveryEventType::kReject, "reject"},
      {events::DeliveryEventType::kOther, "forwarded"},
  };
  ASSERT_EQ(detail.events.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(detail.events[i].type, want[i].type);
    EXPECT_EQ(detail.events[i].type_name, want[i].name);
  }
  EXPECT_EQ(detail.events[0].created_at_ms, 1748859246001);
  EXPECT_EQ(detail.events[3].bounce_category, "mailbox_full");
  EXPECT_EQ(detail.events[4].bounce_category, "invalid_recipient");
  EXPECT_FALSE(detail.events[5].bounce_category.has_value());  // null
  EXPECT_FALSE(detail.events[0].bounce_category.has_value());  // not a bounce
  EXPECT_EQ(detail.events[10].created_at_ms, 1748860080000);
}

TEST(MailtrapParseMessageDetailTest, MalformedUnusedDetailsAreIgnored) {
  const events::MessageHistory detail = DetailOk(ReadFixture("detail_details_string.json"));
  EXPECT_EQ(detail.message.sending_domain, 3938);  // via domain_id
  ASSERT_EQ(detail.events.size(), 4u);
  EXPECT_EQ(detail.events[0].type, events::DeliveryEventType::kDelivery);
  EXPECT_EQ(detail.events[1].type, events::DeliveryEventType::kOpen);
  EXPECT_EQ(detail.events[2].type, events::DeliveryEventType::kSoftBounce);
  EXPECT_FALSE(detail.events[2].bounce_category.has_value());  // details absent
  EXPECT_FALSE(detail.events[3].bounce_category.has_value());  // details null
}

TEST(MailtrapParseMessageDetailTest, BounceDetailsMustBeAnObject) {
  EXPECT_EQ(DetailError(ReadFixture("detail_bounce_details_string.json")),
            "events[1].details: expected object, got string");
  EXPECT_EQ(DetailError(DetailWithEvent(R"({"event_type":"soft_bounce",)"
                                        R"("created_at":"2025-06-01T00:00:00Z",)"
                                        R"("details":{"bounce_category":5}})")),
            "events[0].details.bounce_category: expected string, got integer");
}

TEST(MailtrapParseMessageDetailTest, MissingCreatedAtIsAnError) {
  EXPECT_EQ(DetailError(ReadFixture("detail_created_at_missing.json")),
            "events[1].created_at: missing");
}

TEST(MailtrapParseMessageDetailTest, EventFieldErrors) {
  EXPECT_EQ(DetailError(DetailWithEvent(R"({"created_at":"2025-06-01T00:00:00Z"})")),
            "events[0].event_type: missing");
  EXPECT_EQ(DetailError(DetailWithEvent(R"({"event_type":1,"created_at":"2025-06-01T00:00:00Z"})")),
            "events[0].event_type: expected string, got integer");
  EXPECT_EQ(DetailError(DetailWithEvent(R"({"event_type":"open","created_at":"yesterday"})")),
            "events[0].created_at: invalid date-time \"yesterday\": expected YYYY-MM-DD");
  EXPECT_EQ(DetailError(DetailWithEvent(R"("open")")), "events[0]: expected object, got string");
}

TEST(MailtrapParseMessageDetailTest, NullsAndNoEvents) {
  const events::MessageHistory detail = DetailOk(ReadFixture("detail_no_events.json"));
  EXPECT_TRUE(detail.events.empty());
  EXPECT_FALSE(detail.message.category.has_value());
  EXPECT_FALSE(detail.message.sending_domain.has_value());
  EXPECT_EQ(detail.message.sent_at_ms, 1748859239500);
  const events::MessageHistory absent = DetailOk(
      R"({"message_id":"m","status":"enqueued","sent_at":"2025-06-01T00:00:00Z"})");
  EXPECT_TRUE(absent.events.empty());
}

TEST(MailtrapParseMessageDetailTest, MessageFieldErrorsUseTopLevelPaths) {
  EXPECT_EQ(DetailError(R"({"status":"delivered","sent_at":"2025-06-01T00:00:00Z"})"),
            "message_id: missing");
  EXPECT_EQ(DetailError(R"({"message_id":"m","status":"delivered","sent_at":"2025-06-01T00:00:00Z",)"
                        R"("events":{}})"),
            "events: expected array, got object");
  EXPECT_EQ(DetailError("[]"), "body: expected object, got array");
}

// --- Sending domains -------------------------------------------------------

TEST(MailtrapParseSendingDomainsTest, DataWrapper) {
  auto domains = ParseSendingDomains(ReadFixture("sending_domains_data.json"));
  ASSERT_TRUE(domains.has_value()) << domains.error();
  ASSERT_EQ(domains->size(), 2u);
  EXPECT_EQ((*domains)[0].id, 3938);
  EXPECT_EQ((*domains)[0].name, "shop.example");
  EXPECT_EQ((*domains)[1].id, 3939);
  EXPECT_EQ((*domains)[1].name, "news.shop.example");
}

TEST(MailtrapParseSendingDomainsTest, BareArrayAndNameFallback) {
  auto domains = ParseSendingDomains(ReadFixture("sending_domains_bare.json"));
  ASSERT_TRUE(domains.has_value()) << domains.error();
  ASSERT_EQ(domains->size(), 3u);
  EXPECT_EQ((*domains)[0].name, "shop.example");       // `name`
  EXPECT_EQ((*domains)[1].name, "news.shop.example");  // `domain_name` wins
  EXPECT_EQ((*domains)[2].name, "legacy.example");     // `domain_name` null
  EXPECT_EQ((*domains)[2].id, 4100);
}

// Health fields are read where they have their documented type; a missing
// or mistyped one is left empty, never an error that would cost the names.
TEST(MailtrapParseSendingDomainsTest, HealthFieldsAreReadLeniently) {
  auto domains = ParseSendingDomains(R"({"data": [
    {"id": 1, "domain_name": "a.example", "dns_verified": true, "compliance_status": "compliant",
     "open_tracking_enabled": false, "click_tracking_enabled": true, "dns_records": [{"status": "pass"}]},
    {"id": 2, "domain_name": "b.example", "dns_verified": "yes", "compliance_status": 3, "open_tracking_enabled": null}]})");
  ASSERT_TRUE(domains.has_value()) << domains.error();
  ASSERT_EQ(domains->size(), 2u);
  EXPECT_EQ((*domains)[0].dns_verified, true);
  EXPECT_EQ((*domains)[0].compliance_status, "compliant");
  EXPECT_EQ((*domains)[0].open_tracking_enabled, false);
  EXPECT_EQ((*domains)[0].click_tracking_enabled, true);
  EXPECT_EQ((*domains)[1].name, "b.example");
  EXPECT_FALSE((*domains)[1].dns_verified.has_value());
  EXPECT_FALSE((*domains)[1].compliance_status.has_value());
  EXPECT_FALSE((*domains)[1].open_tracking_enabled.has_value());
  EXPECT_FALSE((*domains)[1].click_tracking_enabled.has_value());
}

TEST(MailtrapParseMessageDetailTest, MailboxProviderOfDeliveriesAndBounces) {
  auto detail = ParseMessageDetail(R"({"message_id": "m", "status": "delivered", "sent_at": "2026-01-01T00:00:00Z",
    "sending_stream": "bulk", "sending_domain_id": 1, "opens_count": 0, "clicks_count": 0, "events": [
      {"event_type": "soft_bounce", "created_at": "2026-01-01T00:00:01Z", "details": {"email_service_provider": "Yahoo", "bounce_category": "x"}},
      {"event_type": "delivery", "created_at": "2026-01-01T00:00:02Z", "details": {"email_service_provider": "Google"}},
      {"event_type": "open", "created_at": "2026-01-01T00:00:03Z", "details": {"email_service_provider": "Outlook"}},
      {"event_type": "bounce", "created_at": "2026-01-01T00:00:04Z", "details": {"email_service_provider": 7}}]})");
  ASSERT_TRUE(detail.has_value()) << detail.error();
  ASSERT_EQ(detail->events.size(), 4u);
  EXPECT_EQ(detail->events[0].mailbox_provider, "Yahoo");
  EXPECT_EQ(detail->events[1].mailbox_provider, "Google");
  EXPECT_FALSE(detail->events[2].mailbox_provider.has_value()) << "opens name no provider";
  EXPECT_FALSE(detail->events[3].mailbox_provider.has_value()) << "not a string: none, and no error";
  EXPECT_EQ(events::NamedMailboxProvider(*detail), "Google");
}

TEST(MailtrapParseSendingDomainsTest, Errors) {
  auto error_of = [](std::string_view body) {
    auto domains = ParseSendingDomains(body);
    EXPECT_FALSE(domains.has_value());
    return domains.has_value() ? std::string() : domains.error().message;
  };
  EXPECT_EQ(error_of(R"([{"id":1}])"), "[0].domain_name: missing");
  EXPECT_EQ(error_of(R"({"data":[{"id":"1","name":"a"}]})"),
            "data[0].id: expected integer, got string");
  EXPECT_EQ(error_of(R"({"data":[{"id":1,"domain_name":null}]})"),
            "data[0].domain_name: expected string, got null");
  EXPECT_EQ(error_of(R"({"domains":[]})"), "data: missing");
  EXPECT_EQ(error_of(R"("shop.example")"), "body: expected object or array, got string");
  EXPECT_EQ(error_of("{"), "truncated or invalid JSON at byte 1");
  auto empty = ParseSendingDomains(R"({"data":[]})");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

// --- Error bodies ----------------------------------------------------------

TEST(MailtrapParseErrorMessageTest, KnownShapes) {
  EXPECT_EQ(ParseErrorMessage(R"({"error":"Incorrect API token"})"), "Incorrect API token");
  EXPECT_EQ(ParseErrorMessage(R"({"errors":"Rate limit exceeded"})"), "Rate limit exceeded");
  EXPECT_EQ(ParseErrorMessage(R"({"errors":["From is invalid","Subject is missing"]})"),
            "From is invalid; Subject is missing");
  EXPECT_EQ(ParseErrorMessage(R"({"errors":["a",7,null,"b"]})"), "a; b");
  EXPECT_EQ(ParseErrorMessage(R"({"message":"Not Found"})"), "Not Found");
  EXPECT_EQ(ParseErrorMessage(R"({"error":"first","message":"second"})"), "first");
}

TEST(MailtrapParseErrorMessageTest, EmptyWhenAbsentOrNotJson) {
  EXPECT_EQ(ParseErrorMessage(""), "");
  EXPECT_EQ(ParseErrorMessage("Bad Request"), "");
  EXPECT_EQ(ParseErrorMessage(R"({"status":400})"), "");
  EXPECT_EQ(ParseErrorMessage(R"({"errors":[]})"), "");
}

TEST(MailtrapParseErrorMessageTest, CutsAt200BytesWithoutSplittingUtf8) {
  // 198 bytes, then a 4-byte emoji that straddles byte 200.
  const std::string text = std::string(198, 'a') + "\xF0\x9F\x98\x80" + "tail";
  EXPECT_EQ(ParseErrorMessage(R"({"errors":")" + text + R"("})"), std::string(198, 'a'));
  const std::string fits = std::string(196, 'a') + "\xF0\x9F\x98\x80" + "tail";
  EXPECT_EQ(ParseErrorMessage(R"({"errors":")" + fits + R"("})"),
            std::string(196, 'a') + "\xF0\x9F\x98\x80");
}

// --- ISO-8601 --------------------------------------------------------------

TEST(MailtrapIso8601Test, ParsesKnownInstants) {
  EXPECT_EQ(Iso("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Iso("2025-06-02T10:15:30.123Z"), 1748859330123);
  EXPECT_EQ(Iso("2026-04-23T08:46:13.950Z"), 1776933973950);  // JetEmail seed's own pair
  EXPECT_EQ(Iso("9999-12-31T23:59:59.999Z"), 253402300799999);
}

TEST(MailtrapIso8601Test, LeapDays) {
  EXPECT_EQ(Iso("2024-02-29T23:59:59.999Z"), 1709251199999);
  EXPECT_EQ(Iso("2000-02-29T00:00:00Z"), 951782400000);  // divisible by 400
  EXPECT_EQ(IsoError("1900-02-29T00:00:00Z"),
            "invalid date-time \"1900-02-29T00:00:00Z\": day out of range");  // by 100
  EXPECT_EQ(IsoError("2025-02-29T00:00:00Z"),
            "invalid date-time \"2025-02-29T00:00:00Z\": day out of range");
  EXPECT_EQ(Iso("2024-03-01T00:00:00Z") - Iso("2024-02-28T00:00:00Z"), 2 * 86'400'000);
}

TEST(MailtrapIso8601Test, Offsets) {
  EXPECT_EQ(Iso("2025-06-02T12:14:05+02:00"), Iso("2025-06-02T10:14:05Z"));
  EXPECT_EQ(Iso("2025-06-01T19:44:05-14:30"), Iso("2025-06-02T10:14:05Z"));
  EXPECT_EQ(Iso("2025-06-02T10:14:05-00:00"), Iso("2025-06-02T10:14:05Z"));
  EXPECT_EQ(Iso("1970-01-01T00:00:00+01:00"), -3'600'000);
}

TEST(MailtrapIso8601Test, FractionsAreTruncatedToMilliseconds) {
  EXPECT_EQ(Iso("2025-06-02T10:15:30.1Z") % 1000, 100);
  EXPECT_EQ(Iso("2025-06-02T10:15:30.12Z") % 1000, 120);
  EXPECT_EQ(Iso("2025-06-02T10:15:30.999999999Z") % 1000, 999);  // not rounded up
  EXPECT_EQ(Iso("2025-06-02T10:15:30.000999999Z") % 1000, 0);
  EXPECT_THAT(IsoError("2025-06-02T10:15:30.1234567890Z"), HasSubstr("longer than 9 digits"));
  EXPECT_THAT(IsoError("2025-06-02T10:15:30.Z"), HasSubstr("expected digits after '.'"));
}

TEST(MailtrapIso8601Test, AcceptedSpellings) {
  const std::int64_t want = Iso("2025-06-02T10:15:30Z");
  EXPECT_EQ(Iso("2025-06-02t10:15:30z"), want);
  EXPECT_EQ(Iso("2025-06-02 10:15:30Z"), want);
  EXPECT_EQ(Iso("2016-12-31T23:59:60Z"), Iso("2017-01-01T00:00:00Z"));  // leap second
}

TEST(MailtrapIso8601Test, RejectsInvalid) {
  EXPECT_THAT(IsoError("2025-02-30T00:00:00Z"), HasSubstr("day out of range"));
  EXPECT_THAT(IsoError("2025-04-31T00:00:00Z"), HasSubstr("day out of range"));
  EXPECT_THAT(IsoError("2025-13-01T00:00:00Z"), HasSubstr("month out of range"));
  EXPECT_THAT(IsoError("2025-00-01T00:00:00Z"), HasSubstr("month out of range"));
  EXPECT_THAT(IsoError("2025-01-00T00:00:00Z"), HasSubstr("day out of range"));
  EXPECT_THAT(IsoError("2025-01-01T24:00:00Z"), HasSubstr("hour out of range"));
  EXPECT_THAT(IsoError("2025-01-01T23:60:00Z"), HasSubstr("minute out of range"));
  EXPECT_THAT(IsoError("2025-01-01T23:59:61Z"), HasSubstr("second out of range"));
  EXPECT_THAT(IsoError("2025-01-01T00:00:00"), HasSubstr("expected 'Z' or a +HH:MM offset"));
  EXPECT_THAT(IsoError("2025-01-01T00:00:00+0200"), HasSubstr("expected a +HH:MM offset"));
  EXPECT_THAT(IsoError("2025-01-01T00:00:00+24:00"), HasSubstr("offset out of range"));
  EXPECT_THAT(IsoError("2025-01-01T00:00:00ZZ"), HasSubstr("after the time zone"));
  EXPECT_THAT(IsoError("2025-01-01"), HasSubstr("expected 'T' after the date"));
  EXPECT_THAT(IsoError("2025-1-01T00:00:00Z"), HasSubstr("expected YYYY-MM-DD"));
  EXPECT_THAT(IsoError("2025-01-01T0:00:00Z"), HasSubstr("expected HH:MM:SS"));
  EXPECT_THAT(IsoError(""), HasSubstr("expected YYYY-MM-DD"));
  EXPECT_THAT(IsoError("+2025-01-01T00:00:00Z"), HasSubstr("expected YYYY-MM-DD"));
}

TEST(MailtrapIso8601Test, ErrorQuotesAtMost40Bytes) {
  const std::string long_text = "2025-01-01T00:00:00Z" + std::string(100, 'x');
  EXPECT_EQ(IsoError(long_text), "invalid date-time \"" + long_text.substr(0, 40) +
                                     "\": unexpected characters after the time zone");
}

TEST(MailtrapIso8601Test, NegativeTimes) {
  EXPECT_EQ(Iso("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(Iso("1969-07-20T20:17:40Z"), -14182940000);
  EXPECT_EQ(Iso("1900-01-01T00:00:00Z"), -2208988800000);
  EXPECT_EQ(Iso("0001-01-01T00:00:00Z"), -62135596800000);
  EXPECT_EQ(Iso("0000-02-29T00:00:00Z"), -62162121600000);  // year 0 is a leap year
}

TEST(MailtrapIso8601Test, FormatKnownInstants) {
  EXPECT_EQ(FormatIso8601Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(1776933973950), "2026-04-23T08:46:13.950Z");
  EXPECT_EQ(FormatIso8601Ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Ms(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(FormatIso8601Ms(-1001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(FormatIso8601Ms(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(MailtrapIso8601Test, FormatSurvivesInt64Extremes) {
  // Not parseable (years beyond 9999), but must not overflow or crash.
  EXPECT_THAT(FormatIso8601Ms(std::numeric_limits<std::int64_t>::max()), HasSubstr(".807Z"));
  EXPECT_THAT(FormatIso8601Ms(std::numeric_limits<std::int64_t>::min()), HasSubstr(".192Z"));
}

TEST(MailtrapIso8601Test, RoundTrips) {
  const std::int64_t samples[] = {
      0, 1, -1, 999, -999, 1000, 1709251199999, 1709164800000,  // 2024-02-29
      951868799999,  // 2000-02-29T23:59:59.999Z
      -2208988800000, -62135596800000, -62167219200000,  // 0000-01-01
      253402300799999, 1748859330123, 4107542400000,  // 2100-03-01
  };
  for (const std::int64_t ms : samples) {
    const std::string text = FormatIso8601Ms(ms);
    EXPECT_EQ(Iso(text), ms) << text;
  }
  // Every day across four years including two leap days, at a varying time.
  for (std::int64_t day = -800; day < 800; ++day) {
    const std::int64_t ms = day * 86'400'000 + (day * 7'777'777 % 86'400'000 + 86'400'000) % 86'400'000;
    ASSERT_EQ(Iso(FormatIso8601Ms(ms)), ms) << FormatIso8601Ms(ms);
  }
}

TEST(MailtrapIso8601Test, TextRoundTrips) {
  for (std::string_view text : {"2024-02-29T12:00:00.000Z", "1969-12-31T23:59:59.999Z",
                                "0000-01-01T00:00:00.000Z", "2038-01-19T03:14:08.001Z"}) {
    EXPECT_EQ(FormatIso8601Ms(Iso(text)), text);
  }
  EXPECT_EQ(FormatIso8601Ms(Iso("2025-06-02T12:14:05.5+02:00")), "2025-06-02T10:14:05.500Z");
}

TEST(MailtrapEventTypeNameTest, NamesMatchTheWire) {
  EXPECT_EQ(events::DeliveryEventTypeName(events::DeliveryEventType::kDelivery), "delivery");
  EXPECT_EQ(events::DeliveryEventTypeName(events::DeliveryEventType::kSoftBounce), "soft_bounce");
  EXPECT_EQ(events::DeliveryEventTypeName(events::DeliveryEventType::kSuspension), "suspension");
  EXPECT_EQ(events::DeliveryEventTypeName(events::DeliveryEventType::kReject), "reject");
  EXPECT_EQ(events::DeliveryEventTypeName(events::DeliveryEventType::kOther), "other");
}

}  // namespace
}  // namespace ele::mailtrap

namespace ele::mailtrap {
namespace {

// The simdjson fast path must give exactly what the reference parser gives,
// on well-formed pages (where it answers) and on everything it hands over.
TEST(MailtrapFastPathTest, AgreesWithTheReferenceOnEveryFixtureAndVariation) {
  std::vector<std::string> bodies;
  for (const char* name : {"list_page.json", "list_nulls.json", "list_domain_id.json", "list_extra_fields.json",
                           "list_last_page_empty.json", "list_missing_cursor.json", "list_wrong_types.json", "list_bad_sent_at.json"}) {
    bodies.push_back(ReadFixture(name));
  }
  const std::string message = R"({"message_id":"m1","status":"Delivered","sent_at":"2025-06-01T00:00:00.123+02:00")";
  for (const char* extra : {"", R"(,"sending_domain_id":5,"domain_id":6)", R"(,"sending_domain_id":null,"domain_id":6)",
                            R"(,"category":null,"sending_stream":null,"opens_count":null)", R"(,"message_id":"dup")",
                            R"(,"opens_count":18446744073709551615)", R"(,"clicks_count":3,"custom_variables":{"a":[1,{"b":null}]})"}) {
    for (const char* cursor : {"null", R"("")", R"("m1")"}) {
      bodies.push_back(std::string(R"({"messages":[)") + message + extra + R"(}],"total_count":1,"next_page_cursor":)" + cursor + "}");
    }
  }
  bodies.push_back(R"({"messages":[],"total_count":3,"next_page_cursor":null,"total_count":4})");
  bodies.push_back("\xEF\xBB\xBF" R"({"messages":[],"total_count":0,"next_page_cursor":null})");
  bodies.push_back(R"({"messages":[],"total_count":0,"next_page_cursor":null)");
  for (const std::string& body : bodies) {
    EXPECT_EQ(ParseListPage(body), ParseListPageReference(body)) << body;
  }
}

}  // namespace
}  // namespace ele::mailtrap
