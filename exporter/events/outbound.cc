#include "exporter/events/outbound.h"

#include <array>
#include <utility>

namespace ele::events {
namespace {

constexpr std::array<std::pair<std::string_view, DeliveryEventType>, 9> kEventTypes = {{
    {"delivery", DeliveryEventType::kDelivery},
    {"open", DeliveryEventType::kOpen},
    {"click", DeliveryEventType::kClick},
    {"soft_bounce", DeliveryEventType::kSoftBounce},
    {"bounce", DeliveryEventType::kBounce},
    {"spam", DeliveryEventType::kSpam},
    {"unsubscribe", DeliveryEventType::kUnsubscribe},
    {"suspension", DeliveryEventType::kSuspension},
    {"reject", DeliveryEventType::kReject},
}};

}  // namespace

DeliveryEventType DeliveryEventTypeFromName(std::string_view name) {
  for (const auto& [type_name, type] : kEventTypes) {
    if (type_name == name) return type;
  }
  return DeliveryEventType::kOther;
}

std::string_view DeliveryEventTypeName(DeliveryEventType type) {
  for (const auto& [name, known] : kEventTypes) {
    if (known == type) return name;
  }
  return "other";
}

std::optional<std::string> NamedMailboxProvider(const MessageHistory& history) {
  for (auto it = history.events.rbegin(); it != history.events.rend(); ++it) {
    const bool names_one = it->type == DeliveryEventType::kDelivery || it->type == DeliveryEventType::kBounce ||
                           it->type == DeliveryEventType::kSoftBounce;
    if (names_one && it->mailbox_provider && !it->mailbox_provider->empty()) return it->mailbox_provider;
  }
  return std::nullopt;
}

}  // namespace ele::events
