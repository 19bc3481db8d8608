// Structured logging: one line per event, logfmt (default) or JSON.
//
// A process-wide sink, like the standard logger of most exporters: every
// thread may log at any time; lines are written whole under a mutex. Callers
// pass `provider` and `account` as fields where they apply. Never pass a token:
// nothing here can tell a secret from any other string.
#pragma once

#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "exporter/base/error.h"

namespace ele {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kLogfmt, kJson };

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);
  std::string key;
  std::string value;
};

// The values of --log.level and --log.format; the error names the flag.
Result<LogLevel> ParseLogLevel(std::string_view text);
Result<LogFormat> ParseLogFormat(std::string_view text);

// Sets level, format and sink (default std::cerr). The sink must outlive logging.
void ConfigureLogging(LogLevel level, LogFormat format, std::ostream* sink = nullptr);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kDebug, m, f); }
inline void LogInfo(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kInfo, m, f); }
inline void LogWarn(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kWarn, m, f); }
inline void LogError(std::string_view m, std::initializer_list<LogField> f = {}) { Log(LogLevel::kError, m, f); }

// Exposed for tests and for the JSON parts of the server.
std::string FormatLogLine(LogFormat format, std::string_view timestamp, LogLevel level,
                          std::string_view message, std::initializer_list<LogField> fields);
std::string JsonEscape(std::string_view text);

}  // namespace ele
