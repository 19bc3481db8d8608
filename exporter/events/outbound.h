// Events of outbound mail (Mailtrap): what a provider's parse turns a list
// page or a message detail into, and all that the state knows of them. No
// wire format, no metric names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ele::events {

// A sighting of one outbound message with its current status and counts.
struct OutboundSighting {
  std::string message_id;
  std::string status;                          // as the provider sent it; state lowercases it
  std::int64_t sent_at_ms = 0;                 // Unix milliseconds (UTC)
  std::optional<std::string> category;         // none: the message has no category
  std::string sending_stream;                  // "transactional" | "bulk" | other
  std::optional<std::int64_t> sending_domain;  // the provider's id of the sending domain
  std::int64_t opens_count = 0;
  std::int64_t clicks_count = 0;
  friend bool operator==(const OutboundSighting&, const OutboundSighting&) = default;
};

enum class DeliveryEventType {
  kDelivery, kOpen, kClick, kSoftBounce, kBounce, kSpam,
  kUnsubscribe, kSuspension, kReject, kOther,
};

// One event in an outbound message's history. Events are only ever appended.
struct DeliveryEvent {
  DeliveryEventType type = DeliveryEventType::kOther;
  std::string type_name;                       // as the provider sent it
  std::int64_t created_at_ms = 0;
  std::optional<std::string> bounce_category;  // bounce / soft_bounce only
  // The receiving mailbox provider (Gmail, Outlook, ...) as the provider
  // names it; delivery / bounce / soft_bounce only, and not always.
  std::optional<std::string> mailbox_provider;
};

// Everything known of one message at once: its sighting and its events.
struct MessageHistory {
  OutboundSighting message;
  std::vector<DeliveryEvent> events;
};

// The mailbox provider named by the last delivery, bounce or soft_bounce
// event of `history` that names one; none when no event does.
std::optional<std::string> NamedMailboxProvider(const MessageHistory& history);

// A sending domain as the provider reports it: its name, and the health
// fields it may carry (absent when the provider does not send them).
struct SendingDomain {
  std::int64_t id = 0;
  std::string name;
  std::optional<bool> dns_verified;
  std::optional<std::string> compliance_status;
  std::optional<bool> open_tracking_enabled, click_tracking_enabled;
};

std::string_view DeliveryEventTypeName(DeliveryEventType type);  // "delivery", ..., "other"
// The type named by `name` ("soft_bounce", ...); kOther for any other name.
DeliveryEventType DeliveryEventTypeFromName(std::string_view name);

}  // namespace ele::events
