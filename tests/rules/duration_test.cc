// The shared duration grammar (base/duration.h) and its use in rule files.
#include "base/duration.h"

#include <gtest/gtest.h>

#include <variant>

#include "rules/loader.h"

namespace touchstream {
namespace {

constexpr int64_t kDay = 86'400'000;

// Every unit, combined parts, a sign and the bare zero parse to milliseconds.
TEST(BaseDurationTest, ParsesEveryUnit) {
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("10s"), 10'000);
  EXPECT_EQ(*ParseDuration("30m"), 1'800'000);
  EXPECT_EQ(*ParseDuration("36h"), 36 * 3'600'000LL);
  EXPECT_EQ(*ParseDuration("90d"), 90 * kDay);
  EXPECT_EQ(*ParseDuration("2w"), 14 * kDay);
  EXPECT_EQ(*ParseDuration("1d12h"), 129'600'000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDuration("-5m"), -300'000);
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("0s"), 0);
}

// Each kind of mistake is named, with the text and how to write a duration.
TEST(BaseDurationTest, ErrorsSayWhatIsWrong) {
  const std::string hint = " (use a number with a unit ms, s, m, h, d or w, e.g. 36h, 1h30m or 2w)";
  EXPECT_EQ(ParseDuration("").status().message(), "invalid duration '': empty" + hint);
  EXPECT_EQ(ParseDuration("5").status().message(),
            "invalid duration '5': the number 5 has no unit" + hint);
  EXPECT_EQ(ParseDuration("1h30").status().message(),
            "invalid duration '1h30': the number 30 has no unit" + hint);
  EXPECT_EQ(ParseDuration("3mo").status().message(),
            "invalid duration '3mo': unknown unit 'mo'" + hint);
  EXPECT_EQ(ParseDuration("soon").status().message(),
            "invalid duration 'soon': it must start with a number" + hint);
  EXPECT_EQ(ParseDuration("1h 30m").status().message(),
            "invalid duration '1h 30m': unexpected ' '" + hint);
  EXPECT_EQ(ParseDuration("99999999999w").status().message(),
            "invalid duration '99999999999w': out of range" + hint);
}

// ReadDuration stops at the first character that cannot continue a duration.
TEST(BaseDurationTest, ReadDurationStopsAfterTheLastPart) {
  size_t pos = 2;
  int64_t ms = 0;
  ASSERT_TRUE(ReadDuration("x 2w1d > y", &pos, &ms));
  EXPECT_EQ(ms, 15 * kDay);
  EXPECT_EQ(pos, 6u);
  pos = 0;
  EXPECT_FALSE(ReadDuration("3x", &pos, &ms));
}

// `2w` is valid wherever a rule file takes a duration, and a bad one is reported at its node.
TEST(RulesDurationTest, WeeksInRuleFiles) {
  constexpr std::string_view kText = R"(
- id: lapsed
  trigger: {event: cart_add, not_followed_by: {event: purchase, within: 2w}}
  condition: now - customer.last_seen < 3w
  actions: [{emit: {kind: nudge, channel: email}}]
- id: bad
  trigger: {sequence: [a, b], within: 2 weeks}
  actions: [{emit: {kind: nudge, channel: email}}]
)";
  const rules::LoadResult result =
      rules::LoadRulesFromString(kText, "weeks.yaml", rules::RuleEnvironment());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 7);
  EXPECT_EQ(result.errors[0].message,
            "'within': invalid duration '2 weeks': the number 2 has no unit (use a number with a "
            "unit ms, s, m, h, d or w, e.g. 36h, 1h30m or 2w)");
  const rules::LoadResult good = rules::LoadRulesFromString(
      kText.substr(0, kText.find("- id: bad")), "weeks.yaml", rules::RuleEnvironment());
  ASSERT_TRUE(good.ok()) << good.errors[0].ToString();
  const auto& absence = std::get<rules::AbsenceTrigger>(good.rule_set->Find("lapsed")->trigger);
  EXPECT_EQ(absence.within_ms, 14 * kDay);
}

}  // namespace
}  // namespace touchstream
