// Building request URLs.
#pragma once

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

namespace ele {

// RFC 3986 percent-encoding of a query value or path segment: everything
// but unreserved characters (letters, digits, - . _ ~).
inline std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace ele
