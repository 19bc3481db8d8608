#include "exporter/providers/mailtrap/mailtrap_time.h"

#include <array>
#include <cstddef>
#include <cstdio>

#include "exporter/providers/json_reader.h"

namespace ele::mailtrap {
namespace {

// ---------------------------------------------------------------------------
// ISO-8601 date-times. Own arithmetic rather than timegm: no locale, no TZ
// environment, and the same result on every libc.
// ---------------------------------------------------------------------------

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::size_t kMaxQuotedBytes = 40;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil); exact for every int64 year this code can produce.
std::int64_t DaysFromCivil(std::int64_t year, std::int64_t month, std::int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
};

// Inverse of DaysFromCivil.
CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;  // March is 0
  const std::int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month,
          day_of_year - (153 * shifted_month + 2) / 5 + 1};
}

bool IsLeapYear(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

std::int64_t DaysInMonth(std::int64_t year, std::int64_t month) {
  constexpr std::array<std::int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[static_cast<std::size_t>(month - 1)];
}

struct DateTime {
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
  std::int64_t hour = 0;
  std::int64_t minute = 0;
  std::int64_t second = 0;
  std::int64_t millis = 0;
  std::int64_t offset_minutes = 0;  // local time minus UTC
};

// Reads fixed-width fields left to right.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool Digits(std::size_t count, std::int64_t& out) {
    if (text_.size() - pos_ < count) return false;
    std::int64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    out = value;
    return true;
  }

  // Consumes the next character if it is one of `chars`.
  bool Take(std::string_view chars, char* taken = nullptr) {
    if (pos_ >= text_.size() || chars.find(text_[pos_]) == std::string_view::npos) return false;
    if (taken != nullptr) *taken = text_[pos_];
    ++pos_;
    return true;
  }

  // Consumes a run of digits, returning how many there were.
  std::size_t DigitRun(std::string_view& run) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    run = text_.substr(start, pos_ - start);
    return run.size();
  }

  bool AtEnd() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Keeps the first three fraction digits: milliseconds, truncated.
std::string_view ScanFraction(Scanner& scan, std::int64_t& millis) {
  millis = 0;
  if (!scan.Take(".")) return {};
  std::string_view digits;
  const std::size_t count = scan.DigitRun(digits);
  if (count == 0) return "expected digits after '.'";
  if (count > 9) return "fraction longer than 9 digits";
  for (std::size_t i = 0; i < 3; ++i) {
    millis = millis * 10 + (i < count ? digits[i] - '0' : 0);
  }
  return {};
}

std::string_view ScanZone(Scanner& scan, std::int64_t& offset_minutes) {
  offset_minutes = 0;
  if (scan.Take("Zz")) return {};
  char sign = 0;
  if (!scan.Take("+-", &sign)) return "expected 'Z' or a +HH:MM offset";
  std::int64_t hours = 0;
  std::int64_t minutes = 0;
  if (!scan.Digits(2, hours) || !scan.Take(":") || !scan.Digits(2, minutes)) {
    return "expected a +HH:MM offset";
  }
  if (hours > 23 || minutes > 59) return "offset out of range";
  offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
  return {};
}

// Returns the reason `text` is malformed, or an empty view.
std::string_view ScanDateTime(std::string_view text, DateTime& out) {
  Scanner scan(text);
  if (!scan.Digits(4, out.year) || !scan.Take("-") || !scan.Digits(2, out.month) ||
      !scan.Take("-") || !scan.Digits(2, out.day)) {
    return "expected YYYY-MM-DD";
  }
  if (!scan.Take("Tt ")) return "expected 'T' after the date";
  if (!scan.Digits(2, out.hour) || !scan.Take(":") || !scan.Digits(2, out.minute) ||
      !scan.Take(":") || !scan.Digits(2, out.second)) {
    return "expected HH:MM:SS";
  }
  if (auto why = ScanFraction(scan, out.millis); !why.empty()) return why;
  if (auto why = ScanZone(scan, out.offset_minutes); !why.empty()) return why;
  if (!scan.AtEnd()) return "unexpected characters after the time zone";
  return {};
}

std::string_view CheckRanges(const DateTime& t) {
  if (t.month < 1 || t.month > 12) return "month out of range";
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) return "day out of range";
  if (t.hour > 23) return "hour out of range";
  if (t.minute > 59) return "minute out of range";
  // 60 is a leap second; it reads as the next minute's first second.
  if (t.second > 60) return "second out of range";
  return {};
}

std::int64_t ToUnixMs(const DateTime& t) {
  const std::int64_t seconds_of_day = t.hour * 3600 + t.minute * 60 + t.second;
  return DaysFromCivil(t.year, t.month, t.day) * kMsPerDay + seconds_of_day * kMsPerSecond +
         t.millis - t.offset_minutes * 60 * kMsPerSecond;
}

}  // namespace

Result<std::int64_t> ParseIso8601Ms(std::string_view text) {
  DateTime fields;
  std::string_view why = ScanDateTime(text, fields);
  if (why.empty()) why = CheckRanges(fields);
  if (why.empty()) return ToUnixMs(fields);
  std::string message = "invalid date-time \"";
  message += json_reader::TruncateUtf8(std::string(text), kMaxQuotedBytes);
  message += "\": ";
  message += why;
  return Fail(std::move(message));
}

std::string FormatIso8601Ms(std::int64_t unix_ms) {
  // Floor division: -1 ms is 1969-12-31T23:59:59.999Z, not 1970-01-01.
  std::int64_t days = unix_ms / kMsPerDay;
  std::int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const std::int64_t seconds_of_day = ms_of_day / kMsPerSecond;
  char buffer[160];  // room for any int64 in every field
  std::snprintf(buffer, sizeof buffer, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), static_cast<long long>(date.month),
                static_cast<long long>(date.day), static_cast<long long>(seconds_of_day / 3600),
                static_cast<long long>(seconds_of_day / 60 % 60),
                static_cast<long long>(seconds_of_day % 60),
                static_cast<long long>(ms_of_day % kMsPerSecond));
  return buffer;
}
}  // namespace ele::mailtrap
