// Mailtrap's date-times: ISO-8601 text with milliseconds, read into and
// written from Unix milliseconds. Own arithmetic rather than timegm: no
// locale, no TZ environment, and the same result on every libc.
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "exporter/base/error.h"

namespace ele::mailtrap {

// "2025-01-02T03:04:05.678Z" and offsets like "+02:00"; fraction optional.
Result<std::int64_t> ParseIso8601Ms(std::string_view text);
// Always UTC with milliseconds: "2025-01-02T03:04:05.678Z".
std::string FormatIso8601Ms(std::int64_t unix_ms);

}  // namespace ele::mailtrap
