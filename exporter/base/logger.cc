#include "exporter/base/logger.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

namespace ele {
namespace {

struct Sink {
  std::mutex mutex;
  std::ostream* out = &std::cerr;
  LogFormat format = LogFormat::kLogfmt;
};

Sink& GlobalSink() {
  static Sink sink;
  return sink;
}

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string NowTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// logfmt values are quoted when they hold spaces, quotes, '=' or controls.
std::string LogfmtValue(std::string_view v) {
  bool needs_quotes = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) return std::string(v);
  std::string quoted = "\"";  // logfmt quotes with JSON's escapes
  quoted += JsonEscape(v);
  quoted += '"';
  return quoted;
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return Fail("--log.level must be debug, info, warn or error");
}

Result<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "logfmt") return LogFormat::kLogfmt;
  if (text == "json") return LogFormat::kJson;
  return Fail("--log.format must be logfmt or json");
}

void ConfigureLogging(LogLevel level, LogFormat format, std::ostream* sink) {
  Sink& s = GlobalSink();
  std::lock_guard lock(s.mutex);
  s.format = format;
  s.out = sink != nullptr ? sink : &std::cerr;
  g_min_level.store(static_cast<int>(level));
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(); }

std::string FormatLogLine(LogFormat format, std::string_view timestamp, LogLevel level,
                          std::string_view message, std::initializer_list<LogField> fields) {
  std::string line;
  if (format == LogFormat::kJson) {
    line = "{\"ts\":\"" + JsonEscape(timestamp) + "\",\"level\":\"" + std::string(LevelName(level)) +
           "\",\"msg\":\"" + JsonEscape(message) + "\"";
    for (const auto& f : fields) line += ",\"" + JsonEscape(f.key) + "\":\"" + JsonEscape(f.value) + "\"";
    line += "}";
  } else {
    line = "ts=" + std::string(timestamp) + " level=" + std::string(LevelName(level)) +
           " msg=" + LogfmtValue(message);
    for (const auto& f : fields) line += " " + f.key + "=" + LogfmtValue(f.value);
  }
  line += '\n';
  return line;
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  Sink& s = GlobalSink();
  std::lock_guard lock(s.mutex);
  *s.out << FormatLogLine(s.format, NowTimestamp(), level, message, fields);
  s.out->flush();
}

}  // namespace ele
