#include "exporter/providers/mailtrap/mailtrap_wire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <expected>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "exporter/providers/fast_json.h"
#include "exporter/providers/json_reader.h"
#include "exporter/providers/mailtrap/mailtrap_time.h"

namespace ele::mailtrap {
namespace {

using namespace json_reader;  // Json, Status, Path, Fields, the converters

// ---------------------------------------------------------------------------
// Mailtrap records.
// ---------------------------------------------------------------------------

Status ToTimestamp(const Json& value, std::int64_t& out) {
  std::string text;
  if (auto status = ToString(value, text); !status) return status;
  auto ms = ParseIso8601Ms(text);
  if (!ms) return std::unexpected(std::move(ms.error()));
  out = *ms;
  return {};
}

bool HasValue(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

// Newer API documents rename `sending_domain_id` to `domain_id`; the SDKs
// still send the old name, which wins when both carry a value.
void ReadSendingDomainId(Fields& fields, events::OutboundSighting& out) {
  fields.Nullable("sending_domain_id", ToInt, out.sending_domain);
  if (!out.sending_domain) fields.Nullable("domain_id", ToInt, out.sending_domain);
}

void ReadMessageFields(Fields& fields, events::OutboundSighting& out) {
  fields.Required("message_id", ToId, out.message_id)
      .Required("status", ToString, out.status)
      .Required("sent_at", ToTimestamp, out.sent_at_ms)
      .Optional("sending_stream", ToString, out.sending_stream)
      .Nullable("category", ToString, out.category)
      .Optional("opens_count", ToCount, out.opens_count)
      .Optional("clicks_count", ToCount, out.clicks_count);
  ReadSendingDomainId(fields, out);
}

Status ReadMessage(const Json& json, const Path& path, events::OutboundSighting& out) {
  Fields fields(json, path);
  ReadMessageFields(fields, out);
  return fields.Take();
}

// `key` of `json` when it is a string; else none. For fields whose absence
// or change of type must not reject what carries them.
std::optional<std::string> LenientString(const Json& json, std::string_view key) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<bool> LenientBool(const Json& json, std::string_view key) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

// Only the details of deliveries and bounces are used; other events'
// details are not validated, so a change in, say, click details cannot
// reject a whole message. The mailbox provider is read leniently: its value
// set is not documented.
void ReadEventDetails(const Json& json, const Path& path, Fields& fields, events::DeliveryEvent& out) {
  const bool bounce = out.type == events::DeliveryEventType::kBounce || out.type == events::DeliveryEventType::kSoftBounce;
  if (!bounce && out.type != events::DeliveryEventType::kDelivery) return;
  auto it = json.find("details");
  if (it != json.end() && it->is_object()) out.mailbox_provider = LenientString(*it, "email_service_provider");
  if (!bounce) return;
  if (it == json.end() || it->is_null()) return;
  if (!it->is_object()) {
    fields.Merge(Fail(path.Member("details"), Expected("object", *it).error().message));
    return;
  }
  const Path details_path = path.Member("details");
  Fields details(*it, details_path);
  details.Nullable("bounce_category", ToString, out.bounce_category);
  fields.Merge(details.Take());
}

Status ReadEvent(const Json& json, const Path& path, events::DeliveryEvent& out) {
  Fields fields(json, path);
  fields.Required("event_type", ToString, out.type_name)
      .Required("created_at", ToTimestamp, out.created_at_ms);
  if (!fields.ok()) return fields.Take();
  out.type = events::DeliveryEventTypeFromName(out.type_name);
  ReadEventDetails(json, path, fields, out);
  return fields.Take();
}

Status ReadListPage(const Json& doc, ListPage& out) {
  const Path root;
  if (!doc.is_object()) return Fail(root, Expected("object", doc).error().message);
  Fields fields(doc, root);
  if (const Json* messages = fields.RequiredArray("messages")) {
    fields.Merge(ReadArray(*messages, root.Member("messages"), ReadMessage, out.messages));
  }
  fields.Required("total_count", ToInt, out.total_count)
      .RequiredNullable("next_page_cursor", ToString, out.next_page_cursor);
  // The cursor goes back as `search_after`; an empty one names no message and
  // could restart from the first page forever, so it ends the listing.
  if (out.next_page_cursor && out.next_page_cursor->empty()) out.next_page_cursor.reset();
  return fields.Take();
}

Status ReadMessageDetail(const Json& doc, events::MessageHistory& out) {
  const Path root;
  if (!doc.is_object()) return Fail(root, Expected("object", doc).error().message);
  Fields fields(doc, root);
  ReadMessageFields(fields, out.message);
  if (const Json* events = fields.OptionalArray("events")) {
    fields.Merge(ReadArray(*events, root.Member("events"), ReadEvent, out.events));
  }
  return fields.Take();
}

Status ReadSendingDomain(const Json& json, const Path& path, SendingDomain& out) {
  // Older documents call the name `name`; `domain_name` wins when both are set.
  const std::string_view name_key =
      HasValue(json, "domain_name") || !HasValue(json, "name") ? "domain_name" : "name";
  Fields fields(json, path);
  fields.Required("id", ToInt, out.id).Required(name_key, ToString, out.name);
  if (!fields.ok()) return fields.Take();
  out.dns_verified = LenientBool(json, "dns_verified");
  out.compliance_status = LenientString(json, "compliance_status");
  out.open_tracking_enabled = LenientBool(json, "open_tracking_enabled");
  out.click_tracking_enabled = LenientBool(json, "click_tracking_enabled");
  return fields.Take();
}

Status ReadSendingDomains(const Json& doc, std::vector<SendingDomain>& out) {
  const Path root;
  if (doc.is_array()) return ReadArray(doc, root, ReadSendingDomain, out);
  if (!doc.is_object()) return Fail(root, Expected("object or array", doc).error().message);
  Fields fields(doc, root);
  if (const Json* data = fields.RequiredArray("data")) {
    fields.Merge(ReadArray(*data, root.Member("data"), ReadSendingDomain, out));
  }
  return fields.Take();
}

// Runs `read` on the parsed body, turning every failure, thrown or returned,
// into the error side of the result.
template <typename T, typename Read>
Result<T> ParseWith(std::string_view body, Read read) {
  try {
    auto doc = ParseJson(body);
    if (!doc) return std::unexpected(std::move(doc.error()));
    T value{};
    if (auto status = read(*doc, value); !status) return std::unexpected(std::move(status.error()));
    return value;
  } catch (const std::exception& e) {
    // nlohmann or the allocator; the contract is to report, never to throw.
    return ele::Fail(std::string("internal parser error: ") + e.what());
  }
}

// Fast path of the list page (fast_json.h): nlohmann's DOM makes about
// 170,000 messages a second out of a 1,000-message page; this reads the same
// page several times faster, and hands anything unusual to ReadListPage.
namespace fast {

using fast_json::element;

bool ReadMessage(element e, events::OutboundSighting& out) {
  fast_json::object obj;
  if (e.get(obj)) return false;
  enum { kId, kStatus, kSentAt, kStream, kCategory, kOpens, kClicks, kSendingDomainId, kDomainId };
  fast_json::Seen seen;
  std::optional<std::int64_t> domain_id;
  for (auto field : obj) {
    const std::string_view key = field.key;
    const element value = field.value;
    bool ok = true;
    if (key == "message_id") {
      ok = seen.First(kId) && fast_json::Id(value, out.message_id);
    } else if (key == "status") {
      ok = seen.First(kStatus) && fast_json::String(value, out.status);
    } else if (key == "sent_at") {
      std::string_view text;
      ok = seen.First(kSentAt) && !value.get(text);
      if (ok) {
        const auto ms = ParseIso8601Ms(text);
        ok = ms.has_value();
        if (ok) out.sent_at_ms = *ms;
      }
    } else if (key == "sending_stream") {
      ok = seen.First(kStream) && (value.is_null() || fast_json::String(value, out.sending_stream));
    } else if (key == "category") {
      ok = seen.First(kCategory);
      if (ok && !value.is_null()) ok = fast_json::String(value, out.category.emplace());
    } else if (key == "opens_count") {
      ok = seen.First(kOpens) && (value.is_null() || fast_json::Count(value, out.opens_count));
    } else if (key == "clicks_count") {
      ok = seen.First(kClicks) && (value.is_null() || fast_json::Count(value, out.clicks_count));
    } else if (key == "sending_domain_id") {
      ok = seen.First(kSendingDomainId);
      if (ok && !value.is_null()) ok = fast_json::Int(value, out.sending_domain.emplace());
    } else if (key == "domain_id") {
      ok = seen.First(kDomainId);
      if (ok && !value.is_null()) ok = fast_json::Int(value, domain_id.emplace());
    }
    if (!ok) return false;
  }
  if (!out.sending_domain) out.sending_domain = domain_id;  // the SDKs' name wins
  return seen.Has(1u << kId | 1u << kStatus | 1u << kSentAt);
}

std::optional<ListPage> ParseListPage(std::string_view body) {
  element root;
  fast_json::object obj;
  if (!fast_json::ParseRoot(body, root) || root.get(obj)) return std::nullopt;
  enum { kMessages, kTotalCount, kCursor };
  fast_json::Seen seen;
  ListPage page;
  for (auto field : obj) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "messages") {
      ok = seen.First(kMessages) && fast_json::ReadArray(field.value, ReadMessage, page.messages);
    } else if (key == "total_count") {
      ok = seen.First(kTotalCount) && fast_json::Int(field.value, page.total_count);
    } else if (key == "next_page_cursor") {
      ok = seen.First(kCursor);
      if (ok && !field.value.is_null()) ok = fast_json::String(field.value, page.next_page_cursor.emplace());
    }
    if (!ok) return std::nullopt;
  }
  if (!seen.Has(1u << kMessages | 1u << kTotalCount | 1u << kCursor)) return std::nullopt;
  if (page.next_page_cursor && page.next_page_cursor->empty()) page.next_page_cursor.reset();  // as ReadListPage
  return page;
}

}  // namespace fast

}  // namespace

Result<ListPage> ParseListPageReference(std::string_view body) {
  return ParseWith<ListPage>(body, ReadListPage);
}

Result<ListPage> ParseListPage(std::string_view body) {
  try {
    if (auto page = fast::ParseListPage(body)) return std::move(*page);
  } catch (const std::exception&) {
    // Allocation failure in the fast path: the reference path reports it.
  }
  return ParseListPageReference(body);
}

Result<events::MessageHistory> ParseMessageDetail(std::string_view body) {
  return ParseWith<events::MessageHistory>(body, ReadMessageDetail);
}

Result<std::vector<SendingDomain>> ParseSendingDomains(std::string_view body) {
  return ParseWith<std::vector<SendingDomain>>(body, ReadSendingDomains);
}

std::string ParseErrorMessage(std::string_view body) { return ErrorMessageOfBody(body); }

}  // namespace ele::mailtrap
