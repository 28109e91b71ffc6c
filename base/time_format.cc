#include "base/time_format.h"

#include <cstdio>

namespace touchstream {

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2);
}

namespace {

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// The instants FormatRfc3339Ms writes with a four-digit year, which the parser reads back:
// 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. A leap second or an offset can carry a
// time just past either end.
std::optional<int64_t> InFourDigitYears(int64_t ms) {
  static const int64_t kFirst = DaysFromCivil(0, 1, 1) * 86400000LL;
  static const int64_t kEnd = DaysFromCivil(10000, 1, 1) * 86400000LL;
  if (ms < kFirst || ms >= kEnd) return std::nullopt;
  return ms;
}

}  // namespace

std::optional<int64_t> ParseRfc3339Ms(std::string_view s) {
  int year, month, day;
  if (!ReadDigits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !ReadDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  int64_t ms = DaysFromCivil(year, month, day) * 86400000LL;
  if (s.size() == 10) return ms;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  int hour, minute, second;
  if (!ReadDigits(s, 11, 2, &hour) || s.size() < 19 || s[13] != ':' ||
      !ReadDigits(s, 14, 2, &minute) || s[16] != ':' || !ReadDigits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  ms += (hour * 3600LL + minute * 60LL + second) * 1000LL;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t frac_ms = 0;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) frac_ms *= 10;
    ms += frac_ms;
  }
  if (pos == s.size()) return std::nullopt;  // an offset is required with a time of day
  if (s[pos] == 'Z' || s[pos] == 'z') {
    return pos + 1 == s.size() ? InFourDigitYears(ms) : std::nullopt;
  }
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  int off_h, off_m;
  if (!ReadDigits(s, pos + 1, 2, &off_h) || pos + 6 != s.size() || s[pos + 3] != ':' ||
      !ReadDigits(s, pos + 4, 2, &off_m) || off_h > 23 || off_m > 59) {
    return std::nullopt;
  }
  const int64_t offset_ms = (off_h * 3600LL + off_m * 60LL) * 1000LL;
  return InFourDigitYears(s[pos] == '+' ? ms - offset_ms : ms + offset_ms);
}

std::string FormatRfc3339Ms(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
  int64_t rem = ms - days * 86400000LL;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  const int hour = static_cast<int>(rem / 3600000);
  const int minute = static_cast<int>(rem / 60000 % 60);
  const int second = static_cast<int>(rem / 1000 % 60);
  const int milli = static_cast<int>(rem % 1000);
  char buf[40];
  if (milli != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<long long>(year), month, day, hour, minute, second, milli);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(year),
                  month, day, hour, minute, second);
  }
  return buf;
}

}  // namespace touchstream
