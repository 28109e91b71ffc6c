// The one duration grammar of Touchstream, shared by the engine config (retention, windows,
// intervals) and rule files (`within:`, `after:`, duration literals and duration("...")):
//
//   duration = ["-"] part {part} | "0"
//   part     = digits unit
//   unit     = "ms" | "s" | "m" | "h" | "d" | "w"      (d = 24 h, w = 7 d)
//
// e.g. "90d", "1h30m", "250ms", "2w", "-5m". Where a duration must be positive (or may be
// zero) is the caller's rule, not the grammar's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace touchstream {

// How to write a duration, for error messages: "a number with a unit ms, s, m, h, d or w,
// e.g. 36h, 1h30m or 2w".
inline constexpr std::string_view kDurationHint =
    "a number with a unit ms, s, m, h, d or w, e.g. 36h, 1h30m or 2w";

// Reads the parts of a duration (no sign) starting at text[*pos], for scanners that find a
// duration inside longer text; a unit is the whole run of lowercase letters after the digits.
// On success sets *ms, moves *pos past the last part and returns true. Returns false when
// text[*pos] is not a digit, a unit is unknown or the value overflows int64 milliseconds;
// *pos is then unspecified.
bool ReadDuration(std::string_view text, size_t* pos, int64_t* ms);

// Parses all of `text` as a duration in milliseconds. InvalidArgument when it is not one,
// with a message naming the text and what is wrong:
//   invalid duration '7x': unknown unit 'x' (use a number with a unit ms, s, m, h, d or w, ...)
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace touchstream
