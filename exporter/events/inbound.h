// Events of inbound mail (JetEmail): what a provider's parse turns a page
// into, and all that the state knows of it. No wire format, no metric names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ele::events {

// One step in an inbound message's history; `id` identifies it across
// re-reads, so it is counted once however often it is seen.
struct InboundAction {
  std::string id;
  std::string logtype;                // "inbound", "delivery", "spam", ... (open set)
  std::int64_t date_ms = 0;           // Unix milliseconds; 0 when unknown
  double delay_seconds = 0;           // 0 when unknown
  std::optional<double> spam_score;   // absent: no score on this step
};

// A sighting of one inbound message with its current status and counts.
// The same message is seen again and again; only changes count.
struct InboundSighting {
  std::string uid;
  std::string domain;
  std::string status;                 // as the provider sent it; state lowercases it
  std::int64_t delivery_count = 0;
  std::int64_t rejected_count = 0;
  std::vector<InboundAction> actions;
};

}  // namespace ele::events
