// The clv: config section (parsing, file:line errors) and ClvFields, the customer.clv.* values
// the rules read, computed from the configured models and the customer's purchase summary.
#include "engine/customer/clv_fields.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/config/config.h"
#include "state/builtin_aggregates.h"
#include "state/clv_model.h"
#include "tests/testing/builders.h"

namespace touchstream::engine {
namespace {

constexpr int64_t kDay = 86'400'000;

constexpr char kClvConfig[] =
    "clv:\n"
    "  bg_nbd: {r: 0.243, alpha: 4.414, a: 0.793, b: 2.426}\n"
    "  gamma_gamma: {p: 6.25, q: 3.74, gamma: 15.44}\n"
    "  horizon_weeks: 52\n"
    "  annual_discount_rate: 0.1\n"
    "  expected_purchases_days: 273\n";

// The section is read into ClvConfig; without it the models are off.
TEST(EngineClvConfigTest, ParsesSection) {
  auto config = LoadConfigFromString(kClvConfig, "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->clv.enabled);
  EXPECT_DOUBLE_EQ(config->clv.bg_nbd.alpha, 4.414);
  EXPECT_DOUBLE_EQ(config->clv.gamma_gamma.gamma, 15.44);
  EXPECT_EQ(config->clv.horizon_weeks, 52);
  EXPECT_DOUBLE_EQ(config->clv.expected_purchases_days, 273);
  EXPECT_NE(MakeCustomerModels(*config), nullptr);

  auto plain = LoadConfigFromString("state: {dir: /tmp/x}\n", "engine.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->clv.enabled);
  EXPECT_EQ(MakeCustomerModels(*plain), nullptr);
}

// Each mistake is reported with file:line and the key.
TEST(EngineClvConfigTest, ErrorsNameFileLineAndKey) {
  struct Case {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"clv:\n  bg_nbd: {r: 0.2, alpha: 4, a: 0.8}\n  gamma_gamma: {p: 6, q: 3, gamma: 15}\n",
       "engine.yaml:2:11: error: clv.bg_nbd.b: missing"},
      {"clv:\n  bg_nbd: {r: 0.2, alpha: -4, a: 0.8, b: 2}\n  gamma_gamma: {p: 6, q: 3, gamma: "
       "15}\n",
       "engine.yaml:2:27: error: clv.bg_nbd.alpha: must be greater than 0"},
      {"clv:\n  bg_nbd: {r: 0.2, alpha: 4, a: 0.8, b: 2}\n  gamma_gamma: {p: 6, q: 0.9, gamma: "
       "15}\n",
       "engine.yaml:3:26: error: clv.gamma_gamma.q: must be greater than 1"},
      {"clv:\n  bg_nbd: {r: 0.2, alpha: 4, a: 0.8, b: 2}\n",
       "engine.yaml:2:3: error: clv.gamma_gamma: missing"},
      {"clv:\n  bg_nbd: {r: 0.2, alpha: 4, a: 0.8, b: 2}\n  gamma_gamma: {p: 6, q: 3, gamma: 15}\n"
       "  horizon_weeks: 0\n",
       "engine.yaml:4:18: error: clv.horizon_weeks: must be at least 1"},
      {"clv:\n  bg_nbd: {r: 0.2, alpha: 4, a: 0.8, b: 2}\n  gamma_gamma: {p: 6, q: 3, gamma: 15}\n"
       "  annual_discount_rate: lots\n",
       "engine.yaml:4:25: error: clv.annual_discount_rate: expected a number"},
      {"clv:\n  bg_nbd: {r: 0.2, alpha: 4, a: 0.8, b: 2}\n  gamma_gamma: {p: 6, q: 3, gamma: 15}\n"
       "  horizon: 5\n",
       "engine.yaml:4:3: error: clv.horizon: unknown key"},
  };
  for (const Case& c : cases) {
    auto config = LoadConfigFromString(c.yaml, "engine.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().message().rfind(c.message, 0), 0u) << config.status().message();
  }
}

v1::TouchpointEvent Purchase(int64_t ts_ms, double amount) {
  return test::MakePurchase("c-1", ts_ms, amount);
}

// The published example customer, built from events: x = 2, t_x = 30.43, T = 38.86 (days 0,
// 17, 213; now day 272), repeat purchases worth 29.73 and 14.96.
TEST(EngineClvFieldsTest, ValuesForTheExampleCustomer) {
  auto config = LoadConfigFromString(kClvConfig, "engine.yaml");
  ASSERT_TRUE(config.ok());
  const auto models = MakeCustomerModels(*config);
  v1::CustomerState customer;
  using rules::ModelField;
  EXPECT_TRUE(std::isnan(models->Value(ModelField::kPredictedClv, customer, 0)));
  state::ApplyBuiltinAggregates(Purchase(0 * kDay + 1000, 29.33), &customer);
  state::ApplyBuiltinAggregates(Purchase(17 * kDay, 29.73), &customer);
  state::ApplyBuiltinAggregates(Purchase(213 * kDay, 14.96), &customer);
  const int64_t now = 272 * kDay + 5000;
  const state::BgNbdParams& bg = config->clv.bg_nbd;
  const double t_x = 213.0 / 7, T = 272.0 / 7;
  EXPECT_DOUBLE_EQ(models->Value(ModelField::kProbabilityAlive, customer, now),
                   state::ProbabilityAlive(bg, 2, t_x, T));
  EXPECT_NEAR(models->Value(ModelField::kProbabilityAlive, customer, now), 0.7266, 5e-4);
  // 273 days = 39 weeks: Fader and Hardie's 1.226.
  EXPECT_NEAR(models->Value(ModelField::kExpectedPurchases, customer, now), 1.226, 1e-3);
  EXPECT_DOUBLE_EQ(
      models->Value(ModelField::kExpectedSpend, customer, now),
      state::ExpectedSpendPerPurchase(config->clv.gamma_gamma, 2, (29.73 + 14.96) / 2));
  EXPECT_DOUBLE_EQ(
      models->Value(ModelField::kPredictedClv, customer, now),
      state::PredictedClv(bg, config->clv.gamma_gamma, {2, t_x, T, (29.73 + 14.96) / 2}, 52, 0.1));
  EXPECT_GT(models->Value(ModelField::kPredictedClv, customer, now), 0);
}

}  // namespace
}  // namespace touchstream::engine
