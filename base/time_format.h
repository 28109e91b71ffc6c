// Conversions between event time (milliseconds since the Unix epoch, UTC) and RFC 3339 text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchstream {

// Parses "2026-01-05T10:00:00Z", "2026-01-05T10:00:00.250Z", "2026-01-05T11:00:00+01:00"
// (also with a space instead of 'T', and a bare date "2026-01-05" as midnight UTC).
// Returns nullopt when the text is not such a timestamp: also for a day the month does not have
// ("2026-02-30"), an offset past 23:59, and an instant outside 0000-01-01T00:00:00Z ..
// 9999-12-31T23:59:59.999Z (which FormatRfc3339Ms could not write back).
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

// Formats as "2026-01-05T10:00:00Z", or "2026-01-05T10:00:00.250Z" when there are milliseconds.
std::string FormatRfc3339Ms(int64_t ms);

// Days since 1970-01-01 of a civil (proleptic Gregorian) date, and back.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace touchstream
