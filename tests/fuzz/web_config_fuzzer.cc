// libFuzzer target: the web config (TLS settings, basic auth users, headers) and the
// Authorization header decoder.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/config/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)ele::LoadWebConfigText(text, "web.yml");
  std::string user, password;
  (void)ele::DecodeBasicAuth(text, &user, &password);
  (void)ele::DecodeBasicAuth("Basic " + text, &user, &password);
  return 0;
}
