// libFuzzer target: Mailtrap's list page, message detail, sending domains,
// error bodies and timestamps.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/providers/mailtrap/mailtrap_time.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto page = ele::mailtrap::ParseListPage(body)) {
    for (const auto& m : page->messages) (void)ele::mailtrap::FormatIso8601Ms(m.sent_at_ms);
  }
  if (auto detail = ele::mailtrap::ParseMessageDetail(body)) {
    for (const auto& e : detail->events) (void)ele::events::DeliveryEventTypeName(e.type);
  }
  (void)ele::mailtrap::ParseSendingDomains(body);
  (void)ele::mailtrap::ParseErrorMessage(body);
  if (auto ms = ele::mailtrap::ParseIso8601Ms(body)) (void)ele::mailtrap::FormatIso8601Ms(*ms);
  return 0;
}
