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

#include "exporter/providers/json_reader.h"

#include "exporter/providers/fast_json.h"

namespace ele::mailtrap {
namespace {

using namespace json_reader;  // Json, Status, Path, Fields, the converters

// ---------------------------------------------------------------------------
// ISO-8601 date-times. Own arithmetic rather than timegm: no locale, no TZ
// environment, and the same result on every libc.
// ---------------------------------------------------------------------------

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::size_t kMaxQuotedBytes = 40;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil); exact for every int64 year this code can produce.
std::int64_t DaysFromCivil(std::int64_t year, std::int64_t month, std::int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
};

// Inverse of DaysFromCivil.
CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;  // March is 0
  const std::int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month,
          day_of_year - (153 * shifted_month + 2) / 5 + 1};
}

bool IsLeapYear(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

std::int64_t DaysInMonth(std::int64_t year, std::int64_t month) {
  constexpr std::array<std::int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[static_cast<std::size_t>(month - 1)];
}

struct DateTime {
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
  std::int64_t hour = 0;
  std::int64_t minute = 0;
  std::int64_t second = 0;
  std::int64_t millis = 0;
  std::int64_t offset_minutes = 0;  // local time minus UTC
};

// Reads fixed-width fields left to right.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool Digits(std::size_t count, std::int64_t& out) {
    if (text_.size() - pos_ < count) return false;
    std::int64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    out = value;
    return true;
  }

  // Consumes the next character if it is one of `chars`.
  bool Take(std::string_view chars, char* taken = nullptr) {
    if (pos_ >= text_.size() || chars.find(text_[pos_]) == std::string_view::npos) return false;
    if (taken != nullptr) *taken = text_[pos_];
    ++pos_;
    return true;
  }

  // Consumes a run of digits, returning how many there were.
  std::size_t DigitRun(std::string_view& run) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    run = text_.substr(start, pos_ - start);
    return run.size();
  }

  bool AtEnd() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Keeps the first three fraction digits: milliseconds, truncated.
std::string_view ScanFraction(Scanner& scan, std::int64_t& millis) {
  millis = 0;
  if (!scan.Take(".")) return {};
  std::string_view digits;
  const std::size_t count = scan.DigitRun(digits);
  if (count == 0) return "expected digits after '.'";
  if (count > 9) return "fraction longer than 9 digits";
  for (std::size_t i = 0; i < 3; ++i) {
    millis = millis * 10 + (i < count ? digits[i] - '0' : 0);
  }
  return {};
}

std::string_view ScanZone(Scanner& scan, std::int64_t& offset_minutes) {
  offset_minutes = 0;
  if (scan.Take("Zz")) return {};
  char sign = 0;
  if (!scan.Take("+-", &sign)) return "expected 'Z' or a +HH:MM offset";
  std::int64_t hours = 0;
  std::int64_t minutes = 0;
  if (!scan.Digits(2, hours) || !scan.Take(":") || !scan.Digits(2, minutes)) {
    return "expected a +HH:MM offset";
  }
  if (hours > 23 || minutes > 59) return "offset out of range";
  offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
  return {};
}

// Returns the reason `text` is malformed, or an empty view.
std::string_view ScanDateTime(std::string_view text, DateTime& out) {
  Scanner scan(text);
  if (!scan.Digits(4, out.year) || !scan.Take("-") || !scan.Digits(2, out.month) ||
      !scan.Take("-") || !scan.Digits(2, out.day)) {
    return "expected YYYY-MM-DD";
  }
  if (!scan.Take("Tt ")) return "expected 'T' after the date";
  if (!scan.Digits(2, out.hour) || !scan.Take(":") || !scan.Digits(2, out.minute) ||
      !scan.Take(":") || !scan.Digits(2, out.second)) {
    return "expected HH:MM:SS";
  }
  if (auto why = ScanFraction(scan, out.millis); !why.empty()) return why;
  if (auto why = ScanZone(scan, out.offset_minutes); !why.empty()) return why;
  if (!scan.AtEnd()) return "unexpected characters after the time zone";
  return {};
}

std::string_view CheckRanges(const DateTime& t) {
  if (t.month < 1 || t.month > 12) return "month out of range";
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) return "day out of range";
  if (t.hour > 23) return "hour out of range";
  if (t.minute > 59) return "minute out of range";
  // 60 is a leap second; it reads as the next minute's first second.
  if (t.second > 60) return "second out of range";
  return {};
}

std::int64_t ToUnixMs(const DateTime& t) {
  const std::int64_t seconds_of_day = t.hour * 3600 + t.minute * 60 + t.second;
  return DaysFromCivil(t.year, t.month, t.day) * kMsPerDay + seconds_of_day * kMsPerSecond +
         t.millis - t.offset_minutes * 60 * kMsPerSecond;
}

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
void ReadSendingDomainId(Fields& fields, Message& out) {
  fields.Nullable("sending_domain_id", ToInt, out.sending_domain);
  if (!out.sending_domain) fields.Nullable("domain_id", ToInt, out.sending_domain);
}

void ReadMessageFields(Fields& fields, Message& out) {
  fields.Required("message_id", ToId, out.message_id)
      .Required("status", ToString, out.status)
      .Required("sent_at", ToTimestamp, out.sent_at_ms)
      .Optional("sending_stream", ToString, out.sending_stream)
      .Nullable("category", ToString, out.category)
      .Optional("opens_count", ToCount, out.opens_count)
      .Optional("clicks_count", ToCount, out.clicks_count);
  ReadSendingDomainId(fields, out);
}

Status ReadMessage(const Json& json, const Path& path, Message& out) {
  Fields fields(json, path);
  ReadMessageFields(fields, out);
  return fields.Take();
}

constexpr std::array<std::pair<std::string_view, EventType>, 9> kEventTypes = {{
    {"delivery", EventType::kDelivery},
    {"open", EventType::kOpen},
    {"click", EventType::kClick},
    {"soft_bounce", EventType::kSoftBounce},
    {"bounce", EventType::kBounce},
    {"spam", EventType::kSpam},
    {"unsubscribe", EventType::kUnsubscribe},
    {"suspension", EventType::kSuspension},
    {"reject", EventType::kReject},
}};

EventType EventTypeFromName(std::string_view name) {
  for (const auto& [type_name, type] : kEventTypes) {
    if (type_name == name) return type;
  }
  return EventType::kOther;
}

// Only bounces' details are used; other events' details are not validated,
// so a change in, say, click details cannot reject a whole message.
void ReadBounceCategory(const Json& json, const Path& path, Fields& fields, Event& out) {
  if (out.type != EventType::kBounce && out.type != EventType::kSoftBounce) return;
  auto it = json.find("details");
  if (it == json.end() || it->is_null()) return;
  if (!it->is_object()) {
    fields.Merge(Fail(path.Member("details"), Expected("object", *it).error()));
    return;
  }
  const Path details_path = path.Member("details");
  Fields details(*it, details_path);
  details.Nullable("bounce_category", ToString, out.bounce_category);
  fields.Merge(details.Take());
}

Status ReadEvent(const Json& json, const Path& path, Event& out) {
  Fields fields(json, path);
  fields.Required("event_type", ToString, out.type_name)
      .Required("created_at", ToTimestamp, out.created_at_ms);
  if (!fields.ok()) return fields.Take();
  out.type = EventTypeFromName(out.type_name);
  ReadBounceCategory(json, path, fields, out);
  return fields.Take();
}

Status ReadListPage(const Json& doc, ListPage& out) {
  const Path root;
  if (!doc.is_object()) return Fail(root, Expected("object", doc).error());
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

Status ReadMessageDetail(const Json& doc, MessageDetail& out) {
  const Path root;
  if (!doc.is_object()) return Fail(root, Expected("object", doc).error());
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
  return fields.Take();
}

Status ReadSendingDomains(const Json& doc, std::vector<SendingDomain>& out) {
  const Path root;
  if (doc.is_array()) return ReadArray(doc, root, ReadSendingDomain, out);
  if (!doc.is_object()) return Fail(root, Expected("object or array", doc).error());
  Fields fields(doc, root);
  if (const Json* data = fields.RequiredArray("data")) {
    fields.Merge(ReadArray(*data, root.Member("data"), ReadSendingDomain, out));
  }
  return fields.Take();
}

// Runs `read` on the parsed body, turning every failure, thrown or returned,
// into the error side of the result.
template <typename T, typename Read>
std::expected<T, std::string> ParseWith(std::string_view body, Read read) {
  try {
    auto doc = ParseJson(body);
    if (!doc) return std::unexpected(std::move(doc.error()));
    T value{};
    if (auto status = read(*doc, value); !status) return std::unexpected(std::move(status.error()));
    return value;
  } catch (const std::exception& e) {
    // nlohmann or the allocator; the contract is to report, never to throw.
    return std::unexpected(std::string("internal parser error: ") + e.what());
  }
}

// Fast path of the list page (fast_json.h): nlohmann's DOM makes about
// 170,000 messages a second out of a 1,000-message page; this reads the same
// page several times faster, and hands anything unusual to ReadListPage.
namespace fast {

using fast_json::element;

bool ReadMessage(element e, Message& out) {
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

std::expected<ListPage, std::string> ParseListPageReference(std::string_view body) {
  return ParseWith<ListPage>(body, ReadListPage);
}

std::expected<ListPage, std::string> ParseListPage(std::string_view body) {
  try {
    if (auto page = fast::ParseListPage(body)) return std::move(*page);
  } catch (const std::exception&) {
    // Allocation failure in the fast path: the reference path reports it.
  }
  return ParseListPageReference(body);
}

std::expected<MessageDetail, std::string> ParseMessageDetail(std::string_view body) {
  return ParseWith<MessageDetail>(body, ReadMessageDetail);
}

std::expected<std::vector<SendingDomain>, std::string> ParseSendingDomains(std::string_view body) {
  return ParseWith<std::vector<SendingDomain>>(body, ReadSendingDomains);
}

std::string ParseErrorMessage(std::string_view body) { return ErrorMessageOfBody(body); }

std::expected<std::int64_t, std::string> ParseIso8601Ms(std::string_view text) {
  DateTime fields;
  std::string_view why = ScanDateTime(text, fields);
  if (why.empty()) why = CheckRanges(fields);
  if (why.empty()) return ToUnixMs(fields);
  std::string message = "invalid date-time \"";
  message += TruncateUtf8(std::string(text), kMaxQuotedBytes);
  message += "\": ";
  message += why;
  return std::unexpected(std::move(message));
}

std::string FormatIso8601Ms(std::int64_t unix_ms) {
  // Floor division: -1 ms is 1969-12-31T23:59:59.999Z, not 1970-01-01.
  std::int64_t days = unix_ms / kMsPerDay;
  std::int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const std::int64_t seconds_of_day = ms_of_day / kMsPerSecond;
  char buffer[160];  // room for any int64 in every field
  std::snprintf(buffer, sizeof buffer, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), static_cast<long long>(date.month),
                static_cast<long long>(date.day), static_cast<long long>(seconds_of_day / 3600),
                static_cast<long long>(seconds_of_day / 60 % 60),
                static_cast<long long>(seconds_of_day % 60),
                static_cast<long long>(ms_of_day % kMsPerSecond));
  return buffer;
}

std::string_view EventTypeName(EventType type) {
  for (const auto& [name, known] : kEventTypes) {
    if (known == type) return name;
  }
  return "other";
}

}  // namespace ele::mailtrap
