// Wire format of JetEmail's `GET /inbound/account/logs` (README, "How it
// works"), mapped to inbound events: each entry of `data` is a sighting,
// each row of its `actions` an action. Fields the exporter does not use
// (from, to, subject, responses) are skipped without being validated.
//
// Pure functions: bytes in, typed page or one error message out. A page is
// accepted whole or rejected whole, so callers never half-apply a response.
// Nothing here knows HTTP, state or metrics. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/error.h"
#include "exporter/events/inbound.h"

namespace ele::jetemail {

struct DomainQueried {
  std::string domain;
  std::string status;                 // "success" or anything else (failed)
  std::int64_t count = 0;
};

struct Page {
  std::vector<events::InboundSighting> entries;
  std::int64_t total = 0;             // pagination.total
  std::int64_t limit = 0;             // pagination.limit
  std::int64_t offset = 0;            // pagination.offset
  std::int64_t returned = 0;          // pagination.returned
  std::vector<DomainQueried> domains_queried;
  std::int64_t total_domains = 0;     // 0 when absent
  std::int64_t domains_included = 0;  // 0 when absent
};

// Parses a 200 response body. Errors name the first offending JSON path, e.g.
// "data[3].delivery_count: expected integer, got string". Never throws.
Result<Page> ParsePage(std::string_view body);

// The reference parser ParsePage falls back to (nlohmann/json): same result
// for every input, about ten times slower. For differential tests and fuzzing.
Result<Page> ParsePageReference(std::string_view body);

// The human text of an error body (`{"error": ...}` or `{"message": ...}`),
// cut to 200 characters; empty when the body carries none. Never throws.
std::string ParseErrorMessage(std::string_view body);

}  // namespace ele::jetemail
