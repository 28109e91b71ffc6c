#include <gtest/gtest.h>

#include "expr_tester.h"
#include "rules/zone_cache.h"

namespace touchstream::rules {
namespace {

using testing::ExprTester;
using testing::IntValue;
using testing::StringValue;

// hour_of_day and day_of_week use UTC when the customer has no time zone.
TEST(RulesTimeFunctionsTest, UtcByDefault) {
  ExprTester t;
  EXPECT_EQ(t.Eval("hour_of_day(now)"), "int:10");
  EXPECT_EQ(t.Eval("day_of_week(now)"), "int:1");  // 2026-01-05 is a Monday
  EXPECT_EQ(t.Eval("day_of_week(timestamp('1969-12-28T23:00:00Z'))"), "int:0");
  EXPECT_EQ(t.Eval("hour_of_day(timestamp('1969-12-31T23:59:59Z'))"), "int:23");
}

// Local time follows the profile's IANA zone across a daylight saving change.
TEST(RulesTimeFunctionsTest, AcrossDstChange) {
  ExprTester t;
  t.SetProfile("time_zone", StringValue("America/New_York"));
  // DST starts 2026-03-08 02:00 local (07:00 UTC): EST (-5) before, EDT (-4) after.
  EXPECT_EQ(t.Eval("hour_of_day(timestamp('2026-03-08T06:30:00Z'))"), "int:1");
  EXPECT_EQ(t.Eval("hour_of_day(timestamp('2026-03-08T07:30:00Z'))"), "int:3");
  EXPECT_EQ(t.Eval("day_of_week(timestamp('2026-03-08T07:30:00Z'))"), "int:0");
  // Still Saturday evening in New York.
  EXPECT_EQ(t.Eval("day_of_week(timestamp('2026-03-08T03:00:00Z'))"), "int:6");
  EXPECT_EQ(t.Eval("hour_of_day(timestamp('2026-03-08T03:00:00Z'))"), "int:22");
}

// Unknown zone names and non-string time_zone attributes fall back to UTC.
TEST(RulesTimeFunctionsTest, UnknownZoneIsUtc) {
  ExprTester t;
  t.SetProfile("time_zone", StringValue("Mars/Olympus_Mons"));
  EXPECT_EQ(t.Eval("hour_of_day(now)"), "int:10");
  t.SetProfile("time_zone", IntValue(3));
  EXPECT_EQ(t.Eval("hour_of_day(now)"), "int:10");
}

// The zone cache returns the same zone for repeated names and null for unknown ones.
TEST(RulesTimeFunctionsTest, ZoneCache) {
  ZoneCache cache;
  const date::time_zone* paris = cache.Find("Europe/Paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(cache.Find("Europe/Paris"), paris);
  EXPECT_EQ(cache.Find("Nowhere/Special"), nullptr);
  EXPECT_EQ(cache.Find(""), nullptr);
  // Paris switches to CEST at 01:00 UTC on 2026-03-29.
  EXPECT_EQ(ToLocalTime(1774745940000, paris).hour, 1);  // 00:59 UTC -> 01:59 CET
  EXPECT_EQ(ToLocalTime(1774746000000, paris).hour, 3);  // 01:00 UTC -> 03:00 CEST
}

}  // namespace
}  // namespace touchstream::rules
