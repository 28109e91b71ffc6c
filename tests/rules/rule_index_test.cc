#include "rules/rule_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "rules/evaluator.h"
#include "rules/loader.h"
#include "rules/rule.h"

namespace touchstream::rules {
namespace {

std::shared_ptr<const RuleSet> Load(const std::string& yaml) {
  LoadResult loaded = LoadRulesFromString(yaml, "index.yaml", RuleEnvironment{});
  for (const Diagnostic& d : loaded.errors) ADD_FAILURE() << d.line << ": " << d.message;
  return loaded.rule_set;
}

std::string RuleYaml(const std::string& id, const std::string& condition, int priority = 0,
                     const std::string& trigger = "{event: purchase}") {
  return "  - id: " + id + "\n    priority: " + std::to_string(priority) +
         "\n    trigger: " + trigger + "\n    condition: '" + condition +
         "'\n    actions:\n      - emit: {kind: offer, channel: email}\n";
}

std::vector<std::string> Ids(std::span<const Rule* const> rules) {
  std::vector<std::string> ids;
  for (const Rule* rule : rules) ids.push_back(rule->id);
  return ids;
}

v1::TouchpointEvent Purchase() {
  v1::TouchpointEvent event;
  event.set_type("purchase");
  event.set_event_id("e1");
  event.set_customer_id("c1");
  return event;
}

TEST(RulesRuleIndexTest, EqualityOnAStringPropertySelectsTheRuleOfThatValue) {
  std::string yaml = "rules:\n";
  for (int k = 0; k < 100; ++k) {
    yaml += RuleYaml("sku-" + std::to_string(k),
                     "event.properties.sku == \"A" + std::to_string(k) + "\" && true");
  }
  yaml += RuleYaml("big", "customer.aggregates.total_spend > 10.0");
  auto rules = Load(yaml);
  ASSERT_NE(rules, nullptr);
  RuleCandidates scratch;
  v1::TouchpointEvent event = Purchase();
  (*event.mutable_properties())["sku"].set_string_value("A42");
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)), (std::vector<std::string>{"big", "sku-42"}));
  // Absent: `null == "A1"` is false for every keyed rule.
  event.mutable_properties()->clear();
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)), (std::vector<std::string>{"big"}));
  // An int where strings are compared is an evaluation error: every keyed rule runs to say so.
  (*event.mutable_properties())["sku"].set_int_value(42);
  EXPECT_EQ(rules->ForEvent(event, &scratch).size(), 101u);
  EXPECT_EQ(rules->ForEventType("purchase").size(), 101u);
}

TEST(RulesRuleIndexTest, InListsRangesAndMirroredComparisonsAreIndexed) {
  auto rules = Load("rules:\n" +
                    RuleYaml("campaign", "event.properties.campaign in [\"spring\", \"summer\"]") +
                    RuleYaml("qty", "3 == event.properties.qty") +
                    RuleYaml("big", "event.properties.amount >= 200.0 && true") +
                    RuleYaml("huge", "1000 < event.properties.amount") +
                    RuleYaml("small", "event.properties.amount < 10") +
                    RuleYaml("tagged", "\"vip\" in customer.tags"));
  ASSERT_NE(rules, nullptr);
  RuleCandidates scratch;
  v1::TouchpointEvent event = Purchase();
  auto& p = *event.mutable_properties();
  p["campaign"].set_string_value("summer");
  p["qty"].set_int_value(3);
  p["amount"].set_double_value(200.0);
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)),
            (std::vector<std::string>{"big", "campaign", "qty", "tagged"}));
  p["campaign"].set_string_value("winter");
  p["qty"].set_int_value(4);
  p["amount"].set_int_value(1001);
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)),
            (std::vector<std::string>{"big", "huge", "tagged"}));
  p["amount"].set_int_value(9);
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)), (std::vector<std::string>{"small", "tagged"}));
  // A missing amount makes `>=` an error: those rules run.
  p.erase("amount");
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)),
            (std::vector<std::string>{"big", "huge", "small", "tagged"}));
}

TEST(RulesRuleIndexTest, OnlyTheFirstTestOfAnEventTriggeredRuleIsUsed) {
  auto rules = Load(
      "rules:\n" + RuleYaml("second", "true && event.properties.sku == \"A\"") +
      RuleYaml("or", "event.properties.sku == \"A\" || true") +
      RuleYaml("threshold", "event.properties.sku == \"A\"", 0,
               "{becomes_true: \"customer.aggregates.purchase_count > 0\"}") +
      RuleYaml("first", "event.properties.sku == \"A\" && customer.aggregates.event_count > 0"));
  ASSERT_NE(rules, nullptr);
  RuleCandidates scratch;
  v1::TouchpointEvent event = Purchase();
  (*event.mutable_properties())["sku"].set_string_value("B");
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)),
            (std::vector<std::string>{"or", "second", "threshold"}));
}

TEST(RulesRuleIndexTest, CandidatesKeepPriorityOrder) {
  auto rules = Load("rules:\n" + RuleYaml("low", "event.properties.sku == \"A\"", 1) +
                    RuleYaml("high", "event.properties.sku in [\"A\", \"B\"]", 9) +
                    RuleYaml("mid", "customer.aggregates.event_count >= 0", 5) +
                    RuleYaml("any", "event.properties.amount > 1", 7, "{event: \"*\"}"));
  ASSERT_NE(rules, nullptr);
  RuleCandidates scratch;
  v1::TouchpointEvent event = Purchase();
  (*event.mutable_properties())["sku"].set_string_value("A");
  (*event.mutable_properties())["amount"].set_int_value(2);
  EXPECT_EQ(Ids(rules->ForEvent(event, &scratch)),
            (std::vector<std::string>{"high", "any", "mid", "low"}));
}

// The index's contract, checked against the evaluator: every rule whose condition is not
// false (true, or an error) for an event is among its candidates, in ForEventType's order.
TEST(RulesRuleIndexTest, NeverSkipsARuleWhoseConditionIsNotFalse) {
  const std::vector<std::string> tests = {
      "event.properties.p == \"a\"",  "event.properties.p == \"b\"",
      "event.properties.p == 1",      "event.properties.p == 2",
      "2 == event.properties.p",      "event.properties.p in [\"a\", \"c\"]",
      "event.properties.p in [1, 3]", "event.properties.p >= 1",
      "event.properties.p > 1",       "event.properties.p <= 1.5",
      "event.properties.p < 2",       "1.5 < event.properties.p",
      "2 >= event.properties.p",      "event.properties.p >= -9223372036854775807",
      "event.properties.p != \"a\"",  "has(event.properties.p)",
  };
  std::string yaml = "rules:\n";
  int n = 0;
  for (const std::string& test : tests) {
    for (const char* rest : {"", " && customer.aggregates.event_count >= 0"}) {
      yaml += RuleYaml("r" + std::to_string(n), test + rest, n % 3);
      ++n;
    }
  }
  auto rules = Load(yaml);
  ASSERT_NE(rules, nullptr);
  std::vector<v1::Value> values(12);
  values[1].set_string_value("a");
  values[2].set_string_value("b");
  values[3].set_string_value("z");
  values[4].set_int_value(1);
  values[5].set_int_value(2);
  values[6].set_int_value(std::numeric_limits<int64_t>::min());
  values[7].set_double_value(1.0);
  values[8].set_double_value(1.5);
  values[9].set_double_value(std::nan(""));
  values[10].set_bool_value(true);
  values[11].set_timestamp_ms(2);
  Evaluator evaluator;
  v1::CustomerState customer;
  customer.set_customer_id("c1");
  RuleCandidates scratch;
  size_t skipped = 0;
  for (size_t v = 0; v <= values.size(); ++v) {
    v1::TouchpointEvent event = Purchase();
    if (v < values.size() && values[v].kind_case() != v1::Value::KIND_NOT_SET) {
      (*event.mutable_properties())["p"] = values[v];
    }
    const EvalContext ctx{&event, &customer, 0};
    std::vector<std::string> expected;
    for (const Rule* rule : rules->ForEventType("purchase")) {
      std::string error;
      if (evaluator.EvaluateCondition(*rule, ctx, &error) != ConditionResult::kFalse) {
        expected.push_back(rule->id);
      }
    }
    std::vector<std::string> candidates = Ids(rules->ForEvent(event, &scratch));
    skipped += rules->ForEventType("purchase").size() - candidates.size();
    std::vector<std::string> kept;  // candidates whose condition is not false, in order
    for (const std::string& id : candidates) {
      if (std::find(expected.begin(), expected.end(), id) != expected.end()) kept.push_back(id);
    }
    EXPECT_EQ(kept, expected) << "value #" << v;
  }
  EXPECT_GT(skipped, 50u);  // the index does skip rules
}

}  // namespace
}  // namespace touchstream::rules
