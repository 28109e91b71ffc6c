// ClvFields: the customer.clv.* rule fields (rules/customer_models.h), computed from the
// configured models (engine/config/config.h ClvConfig) and the customer's purchase summary
// (CustomerState.clv, maintained by state/clv_summary.h) at the evaluation's `now`.
//
// Immutable after construction and thread-safe. Costs per read: p_alive and expected_spend a
// few hundred nanoseconds, expected_purchases one evaluation of the BG/NBD expectation (about 1
// to 30 microseconds), value one per week of the horizon (52 weeks: about 0.03 to 0.6 ms).
#pragma once

#include <memory>

#include "engine/config/config.h"
#include "rules/customer_models.h"

namespace touchstream::engine {

class ClvFields final : public rules::CustomerModels {
 public:
  // `config` must be enabled and valid (LoadConfig validates it).
  explicit ClvFields(const ClvConfig& config) : config_(config) {}

  // NaN before the customer's first purchase; the values of state/clv_model.h otherwise:
  //  kProbabilityAlive   ProbabilityAlive(x, t_x, T)
  //  kExpectedPurchases  ExpectedPurchases(x, t_x, T, expected_purchases_days / 7)
  //  kExpectedSpend      ExpectedSpendPerPurchase(x, mean_spend)
  //  kPredictedClv       PredictedClv(horizon_weeks, annual_discount_rate)
  double Value(rules::ModelField field, const v1::CustomerState& customer,
               int64_t now_ms) const override;

 private:
  const ClvConfig config_;
};

// The models the config asks for: ClvFields when it has a clv: section, else null (the
// customer.clv.* fields then read as null).
std::unique_ptr<rules::CustomerModels> MakeCustomerModels(const EngineConfig& config);

}  // namespace touchstream::engine
