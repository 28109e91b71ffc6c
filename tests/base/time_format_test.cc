#include "base/time_format.h"

#include <gtest/gtest.h>

#include <optional>

namespace touchstream {
namespace {

// The documented forms parse to the instant they name, and format back.
TEST(TimeFormatTest, ParsesTheDocumentedForms) {
  const int64_t t = 1767607200000;  // 2026-01-05T10:00:00Z
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05T10:00:00Z"), t);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05T10:00:00.250Z"), t + 250);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05T11:00:00+01:00"), t);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05 10:00:00z"), t);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05"), t - 10 * 3600000);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29"), ParseRfc3339Ms("2024-03-01").value() - 86400000);
  EXPECT_EQ(FormatRfc3339Ms(t + 250), "2026-01-05T10:00:00.250Z");
  EXPECT_EQ(ParseRfc3339Ms("0000-01-01T00:00:00Z"),
            ParseRfc3339Ms(FormatRfc3339Ms(*ParseRfc3339Ms("0000-01-01T00:00:00Z"))));
  EXPECT_EQ(FormatRfc3339Ms(*ParseRfc3339Ms("9999-12-31T23:59:59.999Z")),
            "9999-12-31T23:59:59.999Z");
}

// Found by tests/fuzz/rfc3339_fuzz.cc: a leap second or an offset carried a time past the
// four-digit years, which FormatRfc3339Ms wrote as text the parser refuses; days a month does
// not have and offsets past 23:59 were taken too.
TEST(TimeFormatTest, RefusesWhatCannotBeWrittenBack) {
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:59:60.999Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:00:00-01:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("0000-01-01T00:00:00+00:01"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("2026-02-29"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("2026-04-31T10:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05T10:00:00+24:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("2026-01-05T10:00:00+01:60"), std::nullopt);
  // A leap second inside the range is still the next second's instant.
  EXPECT_EQ(ParseRfc3339Ms("2016-12-31T23:59:60Z"), ParseRfc3339Ms("2017-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace touchstream
