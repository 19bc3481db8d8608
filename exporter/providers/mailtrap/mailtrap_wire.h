// Wire format of Mailtrap's email logs API (list, get-by-id) and of its
// sending domains list (README, "Mailtrap request budget" and "Mailtrap
// events"), mapped to outbound events.
//
// Pure functions: bytes in, typed value or one error message out; a page is
// accepted whole or rejected whole. Nothing here knows HTTP, state or
// metrics. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/events/outbound.h"

namespace ele::mailtrap {

struct ListPage {
  std::vector<events::OutboundSighting> messages;
  std::int64_t total_count = 0;
  std::optional<std::string> next_page_cursor;  // null: no more pages
  friend bool operator==(const ListPage&, const ListPage&) = default;
};

using events::SendingDomain;

Result<ListPage> ParseListPage(std::string_view body);
// The same without the simdjson fast path: the reference the fast path must
// agree with (tests and benchmarks compare them).
Result<ListPage> ParseListPageReference(std::string_view body);
Result<events::MessageHistory> ParseMessageDetail(std::string_view body);
// Accepts `{"data": [...]}` and a bare array; the name is `domain_name` or `name`.
// The health fields (dns_verified, compliance_status, open_tracking_enabled,
// click_tracking_enabled) are read when present with their documented type
// and left empty otherwise: a change there must not cost the domain names.
Result<std::vector<SendingDomain>> ParseSendingDomains(std::string_view body);

// The human text of an error body (`error`, `errors` as string or array, or
// `message`), cut to 200 characters; empty when there is none. Never throws.
std::string ParseErrorMessage(std::string_view body);

}  // namespace ele::mailtrap
