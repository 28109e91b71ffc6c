// Evaluating a compiled condition allocates no heap memory once the evaluator's scratch is
// warm. Its own binary (rules_alloc_test): it replaces the global operator new to count.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "expr_tester.h"
#include "rules/evaluator.h"
#include "rules/loader.h"

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void* Allocate(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) {
  return Allocate(size);
}
void* operator new[](std::size_t size) {
  return Allocate(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace touchstream::rules {
namespace {

using testing::DoubleValue;
using testing::ExprTester;
using testing::StringValue;

// Heap allocations made by `evaluations` evaluations of the rule's condition, after one
// warm-up evaluation; the condition must evaluate to true.
long AllocationsPerCondition(const std::string& condition, int evaluations) {
  RuleEnvironment env;
  env.event_properties["purchase"] = {{"amount", ValueType::kDouble},
                                      {"category", ValueType::kString}};
  const LoadResult loaded =
      LoadRulesFromString("- id: r\n  trigger: {event: purchase}\n  condition: '" + condition +
                              "'\n  actions: [{emit: {kind: k, channel: c}}]\n",
                          "alloc.yaml", env);
  EXPECT_TRUE(loaded.ok()) << condition;
  if (!loaded.ok()) return -1;
  const Rule& rule = loaded.rule_set->rules()[0];

  touchstream::v1::TouchpointEvent event;
  event.set_type("purchase");
  event.set_channel("web");
  event.set_ts_ms(ExprTester::kNow - 3600000);
  (*event.mutable_properties())["amount"] = DoubleValue(120.5);
  (*event.mutable_properties())["category"] = StringValue("watches");
  touchstream::v1::CustomerState customer;
  (*customer.mutable_profile())["tier"] = StringValue("gold");
  (*customer.mutable_profile())["time_zone"] = StringValue("Europe/Paris");
  customer.mutable_aggregates()->set_total_spend(1520.5);
  customer.mutable_aggregates()->set_last_purchase_ms(ExprTester::kNow - 45 * 86400000LL);
  (*customer.mutable_activity())["login"].set_count(3);
  const EvalContext ctx{&event, &customer, ExprTester::kNow};

  Evaluator evaluator;
  std::string error;
  EXPECT_EQ(evaluator.EvaluateCondition(rule, ctx, &error), ConditionResult::kTrue)
      << condition << ": " << error;
  allocations = 0;
  counting = true;
  bool all_true = true;
  for (int i = 0; i < evaluations; ++i) {
    all_true =
        all_true && evaluator.EvaluateCondition(rule, ctx, nullptr) == ConditionResult::kTrue;
  }
  counting = false;
  EXPECT_TRUE(all_true) << condition;
  return allocations.load();
}

// Scalar conditions of every kind (fields, map lookups, cached fields, strings, lists, time
// functions, folded constants) evaluate without allocating.
TEST(RulesAllocTest, ScalarConditionsDoNotAllocate) {
  const char* const kConditions[] = {
      "event.properties.amount >= 100.0 && customer.aggregates.total_spend > 1000.0",
      "customer.profile.tier == \"gold\"",
      "has(customer.profile.tier) && customer.profile.tier != \"bronze\"",
      "event.properties.category in [\"shoes\", \"bags\", \"watches\"]",
      "days_since(customer.aggregates.last_purchase) > 30",
      "hour_of_day(event.ts) >= 0 && day_of_week(now) < 7",
      "\"login\" in customer.activity && customer.activity.login.count * 2 > 5",
      "event.properties.amount * 2.0 - 1.0 > 10 * 2 + 1",
      "max(event.properties.amount, 10.0) == event.properties.amount || false",
      "lower(customer.profile.tier) + \"!\" == \"gold!\"",
      "[event.channel, \"app\"][0] == \"web\"",
  };
  for (const char* condition : kConditions) {
    EXPECT_EQ(AllocationsPerCondition(condition, 1000), 0) << condition;
  }
}

// The counting operator new is the one in effect (the test above cannot pass vacuously).
TEST(RulesAllocTest, CounterSeesAllocations) {
  allocations = 0;
  counting = true;
  auto* p = new std::string(100, 'x');
  counting = false;
  delete p;
  EXPECT_GE(allocations.load(), 1);
}

}  // namespace
}  // namespace touchstream::rules
