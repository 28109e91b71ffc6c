#include "rules/describe.h"

#include <gtest/gtest.h>

#include "rules/loader.h"

namespace touchstream::rules {
namespace {

// DescribeRule prints trigger, canonical condition, referenced fields and actions.
TEST(RulesDescribeTest, DescribesCompiledRule) {
  LoadResult loaded = LoadRulesFromString(R"(
- id: vip
  version: "3"
  priority: 5
  tags: [vip, web]
  trigger: {event: [purchase, refund]}
  condition: customer.aggregates.total_spend>1000&&event.channel=='web'||has(customer.profile.vip)
  actions:
    - emit:
        kind: offer
        channel: [email, sms]
        template: 'Thanks {{customer.profile.first_name}}'
        params: {discount: 5 * 2}
)",
                                          "vip.yaml", RuleEnvironment());
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].ToString();
  EXPECT_EQ(
      DescribeRule(loaded.rule_set->rules()[0]),
      "rule vip (version 3) from vip.yaml:2\n"
      "  enabled, priority 5, tags: vip, web\n"
      "  trigger: event:purchase,refund\n"
      "  listens to events: purchase, refund\n"
      "  condition: ((customer.aggregates.total_spend > 1000) && (event.channel == \"web\")) || "
      "has(customer.profile.vip)\n"
      "  reads: customer.aggregates.total_spend, event.channel, customer.profile.vip\n"
      "  action emit offer -> email, sms\n"
      "    message: \"Thanks {{ customer.profile.first_name }}\"\n"
      "    param discount = 5 * 2\n");
}

// A best_of emit is described as such.
TEST(RulesDescribeTest, DescribesBestOf) {
  LoadResult loaded = LoadRulesFromString(R"(
- id: pick
  trigger: {event: browse}
  actions: [{emit: {kind: nudge, channel: {best_of: [push, email]}}}]
)",
                                          "pick.yaml", RuleEnvironment());
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].ToString();
  EXPECT_NE(DescribeRule(loaded.rule_set->rules()[0])
                .find("action emit nudge -> best_of [push, email]\n"),
            std::string::npos);
}

// A conversion is described with its window, condition and value.
TEST(RulesDescribeTest, DescribesConversion) {
  LoadResult loaded = LoadRulesFromString(R"(
- id: nudge
  version: "1"
  trigger: {event: cart_add}
  actions: [{tag: nudged}]
  conversion: {event: purchase, within: 7d, condition: "event.properties.amount>0",
               value: event.properties.amount}
)",
                                          "nudge.yaml", RuleEnvironment());
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].ToString();
  const std::string text = DescribeRule(loaded.rule_set->rules()[0]);
  EXPECT_NE(text.find("  conversion: purchase within 7d of the decision when "
                      "event.properties.amount > 0, value event.properties.amount\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace touchstream::rules
