#include "base/duration.h"

#include <string>

namespace touchstream {

namespace {

constexpr int64_t kMsPerDay = 86'400'000;

struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr Unit kUnits[] = {{"ms", 1},        {"s", 1000},      {"m", 60'000},
                           {"h", 3'600'000}, {"d", kMsPerDay}, {"w", 7 * kMsPerDay}};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsLower(char c) {
  return c >= 'a' && c <= 'z';
}

// Milliseconds per `unit`, or 0 when it is not a unit.
int64_t UnitMs(std::string_view unit) {
  for (const Unit& u : kUnits) {
    if (u.name == unit) return u.ms;
  }
  return 0;
}

Status Invalid(std::string_view text, std::string_view reason) {
  return Status::InvalidArgument("invalid duration '" + std::string(text) + "': " +
                                 std::string(reason) + " (use " + std::string(kDurationHint) + ")");
}

enum class PartError { kNone, kNoUnit, kUnknownUnit, kOverflow };

// Reads one part, <digits><unit>, at text[*pos] (a digit) into *ms and moves *pos past it;
// *unit receives the unit as written.
PartError ReadPart(std::string_view text, size_t* pos, int64_t* ms, std::string_view* unit) {
  int64_t count = 0;
  bool overflow = false;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    overflow = overflow || __builtin_mul_overflow(count, 10, &count) ||
               __builtin_add_overflow(count, text[*pos] - '0', &count);
    ++*pos;
  }
  const size_t unit_start = *pos;
  while (*pos < text.size() && IsLower(text[*pos])) ++*pos;
  *unit = text.substr(unit_start, *pos - unit_start);
  if (unit->empty()) return PartError::kNoUnit;
  const int64_t unit_ms = UnitMs(*unit);
  if (unit_ms == 0) return PartError::kUnknownUnit;
  if (overflow || __builtin_mul_overflow(count, unit_ms, ms)) return PartError::kOverflow;
  return PartError::kNone;
}

}  // namespace

bool ReadDuration(std::string_view text, size_t* pos, int64_t* ms) {
  int64_t total = 0;
  bool any = false;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    int64_t part = 0;
    std::string_view unit;
    if (ReadPart(text, pos, &part, &unit) != PartError::kNone ||
        __builtin_add_overflow(total, part, &total)) {
      return false;
    }
    any = true;
  }
  if (any) *ms = total;
  return any;
}

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  if (text == "0") return int64_t{0};
  const bool negative = text[0] == '-';
  const std::string_view body = negative ? text.substr(1) : text;
  size_t pos = 0;
  int64_t total = 0;
  while (pos < body.size()) {
    if (!IsDigit(body[pos])) {
      return Invalid(text, pos == 0 ? std::string("it must start with a number")
                                    : "unexpected '" + std::string(body.substr(pos, 1)) + "'");
    }
    const size_t start = pos;
    int64_t part = 0;
    std::string_view unit;
    switch (ReadPart(body, &pos, &part, &unit)) {
      case PartError::kNone:
        break;
      case PartError::kNoUnit:
        return Invalid(
            text, "the number " + std::string(body.substr(start, pos - start)) + " has no unit");
      case PartError::kUnknownUnit:
        return Invalid(text, "unknown unit '" + std::string(unit) + "'");
      case PartError::kOverflow:
        return Invalid(text, "out of range");
    }
    if (__builtin_add_overflow(total, part, &total)) return Invalid(text, "out of range");
  }
  if (body.empty()) return Invalid(text, "it must start with a number");
  return negative ? -total : total;
}

}  // namespace touchstream
