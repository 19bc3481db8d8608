// Which Mailtrap messages' details (events) an account fetches: a setting
// of the configuration that the state acts on.
#pragma once

#include <string_view>

namespace ele {

enum class EventsMode { kFailures, kAll, kOff };

// "failures" | "all" | "off", as the configuration spells it.
constexpr std::string_view EventsModeName(EventsMode mode) {
  switch (mode) {
    case EventsMode::kFailures: return "failures";
    case EventsMode::kAll: return "all";
    case EventsMode::kOff: return "off";
  }
  return "failures";
}

}  // namespace ele
