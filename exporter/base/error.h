// The one error type of the exporter: a message fit for one log line, the
// landing page or stderr ("FILE:LINE: KEY: problem", "HTTP 429: ...").
// Every function that can fail returns Result<T>; a caller that adds
// context prefixes the message (Error::Within).
#pragma once

#include <expected>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace ele {

struct Error {
  std::string message;

  // The same error, said of `context`: "context: message".
  Error Within(std::string_view context) const { return Error{std::string(context) + ": " + message}; }
  friend bool operator==(const Error&, const Error&) = default;
  friend bool operator==(const Error& error, std::string_view text) { return error.message == text; }
  friend std::ostream& operator<<(std::ostream& out, const Error& error) { return out << error.message; }
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> Fail(std::string message) { return std::unexpected(Error{std::move(message)}); }

}  // namespace ele
