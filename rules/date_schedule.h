// When a date trigger fires for a customer: the next occurrence of a customer date
// (birthday, anniversary, renewal date) or of a calendar date, at a local time of day in the
// customer's time zone.
#pragma once

#include <cstdint>
#include <optional>

#include "rules/rule.h"
#include "touchstream/v1/state.pb.h"

namespace date {
class time_zone;
}

namespace touchstream::rules {

// The first firing time (ms since the epoch, UTC) of `trigger` strictly after `after_ms`, for
// `customer` in `zone` (null = UTC), or nullopt when there is none: the attribute is missing
// or not a date ("YYYY-MM-DD" string, or a timestamp read as a date in the customer's zone),
// a `once` date is past, or the calendar has no later date. Yearly dates on February 29 fire
// on February 28 in non-leap years. A local time that does not exist (a daylight-saving gap)
// fires at the first instant after the gap; an ambiguous one at its first occurrence.
std::optional<int64_t> NextDateFiring(const DateTrigger& trigger,
                                      const touchstream::v1::CustomerState& customer,
                                      const date::time_zone* zone, int64_t after_ms);

// Days since 1970-01-01 of a "YYYY-MM-DD" text, or nullopt when it is not a valid date.
std::optional<int32_t> ParseIsoDate(std::string_view text);

// "HH:MM" (00:00-23:59, also 24:00 meaning midnight) -> minutes after midnight; false when
// malformed.
bool ParseClockMinutes(std::string_view text, int* minutes);

}  // namespace touchstream::rules
