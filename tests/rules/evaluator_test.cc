#include "rules/evaluator.h"

#include <gtest/gtest.h>

#include "expr_tester.h"
#include "rules/loader.h"

namespace touchstream::rules {
namespace {

using testing::DoubleValue;
using testing::ExprTester;
using testing::IntValue;
using testing::StringValue;

// Arithmetic on ints and doubles, with int/double promotion.
TEST(RulesEvaluatorTest, Arithmetic) {
  ExprTester t;
  EXPECT_EQ(t.Eval("1 + 2 * 3"), "int:7");
  EXPECT_EQ(t.Eval("7 / 2"), "int:3");
  EXPECT_EQ(t.Eval("-7 % 3"), "int:-1");
  EXPECT_EQ(t.Eval("7 / 2.0"), "double:3.5");
  EXPECT_EQ(t.Eval("1 + 0.5"), "double:1.5");
  EXPECT_EQ(t.Eval("2.5 * 2"), "double:5");
  EXPECT_EQ(t.Eval("10 - 2.5"), "double:7.5");
  EXPECT_EQ(t.Eval("-(3)"), "int:-3");
  EXPECT_EQ(t.Eval("'ab' + 'cd'"), "string:abcd");
}

// Comparisons across all orderable types, and equality with numeric promotion.
TEST(RulesEvaluatorTest, Comparisons) {
  ExprTester t;
  EXPECT_EQ(t.Eval("1 < 2"), "bool:true");
  EXPECT_EQ(t.Eval("2 <= 2.0"), "bool:true");
  EXPECT_EQ(t.Eval("3 > 2.5"), "bool:true");
  EXPECT_EQ(t.Eval("2 >= 3"), "bool:false");
  EXPECT_EQ(t.Eval("1 == 1.0"), "bool:true");
  EXPECT_EQ(t.Eval("1 != 2"), "bool:true");
  EXPECT_EQ(t.Eval("'abc' < 'abd'"), "bool:true");
  EXPECT_EQ(t.Eval("'a' == 'a'"), "bool:true");
  EXPECT_EQ(t.Eval("36h > 1d"), "bool:true");
  EXPECT_EQ(t.Eval("duration('90m') == 1h30m"), "bool:true");
  EXPECT_EQ(t.Eval("timestamp('2026-01-01T00:00:00Z') < now"), "bool:true");
  EXPECT_EQ(t.Eval("[1, 2] == [1, 2.0]"), "bool:true");
  EXPECT_EQ(t.Eval("true != false"), "bool:true");
}

// && and || short-circuit, so the right side is not evaluated when the left decides.
TEST(RulesEvaluatorTest, ShortCircuit) {
  ExprTester t;
  EXPECT_EQ(t.Eval("false && 1 / 0 == 1"), "bool:false");
  EXPECT_EQ(t.Eval("true || 1 / 0 == 1"), "bool:true");
  EXPECT_EQ(t.Eval("true && 1 / 0 == 1"), "error:<expr>:1:11: division by zero");
  EXPECT_EQ(t.Eval("!false && !(1 > 2)"), "bool:true");
  EXPECT_EQ(t.Eval("1 > 2 ? 1 / 0 : 'ok'"), "string:ok");
}

// `in` on lists and on maps (key presence).
TEST(RulesEvaluatorTest, InOperator) {
  ExprTester t;
  t.SetProperty("sku", StringValue("A1"));
  (*t.customer.mutable_activity())["login"].set_count(2);
  EXPECT_EQ(t.Eval("2 in [1, 2, 3]"), "bool:true");
  EXPECT_EQ(t.Eval("2.0 in [1, 2]"), "bool:true");
  EXPECT_EQ(t.Eval("'b' in ['a']"), "bool:false");
  EXPECT_EQ(t.Eval("event.properties.sku in ['A1', 'B2']"), "bool:true");
  EXPECT_EQ(t.Eval("'sku' in event.properties"), "bool:true");
  EXPECT_EQ(t.Eval("'coupon' in event.properties"), "bool:false");
  EXPECT_EQ(t.Eval("'login' in customer.activity"), "bool:true");
  EXPECT_EQ(t.Eval("event.type in [event.channel, 'purchase']"), "bool:true");
}

// String functions in receiver and global style.
TEST(RulesEvaluatorTest, StringFunctions) {
  ExprTester t;
  EXPECT_EQ(t.Eval("'Hello'.startsWith('He')"), "bool:true");
  EXPECT_EQ(t.Eval("startsWith('Hello', 'lo')"), "bool:false");
  EXPECT_EQ(t.Eval("'Hello'.endsWith('lo')"), "bool:true");
  EXPECT_EQ(t.Eval("'Hello'.contains('ell')"), "bool:true");
  EXPECT_EQ(t.Eval("lower('HeLLo')"), "string:hello");
  EXPECT_EQ(t.Eval("'HeLLo'.upper()"), "string:HELLO");
  EXPECT_EQ(t.Eval("size('h\u00e9llo')"), "int:5");
  EXPECT_EQ(t.Eval("'abc'.size()"), "int:3");
  EXPECT_EQ(t.Eval("size([1, 2, 3])"), "int:3");
  EXPECT_EQ(t.Eval("string(42) + '/' + string(2.5) + '/' + string(true)"), "string:42/2.5/true");
  EXPECT_EQ(t.Eval("string(90m)"), "string:1h30m");
}

// Math functions, conversions and their edge cases.
TEST(RulesEvaluatorTest, MathFunctions) {
  ExprTester t;
  EXPECT_EQ(t.Eval("min(3, 2)"), "int:2");
  EXPECT_EQ(t.Eval("max(3, 2.5)"), "double:3");
  EXPECT_EQ(t.Eval("min(1h, 30m)"), "duration:30m");
  EXPECT_EQ(t.Eval("abs(-4)"), "int:4");
  EXPECT_EQ(t.Eval("abs(-4.5)"), "double:4.5");
  EXPECT_EQ(t.Eval("abs(-2h)"), "duration:2h");
  EXPECT_EQ(t.Eval("round(2.5)"), "int:3");
  EXPECT_EQ(t.Eval("round(-2.5)"), "int:-3");
  EXPECT_EQ(t.Eval("round(2.49)"), "int:2");
  EXPECT_EQ(t.Eval("int('42') + int(2.9)"), "int:44");
  EXPECT_EQ(t.Eval("double('2.5') + double(1)"), "double:3.5");
  EXPECT_EQ(t.Eval("int('x')"), "error:<expr>:1:1: int() cannot parse \"x\"");
  EXPECT_EQ(t.Eval("round(1e300)"), "error:<expr>:1:1: round() result out of the int range");
}

// Time arithmetic: timestamp - timestamp, timestamp +/- duration, days_since.
TEST(RulesEvaluatorTest, TimeArithmetic) {
  ExprTester t;
  t.event.set_ts_ms(ExprTester::kNow - 90 * 60000);
  t.customer.set_last_seen_ms(ExprTester::kNow - 36 * 3600000LL);
  EXPECT_EQ(t.Eval("now - event.ts"), "duration:1h30m");
  EXPECT_EQ(t.Eval("event.ts + 90m == now"), "bool:true");
  EXPECT_EQ(t.Eval("now - 1d"), "timestamp:2026-01-04T10:00:00Z");
  EXPECT_EQ(t.Eval("now - customer.last_seen > 1d"), "bool:true");
  EXPECT_EQ(t.Eval("days_since(customer.last_seen)"), "double:1.5");
  EXPECT_EQ(t.Eval("timestamp('2026-01-05T10:00:00Z') == now"), "bool:true");
  EXPECT_EQ(t.Eval("1d + 1h - 30m"), "duration:1d30m");
  EXPECT_EQ(t.Eval("-1h"), "duration:-1h");
}

// Catalog fields read the event and customer state; unset timestamps are null.
TEST(RulesEvaluatorTest, Fields) {
  ExprTester t;
  t.event.set_event_id("e-1");
  t.event.set_channel("web");
  t.event.set_source("pos");
  t.customer.set_customer_id("c-42");
  t.customer.mutable_aggregates()->set_purchase_count(3);
  t.customer.mutable_aggregates()->set_total_spend(250.5);
  t.customer.mutable_aggregates()->set_last_purchase_ms(ExprTester::kNow);
  (*t.customer.mutable_activity())["login"].set_count(4);
  (*t.customer.mutable_rules())["welcome"].set_fire_count(1);
  t.SetProfile("tier", StringValue("gold"));
  EXPECT_EQ(t.Eval("event.id + event.type + event.channel + event.source"),
            "string:e-1purchasewebpos");
  EXPECT_EQ(t.Eval("customer.id"), "string:c-42");
  EXPECT_EQ(t.Eval("customer.aggregates.purchase_count"), "int:3");
  EXPECT_EQ(t.Eval("customer.aggregates.total_spend"), "double:250.5");
  EXPECT_EQ(t.Eval("customer.aggregates.last_purchase"), "timestamp:2026-01-05T10:00:00Z");
  EXPECT_EQ(t.Eval("customer.aggregates.first_purchase"), "null");
  EXPECT_EQ(t.Eval("customer.activity.login.count"), "int:4");
  EXPECT_EQ(t.Eval("customer.activity.purchase.count"), "int:0");
  EXPECT_EQ(t.Eval("customer.activity.purchase.last"), "null");
  EXPECT_EQ(t.Eval("customer.rules.welcome.fire_count"), "int:1");
  EXPECT_EQ(t.Eval("customer.rules.other.last_fired"), "null");
  EXPECT_EQ(t.Eval("customer.profile.tier"), "string:gold");
  EXPECT_EQ(t.Eval("customer.profile['tier'] == 'gold'"), "bool:true");
  EXPECT_EQ(t.Eval("rule.id + '@' + rule.version"), "string:rule_1@v1");
  EXPECT_EQ(t.Eval("size(customer.profile)"), "int:1");
}

// Null semantics: == and != are defined, everything else on null is a run-time error.
TEST(RulesEvaluatorTest, NullSemantics) {
  ExprTester t;
  t.SetProperty("amount", DoubleValue(20));
  EXPECT_EQ(t.Eval("event.properties.coupon"), "null");
  EXPECT_EQ(t.Eval("event.properties.coupon == null"), "bool:true");
  EXPECT_EQ(t.Eval("event.properties.coupon != 'X'"), "bool:true");
  EXPECT_EQ(t.Eval("event.properties.amount == null"), "bool:false");
  EXPECT_EQ(t.Eval("null == null"), "bool:true");
  EXPECT_EQ(t.Eval("has(event.properties.coupon)"), "bool:false");
  EXPECT_EQ(t.Eval("has(event.properties.amount)"), "bool:true");
  EXPECT_EQ(t.Eval("has(customer.aggregates.last_purchase)"), "bool:false");
  EXPECT_EQ(t.Eval("event.properties.coupon > 1"),
            "error:<expr>:1:25: operator '>' applied to null (use has() to check presence)");
  EXPECT_EQ(t.Eval("event.properties.coupon + 1"),
            "error:<expr>:1:25: operator '+' applied to null (use has() to check presence)");
  EXPECT_EQ(t.Eval("event.properties.coupon && true"),
            "error:<expr>:1:25: operator '&&' needs bools, got null (use has() to check presence)");
  EXPECT_EQ(t.Eval("lower(event.properties.coupon)"),
            "error:<expr>:1:1: lower() received null (use has() to check presence)");
  EXPECT_EQ(t.Eval("has(event.properties.coupon) && event.properties.coupon > 1"), "bool:false");
  EXPECT_EQ(t.Eval("now - customer.last_seen"),
            "error:<expr>:1:5: operator '-' applied to null (use has() to check presence)");
}

// Division and modulo by zero and int overflow are run-time errors with positions.
TEST(RulesEvaluatorTest, ArithmeticErrors) {
  ExprTester t;
  EXPECT_EQ(t.Eval("1 / 0"), "error:<expr>:1:3: division by zero");
  EXPECT_EQ(t.Eval("1.5 / 0"), "error:<expr>:1:5: division by zero");
  EXPECT_EQ(t.Eval("5 % 0"), "error:<expr>:1:3: modulo by zero");
  EXPECT_EQ(t.Eval("9223372036854775807 + 1"), "error:<expr>:1:21: integer overflow");
  EXPECT_EQ(t.Eval("[1][3]"), "error:<expr>:1:4: list index 3 out of range (size 1)");
}

// Operations on dyn values are type-checked when evaluated.
TEST(RulesEvaluatorTest, DynRuntimeTypeErrors) {
  ExprTester t;
  t.SetProfile("tier", StringValue("gold"));
  t.SetProfile("points", IntValue(120));
  EXPECT_EQ(t.Eval("customer.profile.points + 1"), "int:121");
  EXPECT_EQ(t.Eval("customer.profile.tier + 1"),
            "error:<expr>:1:23: operator '+' cannot be applied to string and int");
  EXPECT_EQ(t.Eval("customer.profile.tier == 1"),
            "error:<expr>:1:23: cannot compare string and int for equality");
  EXPECT_EQ(t.Eval("customer.profile.tier > 1"),
            "error:<expr>:1:23: operator '>' cannot be applied to string and int");
  EXPECT_EQ(t.Eval("!customer.profile.tier"),
            "error:<expr>:1:1: operator '!' needs a bool, got string");
  EXPECT_EQ(t.Eval("size(customer.profile.points)"),
            "error:<expr>:1:1: size() cannot be applied to int");
  EXPECT_EQ(t.Eval("customer.profile[customer.profile.tier]"), "null");
}

// A declared property that arrives with another type is still checked at run time.
TEST(RulesEvaluatorTest, DeclaredPropertyWithWrongRuntimeType) {
  ExprTester t;
  t.env.event_properties["purchase"]["amount"] = ValueType::kDouble;
  t.SetProperty("amount", StringValue("12"));
  EXPECT_EQ(t.Eval("event.properties.amount > 10"),
            "error:<expr>:1:25: operator '>' cannot be applied to string and int");
  t.SetProperty("amount", IntValue(12));
  EXPECT_EQ(t.Eval("event.properties.amount > 10.5"), "bool:true");
}

// The step limit stops long evaluations.
TEST(RulesEvaluatorTest, StepLimit) {
  ExprTester t;
  t.env.max_eval_steps = 5;
  EXPECT_EQ(t.Eval("1 + 1"), "int:2");  // 3 steps
  EXPECT_EQ(t.Eval("1 + 1 + 1 + 1"), "error:<expr>:1:9: evaluation exceeded the step limit (5)");
  EXPECT_EQ(t.Eval("1 in [1, 2, 3, 4, 5]"),
            "error:<expr>:1:3: evaluation exceeded the step limit (5)");
}

// Strings built at run time are bounded.
TEST(RulesEvaluatorTest, StringSizeLimit) {
  ExprTester t;
  t.env.max_string_bytes = 4;
  EXPECT_EQ(t.Eval("'ab' + 'cd'"), "string:abcd");
  EXPECT_EQ(t.Eval("'ab' + 'cde'"), "error:<expr>:1:6: string of 5 bytes exceeds the limit of 4");
}

// Lists with computed elements, nested lists and indexing.
TEST(RulesEvaluatorTest, ComputedLists) {
  ExprTester t;
  t.event.set_channel("web");
  EXPECT_EQ(t.Eval("[[event.channel, 'x'], [1 + 1]]"), "list:[[web, x], [2]]");
  EXPECT_EQ(t.Eval("[event.channel, 'app'][1]"), "string:app");
  EXPECT_EQ(t.Eval("[event.channel, [1, event.type]] == ['web', [1, 'purchase']]"), "bool:true");
}

constexpr std::string_view kRule = R"(
- id: big_spender
  trigger: {event: purchase}
  condition: event.properties.amount > 100 && customer.profile.tier == "gold"
  actions:
    - emit: {kind: offer, channel: email, template: "hi"}
- id: no_condition
  trigger: {event: "*"}
  actions:
    - emit: {kind: offer, channel: email}
- id: broken
  trigger: {event: purchase}
  condition: event.properties.amount / 0 > 1
  actions:
    - emit: {kind: offer, channel: email}
- id: not_bool
  trigger: {event: purchase}
  condition: customer.profile.flag
  actions:
    - emit: {kind: offer, channel: email}
)";

// EvaluateCondition maps values and errors to kTrue/kFalse/kError with a message.
TEST(RulesEvaluatorTest, EvaluateCondition) {
  RuleEnvironment env;
  env.event_properties["purchase"]["amount"] = ValueType::kDouble;
  LoadResult loaded = LoadRulesFromString(kRule, "r.yaml", env);
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].ToString();
  touchstream::v1::TouchpointEvent event;
  event.set_type("purchase");
  (*event.mutable_properties())["amount"] = DoubleValue(150);
  touchstream::v1::CustomerState customer;
  (*customer.mutable_profile())["tier"] = StringValue("gold");
  EvalContext ctx{&event, &customer, ExprTester::kNow};
  Evaluator evaluator;
  std::string error;
  const RuleSet& set = *loaded.rule_set;
  EXPECT_EQ(evaluator.EvaluateCondition(*set.Find("big_spender"), ctx, &error),
            ConditionResult::kTrue);
  (*customer.mutable_profile())["tier"] = StringValue("silver");
  EXPECT_EQ(evaluator.EvaluateCondition(*set.Find("big_spender"), ctx, &error),
            ConditionResult::kFalse);
  EXPECT_EQ(evaluator.EvaluateCondition(*set.Find("no_condition"), ctx, &error),
            ConditionResult::kTrue);
  EXPECT_EQ(evaluator.EvaluateCondition(*set.Find("broken"), ctx, &error), ConditionResult::kError);
  EXPECT_EQ(error, "r.yaml:13:38: division by zero");
  EXPECT_EQ(evaluator.EvaluateCondition(*set.Find("not_bool"), ctx, &error),
            ConditionResult::kError);
  EXPECT_EQ(error,
            "r.yaml: condition of rule 'not_bool' evaluated to null, not bool (use has() to check "
            "presence)");
  // A null event and customer read as empty ones.
  EXPECT_EQ(evaluator.EvaluateCondition(*set.Find("big_spender"), EvalContext{}, &error),
            ConditionResult::kError);
  EXPECT_EQ(error, "r.yaml:4:38: operator '>' applied to null (use has() to check presence)");
}

// ExplainCondition lists the referenced fields with their values, "null" when missing.
TEST(RulesEvaluatorTest, ExplainCondition) {
  LoadResult loaded = LoadRulesFromString(kRule, "r.yaml", RuleEnvironment());
  ASSERT_TRUE(loaded.ok());
  touchstream::v1::TouchpointEvent event;
  (*event.mutable_properties())["amount"] = DoubleValue(150.25);
  Evaluator evaluator;
  std::vector<std::pair<std::string, std::string>> inputs;
  evaluator.ExplainCondition(*loaded.rule_set->Find("big_spender"), EvalContext{&event, nullptr, 0},
                             &inputs);
  EXPECT_EQ(inputs, (std::vector<std::pair<std::string, std::string>>{
                        {"event.properties.amount", "150.25"}, {"customer.profile.tier", "null"}}));
  evaluator.ExplainCondition(*loaded.rule_set->Find("no_condition"), EvalContext{}, &inputs);
  EXPECT_TRUE(inputs.empty());
}

}  // namespace
}  // namespace touchstream::rules
