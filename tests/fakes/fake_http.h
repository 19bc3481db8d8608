// Small HTTP-side helpers of the fake: query strings, replies, timestamps.
// Internal to the fake; nothing here knows civetweb.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ele::fake::internal {

// Decoded `key=value` pairs in request order; keys keep their brackets
// (`filters[status][value][]`), since the deep-object syntax lives in them.
class Query {
 public:
  static Query Parse(std::string_view raw);

  bool Has(std::string_view key) const;
  // The first value of `key`, if present.
  std::optional<std::string> Get(std::string_view key) const;
  // Every value of `key`, in request order.
  std::vector<std::string> All(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

std::string UrlDecode(std::string_view text);

// What a handler answers, plus what the request log records about it.
struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string provider;  // "jetemail" | "mailtrap" | ""
  std::string account;   // account name once authenticated
  std::string kind = "other";
  std::string fault;  // FaultName() of an injected fault; Send() acts on some
  int slow_reply_ms = 0;
  std::size_t oversized_bytes = 0;
};

Reply JsonReply(int status, std::string body);

// Strict decimal integer (optional leading '-'), the whole text.
std::optional<std::int64_t> ParseInt(std::string_view text);

// "2025-01-02T03:04:05.678Z", always UTC with milliseconds.
std::string FormatIsoMs(std::int64_t unix_ms);
// ISO 8601 date-time: "2025-01-02T03:04:05Z", an optional fraction, a zone
// "Z" or "+02:00" (none: UTC); a bare date "2025-01-02" is midnight UTC.
std::optional<std::int64_t> ParseIsoMs(std::string_view text);

std::string ToLower(std::string_view text);

}  // namespace ele::fake::internal
