// libFuzzer target: the YAML configuration loader and its validation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "exporter/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool env = [] {
    // Token variables the seed corpus names, so inputs get past token checks.
    setenv("ELE_TEST_TOKEN", "fuzz-token", 1);
    setenv("X", "x-token", 1);
    setenv("JETEMAIL_API_TOKEN", "api_fuzz", 1);
    setenv("MAILTRAP_API_TOKEN", "mt-fuzz", 1);
    return true;
  }();
  (void)env;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto config = ele::LoadConfigText(text, "fuzz.yaml")) {
    for (const auto& a : config->mailtrap) (void)ele::EventsModeName(a.events);
  }
  return 0;
}
