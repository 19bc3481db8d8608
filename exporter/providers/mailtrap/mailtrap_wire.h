// Wire format of Mailtrap's email logs API (list, get-by-id) and of its
// sending domains list (see README, "APIs").
//
// Pure functions: bytes in, typed value or one error message out; a page is
// accepted whole or rejected whole. Nothing here knows HTTP, state or
// Prometheus. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ele::mailtrap {

struct Message {
  std::string message_id;
  std::string status;                          // as sent; callers lowercase it
  std::int64_t sent_at_ms = 0;                 // Unix milliseconds (UTC)
  std::optional<std::string> category;         // null or absent: none
  std::string sending_stream;                  // "transactional" | "bulk" | other
  std::optional<std::int64_t> sending_domain;  // `sending_domain_id` or `domain_id`
  std::int64_t opens_count = 0;
  std::int64_t clicks_count = 0;
  friend bool operator==(const Message&, const Message&) = default;
};

struct ListPage {
  std::vector<Message> messages;
  std::int64_t total_count = 0;
  std::optional<std::string> next_page_cursor;  // null: no more pages
  friend bool operator==(const ListPage&, const ListPage&) = default;
};

enum class EventType {
  kDelivery, kOpen, kClick, kSoftBounce, kBounce, kSpam,
  kUnsubscribe, kSuspension, kReject, kOther,
};

struct Event {
  EventType type = EventType::kOther;
  std::string type_name;                     // `event_type` as sent
  std::int64_t created_at_ms = 0;
  std::optional<std::string> bounce_category;  // bounce / soft_bounce only
};

struct MessageDetail {
  Message message;
  std::vector<Event> events;
};

struct SendingDomain {
  std::int64_t id = 0;
  std::string name;
};

std::expected<ListPage, std::string> ParseListPage(std::string_view body);
// The same without the simdjson fast path: the reference the fast path must
// agree with (tests and benchmarks compare them).
std::expected<ListPage, std::string> ParseListPageReference(std::string_view body);
std::expected<MessageDetail, std::string> ParseMessageDetail(std::string_view body);
// Accepts `{"data": [...]}` and a bare array; the name is `domain_name` or `name`.
std::expected<std::vector<SendingDomain>, std::string> ParseSendingDomains(std::string_view body);

// The human text of an error body (`error`, `errors` as string or array, or
// `message`), cut to 200 characters; empty when there is none. Never throws.
std::string ParseErrorMessage(std::string_view body);

// "2025-01-02T03:04:05.678Z" and offsets like "+02:00"; fraction optional.
std::expected<std::int64_t, std::string> ParseIso8601Ms(std::string_view text);
// Always UTC with milliseconds: "2025-01-02T03:04:05.678Z".
std::string FormatIso8601Ms(std::int64_t unix_ms);

std::string_view EventTypeName(EventType type);  // "delivery", ..., "other"

}  // namespace ele::mailtrap
