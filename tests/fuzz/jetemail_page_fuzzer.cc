// libFuzzer target: JetEmail's logs page parser and error-body reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/providers/jetemail/jetemail_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto page = ele::jetemail::ParsePage(body)) {
    // Whatever is accepted is usable: every field readable.
    std::size_t n = 0;
    for (const auto& e : page->entries) n += e.uid.size() + e.domain.size() + e.status.size() + e.actions.size();
    for (const auto& d : page->domains_queried) n += d.domain.size();
    if (n == static_cast<std::size_t>(-1)) __builtin_trap();
  }
  (void)ele::jetemail::ParseErrorMessage(body);
  return 0;
}
