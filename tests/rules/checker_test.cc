#include "rules/checker.h"

#include <gtest/gtest.h>

#include "expr_tester.h"

namespace touchstream::rules {
namespace {

using testing::ExprTester;
using Strings = std::vector<std::string>;

// A misspelt catalog field is an error at the wrong segment with a suggestion and a caret.
TEST(RulesCheckerTest, UnknownFieldWithSuggestion) {
  ExprTester t;
  EXPECT_EQ(t.Errors("customer.aggregates.total_spnd > 100"),
            Strings{"<expr>:1:21: error: unknown field 'customer.aggregates.total_spnd' (did you "
                    "mean 'total_spend'?)\ncustomer.aggregates.total_spnd > 100\n"
                    "                    ^"});
}

// Other name errors: unknown roots, fields of leaves, objects used as values.
TEST(RulesCheckerTest, NameErrors) {
  ExprTester t;
  EXPECT_EQ(
      t.Errors("evnt.type == 'x'"),
      Strings{
          "<expr>:1:1: error: unknown name 'evnt' (did you mean 'event'?)\nevnt.type == 'x'\n^"});
  ExprTester u;
  const Strings leaf = u.Errors("event.type.name == 'x'");
  ASSERT_EQ(leaf.size(), 1u);
  EXPECT_EQ(leaf[0].substr(0, leaf[0].find('\n')),
            "<expr>:1:12: error: unknown field 'event.type.name' ('event.type' has no fields)");
  const Strings object = u.Errors("customer.aggregates > 1");
  ASSERT_EQ(object.size(), 1u);
  EXPECT_EQ(
      object[0].substr(0, object[0].find('\n')),
      "<expr>:1:10: error: 'customer.aggregates' is not a value; use one of its fields: "
      "event_count, purchase_count, total_spend, first_purchase, last_purchase, max_purchase");
  const Strings activity = u.Errors("customer.activity.login.cout > 1");
  ASSERT_EQ(activity.size(), 1u);
  EXPECT_EQ(
      activity[0].substr(0, activity[0].find('\n')),
      "<expr>:1:25: error: unknown field 'customer.activity.login.cout' (did you mean 'count'?)");
}

// Every catalog field type checks to its declared type.
TEST(RulesCheckerTest, FieldTypes) {
  ExprTester t;
  EXPECT_EQ(t.Type("event.ts"), "timestamp");
  EXPECT_EQ(t.Type("customer.aggregates.total_spend"), "double");
  EXPECT_EQ(t.Type("customer.activity.login.count"), "int");
  EXPECT_EQ(t.Type("customer.rules['welcome-1'].last_fired"), "timestamp");
  EXPECT_EQ(t.Type("customer.profile.tier"), "dyn");
  EXPECT_EQ(t.Type("rule.version"), "string");
  EXPECT_EQ(t.Type("now - event.ts"), "duration");
  EXPECT_EQ(t.Type("event.properties"), "map");
}

// Event properties take the type declared for the trigger's event types; undeclared are dyn.
TEST(RulesCheckerTest, DeclaredEventProperties) {
  ExprTester t;
  t.env.event_properties["purchase"]["amount"] = ValueType::kDouble;
  t.env.event_properties["refund"]["amount"] = ValueType::kInt;
  t.env.event_properties["refund"]["sku"] = ValueType::kString;
  EXPECT_EQ(t.Type("event.properties.amount"), "double");
  EXPECT_EQ(t.Type("event.properties['amount']"), "double");
  EXPECT_EQ(t.Type("event.properties.sku"), "dyn");
  t.event_types = {"purchase", "refund"};
  EXPECT_EQ(t.Type("event.properties.amount"), "dyn");  // declared differently
  EXPECT_EQ(t.Type("event.properties.sku"), "string");
  const Strings errors = t.Errors("event.properties.sku + 1 > 0");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].substr(0, errors[0].find('\n')),
            "<expr>:1:22: error: operator '+' cannot be applied to string and int");
}

// Operators reject operand types they do not support.
TEST(RulesCheckerTest, OperatorTypeErrors) {
  ExprTester t;
  auto first = [&t](std::string_view text) {
    const Strings errors = t.Errors(text);
    return errors.empty() ? std::string() : errors[0].substr(0, errors[0].find('\n'));
  };
  EXPECT_EQ(first("\"a\" + 1"),
            "<expr>:1:5: error: operator '+' cannot be applied to string and int");
  EXPECT_EQ(first("1 == 'a'"),
            "<expr>:1:3: error: operator '==' cannot be applied to int and string");
  EXPECT_EQ(first("true < false"),
            "<expr>:1:6: error: operator '<' cannot be applied to bool and bool");
  EXPECT_EQ(first("1 && true"),
            "<expr>:1:3: error: operator '&&' cannot be applied to int and bool");
  EXPECT_EQ(first("!1"), "<expr>:1:1: error: operator '!' needs a bool, not int");
  EXPECT_EQ(first("2.5 % 2"),
            "<expr>:1:5: error: operator '%' cannot be applied to double and int");
  EXPECT_EQ(first("1 in 2"), "<expr>:1:3: error: operator 'in' cannot be applied to int and int");
  EXPECT_EQ(first("null + 1"), "<expr>:1:6: error: operator '+' cannot be applied to null and int");
  EXPECT_EQ(first("event.ts + event.ts"),
            "<expr>:1:10: error: operator '+' cannot be applied to timestamp and timestamp");
  EXPECT_EQ(first("1 ? 2 : 3"), "<expr>:1:1: error: condition of '?:' must be a bool, not int");
}

// Result types of operators, including int/double promotion and time arithmetic.
TEST(RulesCheckerTest, OperatorResultTypes) {
  ExprTester t;
  EXPECT_EQ(t.Type("1 + 2"), "int");
  EXPECT_EQ(t.Type("1 + 2.0"), "double");
  EXPECT_EQ(t.Type("'a' + 'b'"), "string");
  EXPECT_EQ(t.Type("event.ts + 1d"), "timestamp");
  EXPECT_EQ(t.Type("1d - 1h"), "duration");
  EXPECT_EQ(t.Type("customer.profile.x + 1"), "dyn");
  EXPECT_EQ(t.Type("customer.profile.x == 1"), "bool");
  EXPECT_EQ(t.Type("true ? 1 : null"), "int");
  EXPECT_EQ(t.Type("true ? 1 : 'a'"), "dyn");
}

// Functions check their arguments, arity and call style.
TEST(RulesCheckerTest, FunctionErrors) {
  ExprTester t;
  auto first = [&t](std::string_view text) {
    const Strings errors = t.Errors(text);
    return errors.empty() ? std::string() : errors[0].substr(0, errors[0].find('\n'));
  };
  EXPECT_EQ(first("lenght('a') > 1"), "<expr>:1:1: error: unknown function 'lenght'");
  EXPECT_EQ(first("uper('a') == 'A'"),
            "<expr>:1:1: error: unknown function 'uper' (did you mean 'upper'?)");
  EXPECT_EQ(first("size(1) > 0"),
            "<expr>:1:6: error: size() expects a string, list or map, got int");
  EXPECT_EQ(first("min(1) > 0"), "<expr>:1:1: error: min() takes 2 argument(s), got 1");
  EXPECT_EQ(first("'a'.startsWith(1)"),
            "<expr>:1:16: error: startsWith() expects a string, got int");
  EXPECT_EQ(first("(1).abs() > 0"),
            "<expr>:1:5: error: 'abs' is a function, not a method: write abs(x)");
  EXPECT_EQ(first("has(1)"),
            "<expr>:1:5: error: has() needs a field, e.g. has(event.properties.coupon)");
  EXPECT_EQ(
      first("duration('3 days') > 1h"),
      "<expr>:1:10: error: invalid duration \"3 days\" (use e.g. \"36h\", \"1h30m\", \"250ms\")");
  EXPECT_EQ(first("timestamp('yesterday') < now"),
            "<expr>:1:11: error: invalid timestamp \"yesterday\" (use RFC 3339, e.g. "
            "\"2026-01-05T10:00:00Z\")");
  EXPECT_EQ(first("days_since(1) > 2"),
            "<expr>:1:12: error: days_since() expects a timestamp, got int");
  EXPECT_EQ(first("min(1, now) > 0"), "<expr>:1:1: error: min() cannot compare int and timestamp");
}

// The checker keeps going: several independent errors are reported in one pass.
TEST(RulesCheckerTest, ReportsAllErrors) {
  ExprTester t;
  const Strings errors =
      t.Errors("customer.aggregates.total_spnd > 1 && evnt.type == 'a' && 'x' + 1 == 2");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].substr(0, errors[0].find(':', 9)), "<expr>:1:21");
  EXPECT_EQ(errors[1].substr(0, errors[1].find(':', 9)), "<expr>:1:39");
  EXPECT_EQ(errors[2].substr(0, errors[2].find(':', 9)), "<expr>:1:63");
}

// Dynamic indexing is allowed on property and profile maps only.
TEST(RulesCheckerTest, DynamicIndex) {
  ExprTester t;
  EXPECT_EQ(t.Type("event.properties[event.type]"), "dyn");
  EXPECT_EQ(t.Type("[1, 2][0]"), "dyn");
  const Strings errors = t.Errors("customer.activity[event.type] == 1");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].substr(0, errors[0].find('\n')),
            "<expr>:1:18: error: 'customer.activity' can only be indexed with a literal name, e.g. "
            "customer.activity.<name>.count");
}

}  // namespace
}  // namespace touchstream::rules
